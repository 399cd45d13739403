// The weekly chart: closure rate and on-time rate per ISO week as two SVG lines (0–100 %).
// A week whose rate is null (nothing was due) leaves a gap rather than a false zero.
import { h, clear, percent } from '/web/dom.js';
import { t } from '/web/i18n.js';

const W = 640, H = 240, L = 42, R = 12, T = 14, B = 34;

export function drawChart(container, weeks) {
  clear(container);
  if (!weeks.length) {
    container.append(h('p', { class: 'muted' }, t('chart.empty')));
    return;
  }
  const svg = h('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': t('chart.title') });
  const x = (i) => L + (weeks.length === 1 ? (W - L - R) / 2 : (i * (W - L - R)) / (weeks.length - 1));
  const y = (rate) => T + (1 - rate) * (H - T - B);
  for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
    svg.append(h('line', { class: 'axis', x1: L, x2: W - R, y1: y(tick), y2: y(tick) }));
    svg.append(h('text', { x: L - 6, y: y(tick) + 4, 'text-anchor': 'end' }, `${tick * 100}%`));
  }
  weeks.forEach((week, i) => svg.append(h('text', { x: x(i), y: H - B + 16, 'text-anchor': 'middle' }, week.label)));
  for (const [field, cls] of [['closure_rate', 'closure'], ['on_time_rate', 'ontime']]) {
    let d = '';
    let pen = false;
    const dots = [];
    weeks.forEach((week, i) => {
      const rate = week[field];
      if (rate === null || rate === undefined) { pen = false; return; }
      d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(rate).toFixed(1)}`;
      pen = true;
      dots.push(h('circle', { class: `dot-${cls}`, cx: x(i), cy: y(rate), r: 3.5 },
        h('title', {}, `${week.label}: ${percent(rate)}`)));
    });
    if (d) svg.append(h('path', { class: cls, d }));
    svg.append(...dots);
  }
  const legend = h('g', {});
  legend.append(h('line', { class: 'closure', x1: L + 8, x2: L + 30, y1: H - 8, y2: H - 8 }));
  legend.append(h('text', { x: L + 34, y: H - 4 }, t('chart.closure')));
  legend.append(h('line', { class: 'ontime', x1: L + 150, x2: L + 172, y1: H - 8, y2: H - 8 }));
  legend.append(h('text', { x: L + 176, y: H - 4 }, t('chart.ontime')));
  svg.append(legend);
  container.append(svg);
}

// The last `count` ISO weeks up to the one containing `now`, oldest first. Weeks run Monday
// 00:00 to Monday 00:00 Asia/Shanghai (UTC+8, no daylight saving), as the weekly bulletin's do,
// whatever the browser's own time zone: {from, to (Dates), week: "2026-W47", label: "W47"}.
const DAY = 86400000;
const SHANGHAI = 8 * 3600000;

export function shanghaiWeeks(count, now = new Date()) {
  const local = new Date(now.getTime() + SHANGHAI);  // read with UTC getters = Shanghai wall time
  const midnight = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate());
  const monday = midnight - ((local.getUTCDay() + 6) % 7) * DAY;
  const weeks = [];
  for (let i = count - 1; i >= 0; i -= 1) {
    const start = monday - 7 * i * DAY;
    const thursday = new Date(start + 3 * DAY);  // the ISO year is the Thursday's
    const year = thursday.getUTCFullYear();
    const n = 1 + Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * DAY));
    const label = `W${String(n).padStart(2, '0')}`;
    weeks.push({ from: new Date(start - SHANGHAI), to: new Date(start + 7 * DAY - SHANGHAI), week: `${year}-${label}`, label });
  }
  return weeks;
}
