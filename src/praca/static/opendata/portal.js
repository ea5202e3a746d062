// The dataset page's enhancements. Without them the page still works: the preview's pager and the chart's
// form are ordinary links and GET forms. Configuration and translated strings come in data-* attributes,
// because the Content-Security-Policy allows no inline script.
import { baseMap, el, fill, readJSON } from '/static/js/leaflet-setup.js';

// --- htmx swaps: say what changed, and never leave the keyboard focus on a link that is gone -------------
document.body.addEventListener('htmx:afterSettle', (event) => {
  const target = event.detail.target;
  if (!target || !target.classList.contains('preview-body')) return;
  const table = target.querySelector('table.data-preview');
  const status = document.getElementById(`${target.id}-status`);
  if (table && status) status.textContent = table.dataset.status || '';
  const focused = document.activeElement;
  if (!focused || focused === document.body || !document.body.contains(focused)) {
    const region = target.querySelector('.table-scroll');
    if (region) region.focus();
  }
});

// --- maps of resources with coordinates -------------------------------------------------------------------
function drawMap(box) {
  const t = readJSON(box, 'i18n', {});
  const status = document.getElementById(`${box.id}-status`);
  const lang = document.documentElement.lang;
  const numbers = new Intl.NumberFormat(lang === 'pt' ? 'pt-PT' : 'en-GB', { maximumFractionDigits: 0 });
  const map = baseMap(box, t, { scrollWheelZoom: false });
  if (status) status.textContent = t.loading || '';

  function popup(feature) {
    const p = feature.properties;
    const node = el('div', 'popup');
    if (p.label) node.append(el('strong', 'popup-name', p.label));
    const list = el('dl', 'popup-fields');
    for (const [key, value] of p.fields || []) {
      list.append(el('dt', null, key), el('dd', null, value === null ? '' : String(value)));
    }
    node.append(list);
    return node;
  }

  fetch(box.dataset.geojsonUrl, { credentials: 'same-origin', headers: { Accept: 'application/geo+json' } })
    .then((response) => {
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    })
    .then((data) => {
      const layer = L.geoJSON(data, {
        // a GeoJSON upload's lines and areas (points keep the circles' own style and class)
        style: (feature) => (/Point$/.test(feature.geometry.type) ? {} : {
          color: '#0b4f8a', weight: 2, fillColor: '#0b4f8a', fillOpacity: 0.25, className: 'data-shape',
        }),
        pointToLayer: (feature, latlng) => L.circleMarker(latlng, {
          radius: 6, color: '#1a1a1a', weight: 1, fillColor: '#0b4f8a', fillOpacity: 0.85, className: 'data-point',
        }),
        onEachFeature: (feature, marker) => marker.bindPopup(() => popup(feature)),
      }).addTo(map);
      if (data.features.length) map.fitBounds(layer.getBounds(), { padding: [16, 16], maxZoom: 16 });
      box.dataset.points = String(data.features.length);
      if (status) {
        status.textContent = fill(t.shown || '', {
          shown: numbers.format(data.shown ?? data.features.length), total: numbers.format(data.total ?? 0),
        });
      }
    })
    .catch(() => {
      if (status) status.textContent = t.failed || '';
    });
}

if (window.L) document.querySelectorAll('.data-map').forEach(drawMap);
