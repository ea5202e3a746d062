// The pressure-areas map: each zone's shape coloured by its pressure index, from the page's GeoJSON
// route (colours and tooltips come ready from the server, so the map and the table never disagree).
// The table under the map is its text alternative; without JavaScript the page is the table alone.
import { baseMap, fill, readJSON } from '/static/js/leaflet-setup.js';

const box = document.getElementById('pressure-map');

if (box && window.L) {
  const t = readJSON(box, 'i18n', {});
  const status = document.getElementById('map-status');
  const lang = document.documentElement.lang;
  const numbers = new Intl.NumberFormat(lang === 'pt' ? 'pt-PT' : 'en-GB', { maximumFractionDigits: 0 });
  const map = baseMap(box, t);
  status.textContent = t.loading || '';

  /** A zone's outline: dark enough to tell zones apart (and from the tiles) whatever their fill. */
  function style(feature) {
    const p = feature.properties;
    return { fillColor: p.fill, fillOpacity: 0.75, color: '#1a1a1a', weight: 1, opacity: 0.9,
             dashArray: p.baseline ? null : '4 3', className: `zone zone-${p.zone.replace(/[^\w-]/g, '_')}` };
  }

  fetch(box.dataset.geojsonUrl, { credentials: 'same-origin', headers: { Accept: 'application/geo+json' } })
    .then((response) => {
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    })
    .then((data) => {
      const layer = L.geoJSON(data, {
        style,
        onEachFeature: (feature, shape) => shape.bindTooltip(feature.properties.summary, { sticky: true }),
      }).addTo(map);
      const count = data.features.length;
      if (count) map.fitBounds(layer.getBounds(), { padding: [12, 12], maxZoom: 15 });
      box.dataset.zones = String(count);
      status.textContent = fill(count === 1 ? t.shown_one : t.shown_other, { count: numbers.format(count) });
    })
    .catch(() => {
      status.textContent = t.failed || '';
    });
}
