// The pin on the report form (and the read-only pin on a staff case page).
// The form works without this script: the latitude and longitude fields are plain inputs. The map
// is only shown when the script runs; it writes the fields, and follows them when they are typed.
// Configuration and translated strings come from data-* attributes (the CSP allows no inline script).
import { baseMap, fill, readJSON } from './leaflet-setup.js';

const box = document.getElementById('pin-map');

if (box && window.L) {
  const t = readJSON(box, 'i18n', {});
  const latField = document.getElementById('lat');
  const lonField = document.getElementById('lon');
  const status = document.getElementById('pin-status');
  const editable = Boolean(latField && lonField);
  box.hidden = false;
  const map = baseMap(box, t, { scrollWheelZoom: false });
  let marker = null;

  const say = (text) => { if (status && text) status.textContent = text; };
  const number = (text) => Number.parseFloat(String(text).trim().replace(',', '.'));
  const valid = (lat, lon) => Number.isFinite(lat) && Number.isFinite(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180;

  function show(point) {
    if (marker) {
      marker.setLatLng(point);
      return;
    }
    marker = L.marker(point, { draggable: editable, keyboard: false, alt: t.pin || '' }).addTo(map);
    if (editable) marker.on('dragend', () => place(marker.getLatLng(), false));
  }

  function place(point, pan) {
    show(point);
    latField.value = point.lat.toFixed(6);
    lonField.value = point.lng.toFixed(6);
    if (pan) map.panTo(point);
    say(fill(t.placed || '', { lat: latField.value, lon: lonField.value }));
  }

  if (!editable) {
    show([Number(box.dataset.lat), Number(box.dataset.lon)]);
  } else {
    const typed = () => {
      const lat = number(latField.value);
      const lon = number(lonField.value);
      if (valid(lat, lon)) {
        show([lat, lon]);
        map.panTo([lat, lon]);
      }
    };
    typed();
    latField.addEventListener('change', typed);
    lonField.addEventListener('change', typed);
    map.on('click', (e) => place(e.latlng, false));
    // Keyboard: the arrow keys move the map (Leaflet); Enter or Space puts the pin in its centre.
    box.addEventListener('keydown', (e) => {
      if (e.target === box && (e.key === 'Enter' || e.key === ' ')) {
        e.preventDefault();
        place(map.getCenter(), false);
      }
    });

    const locate = document.getElementById('use-location');
    if (locate && navigator.geolocation) {
      locate.hidden = false;
      locate.addEventListener('click', () => {
        say(t.locating);
        navigator.geolocation.getCurrentPosition(
          (pos) => {
            map.setView([pos.coords.latitude, pos.coords.longitude], 17);
            place(L.latLng(pos.coords.latitude, pos.coords.longitude), false);
          },
          (err) => say(err.code === err.PERMISSION_DENIED ? t.denied : t.unavailable),
          { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
        );
      });
    }
  }
}
