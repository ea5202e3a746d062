// The small map on a device's card: its point, or its route or area. The coordinates are also in text.
import { baseMap, readJSON } from './leaflet-setup.js';

const box = document.getElementById('device-map');
if (box && window.L) {
  const t = readJSON(box, 'i18n', {});
  const map = baseMap(box, t, { scrollWheelZoom: false });
  const point = [Number(box.dataset.lat), Number(box.dataset.lon)];
  L.marker(point, { alt: box.dataset.name || '', keyboard: false }).addTo(map);
  const geometry = readJSON(box, 'geometry', null);
  if (geometry) {
    const shape = L.geoJSON(geometry, { style: { color: '#0b4f8a', weight: 4 } }).addTo(map);
    map.fitBounds(shape.getBounds(), { padding: [16, 16], maxZoom: 17 });
  }
}
