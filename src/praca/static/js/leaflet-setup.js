// Shared Leaflet set-up for the citizen pages. Configuration comes from data-* attributes, because the
// Content-Security-Policy allows no inline script; translated strings come the same way (data-i18n).

/** Parse a data-* attribute holding JSON; an absent or broken one gives the fallback. */
export function readJSON(el, name, fallback) {
  try {
    return el.dataset[name] ? JSON.parse(el.dataset[name]) : fallback;
  } catch (err) {
    return fallback;
  }
}

/** A Leaflet map in `el`, centred and tiled as its data attributes say, with translated zoom buttons. */
export function baseMap(el, t, options = {}) {
  L.Icon.Default.imagePath = '/static/vendor/leaflet/images/';
  const map = L.map(el, { zoomControl: false, ...options });
  map.setView([Number(el.dataset.lat), Number(el.dataset.lon)], Number(el.dataset.zoom || 14));
  L.control.zoom({ zoomInTitle: t.zoom_in || 'Zoom in', zoomOutTitle: t.zoom_out || 'Zoom out' }).addTo(map);
  L.tileLayer(el.dataset.tileUrl, {
    attribution: el.dataset.tileAttribution || '',
    maxZoom: 19,
  }).addTo(map);
  // Leaflet names its popup close button in English; say it in the page's language.
  map.on('popupopen', (e) => {
    const close = e.popup.getElement()?.querySelector('.leaflet-popup-close-button');
    if (close && t.close) close.setAttribute('aria-label', t.close);
  });
  return map;
}

/** Replace {name} placeholders in a translated string. */
export function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (whole, key) => (key in values ? String(values[key]) : whole));
}

/** Create an element with optional class and text (never innerHTML with data). */
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}
