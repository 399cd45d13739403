// The position picker: the city's grids (GeoJSON boundaries from GET /api/v1/grids) drawn as SVG
// — no tile server, so it works offline and on an intranet — and a marker the person moves with
// a tap (or the arrow keys). Residents may not read the grids (API.md §2: staff only), so for
// them the picker is a plain square of about 2 km around the GPS fix, with a 200 m mesh; before
// a fix, the extent of the city's recent public reports (Open311), drawn as dots, stands in.
import { h, clear } from '/web/dom.js';
import { t } from '/web/i18n.js';

const SIZE = 360;
const PAD = 10;
const PLAIN_SPAN_DEG = 0.01;  // ± around the centre when there are no grids (~1.1 km of latitude)
const KEY_STEP_PX = 4;

function polygons(geometry) {
  if (!geometry) return [];
  if (geometry.type === 'Polygon') return [geometry.coordinates];
  if (geometry.type === 'MultiPolygon') return geometry.coordinates;
  return [];
}

// Equirectangular, fitted to the extent; x scaled by cos(latitude) to keep shapes' proportions.
function projection(minLon, maxLon, minLat, maxLat) {
  const kx = Math.cos(((minLat + maxLat) / 2) * Math.PI / 180);
  const spanX = Math.max((maxLon - minLon) * kx, 1e-9);
  const spanY = Math.max(maxLat - minLat, 1e-9);
  const scale = (SIZE - 2 * PAD) / Math.max(spanX, spanY);
  const width = Math.round(spanX * scale + 2 * PAD);
  const height = Math.round(spanY * scale + 2 * PAD);
  return {
    width,
    height,
    point: (lon, lat) => [PAD + (lon - minLon) * kx * scale, PAD + (maxLat - lat) * scale],
    lonLat: (x, y) => [minLon + (x - PAD) / (kx * scale), maxLat - (y - PAD) / scale],
  };
}

function gridExtent(grids) {
  let minLon = Infinity, maxLon = -Infinity, minLat = Infinity, maxLat = -Infinity;
  for (const grid of grids)
    for (const polygon of polygons(grid.boundary))
      for (const ring of polygon)
        for (const [lon, lat] of ring) {
          minLon = Math.min(minLon, lon); maxLon = Math.max(maxLon, lon);
          minLat = Math.min(minLat, lat); maxLat = Math.max(maxLat, lat);
        }
  return Number.isFinite(minLon) ? [minLon, maxLon, minLat, maxLat] : null;
}

// The 5th to 95th percentile of each coordinate: a few reports far outside the city (the demo has
// some, routed to no grid) must not shrink the city itself to a corner of the picker.
const TRIM = 0.05;
function pointsExtent(points) {
  if (!points.length) return null;
  const lons = points.map((p) => p.lon).sort((a, b) => a - b);
  const lats = points.map((p) => p.lat).sort((a, b) => a - b);
  const lo = Math.floor(TRIM * (points.length - 1));
  const hi = Math.ceil((1 - TRIM) * (points.length - 1));
  const pad = PLAIN_SPAN_DEG / 4;
  return [lons[lo] - pad, lons[hi] + pad, lats[lo] - pad, lats[hi] + pad];
}

// Draws the picker into `container`; onPick({lat, lon}) on every move. Returns {set(lat, lon)}.
// `known`: other reports' positions [{lat, lon}], drawn as dots (and the extent with no grids
// and no fix). Without onPick it only shows `centre` (a ticket's point in its grid), named `label`.
export function positionPicker(container, { grids, centre, known = [], onPick = null, label = null }) {
  clear(container);
  const extent = gridExtent(grids) || (centre
    ? [centre.lon - PLAIN_SPAN_DEG, centre.lon + PLAIN_SPAN_DEG, centre.lat - PLAIN_SPAN_DEG, centre.lat + PLAIN_SPAN_DEG]
    : pointsExtent(known));
  if (!extent) {
    container.append(h('p', { class: 'muted small' }, t('map.needFix')));
    return { set: () => {} };
  }
  const proj = projection(...extent);
  const svg = h('svg', {
    viewBox: `0 0 ${proj.width} ${proj.height}`, class: onPick ? 'picker' : 'picker view', role: 'img',
    tabindex: onPick ? '0' : null, 'aria-label': label || t('map.label'),
  });
  svg.append(h('rect', { x: 0, y: 0, width: proj.width, height: proj.height, class: 'sea' }));
  if (grids.length) {
    for (const grid of grids) {
      let d = '';
      let sx = 0, sy = 0, n = 0;
      for (const polygon of polygons(grid.boundary))
        polygon.forEach((ring, ringIndex) => {
          ring.forEach(([lon, lat], i) => {
            const [x, y] = proj.point(lon, lat);
            d += `${i === 0 ? 'M' : 'L'}${x.toFixed(1)},${y.toFixed(1)}`;
            if (ringIndex === 0) { sx += x; sy += y; n += 1; }
          });
          d += 'Z';
        });
      svg.append(h('path', { class: 'grid', d, 'fill-rule': 'evenodd' }, h('title', {}, `${grid.code} ${grid.name}`)));
      if (n && onPick) svg.append(h('text', { x: (sx / n).toFixed(1), y: (sy / n).toFixed(1), 'text-anchor': 'middle' }, grid.code));
    }
  } else {
    for (let i = 1; i < 10; i += 1) {
      const x = (proj.width * i) / 10;
      const y = (proj.height * i) / 10;
      svg.append(h('line', { x1: x, y1: 0, x2: x, y2: proj.height, class: 'mesh' }));
      svg.append(h('line', { x1: 0, y1: y, x2: proj.width, y2: y, class: 'mesh' }));
    }
  }
  for (const point of known) {
    const [x, y] = proj.point(point.lon, point.lat);
    if (x >= 0 && y >= 0 && x <= proj.width && y <= proj.height)
      svg.append(h('circle', { r: 3, class: 'known', cx: x.toFixed(1), cy: y.toFixed(1) }));
  }
  const marker = h('circle', { r: 7, class: 'pin hidden', cx: 0, cy: 0 });
  svg.append(marker);
  let at = null;
  const place = (x, y, notify) => {
    x = Math.min(Math.max(x, 0), proj.width);
    y = Math.min(Math.max(y, 0), proj.height);
    at = [x, y];
    marker.setAttribute('cx', x.toFixed(1));
    marker.setAttribute('cy', y.toFixed(1));
    marker.classList.remove('hidden');
    if (notify) {
      const [lon, lat] = proj.lonLat(x, y);
      onPick({ lat: Number(lat.toFixed(6)), lon: Number(lon.toFixed(6)) });
    }
  };
  container.append(svg);
  const api = { set: (lat, lon) => place(...proj.point(lon, lat), false) };
  if (centre) api.set(centre.lat, centre.lon);
  if (!onPick) return api;
  svg.addEventListener('click', (event) => {
    const box = svg.getBoundingClientRect();
    place(((event.clientX - box.left) / box.width) * proj.width, ((event.clientY - box.top) / box.height) * proj.height, true);
  });
  svg.addEventListener('keydown', (event) => {
    const moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    const move = moves[event.key];
    if (!move) return;
    event.preventDefault();
    const [x, y] = at || [proj.width / 2, proj.height / 2];
    place(x + move[0] * KEY_STEP_PX, y + move[1] * KEY_STEP_PX, true);
  });
  return api;
}
