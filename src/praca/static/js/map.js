// The map page: devices from /api/v1/devices.geojson in marker clusters, the filter form, and
// "what is around me" (my location, a click on the map, the map centre or typed coordinates).
// Without JavaScript both forms still submit to the list view, which answers the same questions.
import { baseMap, el, fill, readJSON } from './leaflet-setup.js';

const app = document.getElementById('map-app');
// Routes and areas are context for their markers, drawn light so they do not hide the clusters.
const SHAPE_STYLE = { color: '#0b4f8a', weight: 2, opacity: 0.45, fillOpacity: 0.1 };
const box = document.getElementById('map');

if (app && box && window.L) {
  const t = readJSON(app, 'i18n', {});
  const lang = box.dataset.lang || document.documentElement.lang;
  const numbers = new Intl.NumberFormat(lang === 'pt' ? 'pt-PT' : 'en-GB', { maximumFractionDigits: 0 });
  const map = baseMap(box, t);
  const filters = document.getElementById('filters');
  const status = document.getElementById('map-status');
  const listLink = document.getElementById('list-link');
  const clusters = L.markerClusterGroup({ chunkedLoading: true, iconCreateFunction: clusterIcon });
  const shapes = L.featureGroup();
  map.addLayer(shapes);
  map.addLayer(clusters);
  let loadCount = 0;

  /** The filter form as query parameters (type repeated, personal_data only when chosen). */
  function filterParams() {
    const params = new URLSearchParams();
    for (const [key, value] of new FormData(filters)) {
      if (value !== '' && key !== 'lang') params.append(key, value);
    }
    return params;
  }

  function clusterIcon(cluster) {
    const count = cluster.getChildCount();
    const size = count < 10 ? 'small' : count < 100 ? 'medium' : 'large';
    const inner = el('div');
    const number = el('span', null, numbers.format(count));
    number.setAttribute('aria-hidden', 'true');
    inner.append(number, el('span', 'visually-hidden', fill(t.cluster, { count: numbers.format(count) })));
    return L.divIcon({ html: inner.outerHTML, className: `marker-cluster marker-cluster-${size}`,
                       iconSize: L.point(40, 40) });
  }

  function popup(p) {
    const node = el('div', 'popup');
    node.append(el('strong', 'popup-name', p.name), el('span', 'popup-type', p.type_label));
    const tags = el('p', 'tags');
    tags.append(el('span', p.personal_data ? 'tag personal' : 'tag', p.personal_data ? t.personal : t.not_personal));
    if (p.status !== 'active') tags.append(' ', el('span', 'tag status', p.status_label));
    const link = el('a', null, t.open_card);
    link.href = p.url;
    node.append(tags, link);
    return node;
  }

  /** The public API in the page's language. The API's filters refuse unknown parameters (so no `lang=`),
   *  and a cookie would outvote the header, so no cookies: Accept-Language alone says the language. */
  function api(path, params, accept) {
    return fetch(`${path}?${params}`, { credentials: 'omit', headers: { Accept: accept, 'Accept-Language': lang } });
  }

  function setStatus(text) {
    status.textContent = text;
  }

  async function loadDevices() {
    const mine = ++loadCount;
    const params = filterParams();
    listLink.href = `${box.dataset.listUrl}${params.toString() ? `?${params}` : ''}`;
    setStatus(t.loading);
    try {
      const response = await api(box.dataset.geojsonUrl, params, 'application/geo+json');
      if (!response.ok) throw new Error(String(response.status));
      const data = await response.json();
      if (mine !== loadCount) return; // a newer filter won
      clusters.clearLayers();
      shapes.clearLayers();
      const markers = data.features.map((f) => {
        const p = f.properties;
        if (f.geometry && f.geometry.type !== 'Point') {
          shapes.addLayer(L.geoJSON(f.geometry, { interactive: false, style: SHAPE_STYLE }));
        }
        return L.marker([p.lat, p.lon], { alt: p.name, title: p.name }).bindPopup(popup(p));
      });
      clusters.addLayers(markers);
      const n = data.features.length;
      setStatus(fill(n === 1 ? t.shown_one : t.shown_other, { count: numbers.format(n) }));
    } catch (err) {
      if (mine === loadCount) setStatus(t.load_failed);
    }
  }

  filters.addEventListener('submit', (e) => {
    e.preventDefault();
    loadDevices();
  });
  filters.addEventListener('change', () => loadDevices());

  // --- what is around me ------------------------------------------------------------------------------
  const results = document.getElementById('near-results');
  const nearForm = document.getElementById('near-form');
  const latField = document.getElementById('near-lat');
  const lonField = document.getElementById('near-lon');
  const radiusField = document.getElementById('near-radius');
  const useLocation = document.getElementById('use-location');
  const useCentre = document.getElementById('use-centre');
  let circle = null;

  function say(text, isError) {
    results.replaceChildren(el('p', isError ? 'field-error' : null, text));
  }

  function radius() {
    const value = Number(radiusField.value);
    return radiusField.value.trim() && Number.isFinite(value) && value > 0 ? value : Number(box.dataset.radius);
  }

  function showNear(data, lat, lon, r) {
    const shown = data.items.length;
    const intro = data.total === 0 ? t.near_none : data.total === 1 ? t.near_one : t.near_other;
    const heading = el('p', 'near-summary', fill(intro, { count: numbers.format(data.total), radius: numbers.format(r) }));
    const nodes = [heading];
    if (shown) {
      const list = el('ol', 'near-list');
      for (const item of data.items) {
        const li = el('li');
        const link = el('a', null, item.name);
        link.href = item.url;
        li.append(link, el('span', 'near-type', ` · ${item.type_label} · `),
                  el('span', 'near-distance', fill(t.metres_away, { distance: numbers.format(item.distance_m) })));
        if (item.personal_data) li.append(' ', el('span', 'tag personal', t.personal));
        list.append(li);
      }
      nodes.push(list);
    }
    const params = filterParams();
    params.set('lat', lat.toFixed(6));
    params.set('lon', lon.toFixed(6));
    params.set('radius_m', String(r));
    const more = el('a', 'near-more', data.total > shown ? fill(t.near_more, { shown, count: numbers.format(data.total) }) : t.near_list);
    more.href = `${box.dataset.listUrl}?${params}`;
    const footer = el('p');
    footer.append(more);
    nodes.push(footer);
    results.replaceChildren(...nodes);
  }

  async function near(lat, lon) {
    if (!Number.isFinite(lat) || !Number.isFinite(lon)) {
      say(t.bad_point, true);
      return;
    }
    const r = Math.min(radius(), Number(box.dataset.maxRadius));
    latField.value = lat.toFixed(6);
    lonField.value = lon.toFixed(6);
    if (circle) circle.remove();
    circle = L.circle([lat, lon], { radius: r, color: '#0b4f8a', weight: 2, fillOpacity: 0.08, interactive: false }).addTo(map);
    map.fitBounds(circle.getBounds(), { maxZoom: 17 });
    say(t.searching);
    const params = filterParams();
    params.set('lat', String(lat));
    params.set('lon', String(lon));
    params.set('radius_m', String(r));
    params.set('limit', '20');
    try {
      const response = await api(box.dataset.apiUrl, params, 'application/json');
      if (!response.ok) {
        say(t.near_failed, true);
        return;
      }
      showNear(await response.json(), lat, lon, r);
    } catch (err) {
      say(t.load_failed, true);
    }
  }

  const geoErrors = { 1: t.geo_denied, 2: t.geo_unavailable, 3: t.geo_timeout };
  useLocation.hidden = false;
  useCentre.hidden = false;
  useLocation.addEventListener('click', () => {
    if (!('geolocation' in navigator)) {
      say(t.geo_unsupported, true);
      return;
    }
    say(t.locating);
    navigator.geolocation.getCurrentPosition(
      (pos) => near(pos.coords.latitude, pos.coords.longitude),
      (err) => say(geoErrors[err.code] || t.geo_unavailable, true),
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
    );
  });
  useCentre.addEventListener('click', () => {
    const c = map.getCenter();
    near(c.lat, c.lng);
  });
  map.on('click', (e) => near(e.latlng.lat, e.latlng.lng));
  nearForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const lat = latField.value.trim().replace(',', '.');
    const lon = lonField.value.trim().replace(',', '.');
    near(lat === '' ? NaN : Number(lat), lon === '' ? NaN : Number(lon));
  });

  loadDevices();
}
