// The grid map: each grid's GeoJSON boundary drawn as SVG paths (no tile server is reachable
// from a city's intranet), filled by closure rate, with open tickets as dots (red when overdue).
import { h, clear, percent } from '/web/dom.js';
import { t } from '/web/i18n.js';

const WIDTH = 800;

// Closure rate → fill, in five bands; null (nothing due yet) is grey.
export function rateColour(rate) {
  if (rate === null || rate === undefined) return '#b8c2cc';
  if (rate < 0.5) return '#c62828';
  if (rate < 0.7) return '#ef8a3c';
  if (rate < 0.85) return '#f2c94c';
  if (rate < 0.95) return '#6fbf73';
  return '#1f8a4c';
}

function polygons(geometry) {
  if (!geometry) return [];
  if (geometry.type === 'Polygon') return [geometry.coordinates];
  if (geometry.type === 'MultiPolygon') return geometry.coordinates;
  return [];
}

// An equirectangular projection fitted to the grids' extent: at a city's scale the distortion
// is negligible, and x is scaled by cos(latitude) so that shapes keep their proportions.
function projection(grids) {
  let minLon = Infinity, maxLon = -Infinity, minLat = Infinity, maxLat = -Infinity;
  for (const grid of grids)
    for (const polygon of polygons(grid.boundary))
      for (const ring of polygon)
        for (const [lon, lat] of ring) {
          minLon = Math.min(minLon, lon); maxLon = Math.max(maxLon, lon);
          minLat = Math.min(minLat, lat); maxLat = Math.max(maxLat, lat);
        }
  if (!Number.isFinite(minLon)) return null;
  const kx = Math.cos(((minLat + maxLat) / 2) * Math.PI / 180);
  const spanX = Math.max((maxLon - minLon) * kx, 1e-9);
  const spanY = Math.max(maxLat - minLat, 1e-9);
  const pad = 12;
  const scale = (WIDTH - 2 * pad) / spanX;
  const height = Math.round(spanY * scale + 2 * pad);
  return {
    height,
    point: (lon, lat) => [pad + (lon - minLon) * kx * scale, pad + (maxLat - lat) * scale],
    inside: (lon, lat) => lon >= minLon && lon <= maxLon && lat >= minLat && lat <= maxLat,
  };
}

export function drawMap(container, { grids, rates, tickets, onTicket }) {
  clear(container);
  const proj = projection(grids);
  if (!proj) {
    container.append(h('p', { class: 'muted' }, t('chart.empty')));
    return;
  }
  const svg = h('svg', { viewBox: `0 0 ${WIDTH} ${proj.height}`, role: 'img', 'aria-label': t('map.title') });
  const labels = [];
  for (const grid of grids) {
    const rate = rates.get(grid.id);
    let d = '';
    let sx = 0, sy = 0, n = 0;
    for (const polygon of polygons(grid.boundary)) {
      polygon.forEach((ring, ringIndex) => {
        ring.forEach(([lon, lat], i) => {
          const [x, y] = proj.point(lon, lat);
          d += `${i === 0 ? 'M' : 'L'}${x.toFixed(1)},${y.toFixed(1)}`;
          if (ringIndex === 0) { sx += x; sy += y; n += 1; }
        });
        d += 'Z';
      });
    }
    // evenodd: holes (a park inside a district) stay holes, and the park's own grid shows through.
    svg.append(h('path', { class: 'grid', d, fill: rateColour(rate), 'fill-rule': 'evenodd', 'data-grid': grid.code },
      h('title', {}, `${grid.code} ${grid.name} — ${t('col.closure')} ${percent(rate)}`)));
    if (n) labels.push(h('text', { x: (sx / n).toFixed(1), y: (sy / n).toFixed(1), 'text-anchor': 'middle' }, grid.code));
  }
  svg.append(...labels);
  for (const ticket of tickets) {
    // A report placed by address only (Open311) has no position: listed, not drawn.
    if (ticket.lat === null || !proj.inside(ticket.lon, ticket.lat)) continue;
    const [x, y] = proj.point(ticket.lon, ticket.lat);
    const marker = h('circle', {
      class: ticket.overdue ? 'marker overdue' : 'marker', cx: x.toFixed(1), cy: y.toFixed(1), r: ticket.overdue ? 7 : 5.5,
      fill: ticket.overdue ? '#c62828' : '#0b6bcb', 'data-ticket': ticket.id,
      onclick: () => onTicket(ticket.id),
    }, h('title', {}, `#${ticket.id} ${t(`status.${ticket.status}`)}${ticket.overdue ? ` · ${t('overdue')}` : ''}`));
    svg.append(marker);
  }
  container.append(svg);
}

export function drawLegend(container) {
  clear(container);
  const bands = [['c0', '<50%'], ['c1', '50–70%'], ['c2', '70–85%'], ['c3', '85–95%'], ['c4', '≥95%'], ['cn', t('map.noRate')]];
  for (const [cls, text] of bands) container.append(h('span', {}, h('i', { class: cls }), text));
  container.append(h('span', {}, h('i', { class: 'm-open' }), t('map.open')));
  container.append(h('span', {}, h('i', { class: 'm-overdue' }), t('map.overdue')));
}
