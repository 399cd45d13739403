// The weekly bulletin (一周一通报, API.md §8 `GET /api/v1/bulletins/weekly`): for a chosen ISO
// week, the grids in rank order, the overdue count, the figures of the standard's other branches
// (核实, 挂账, 自行处置, 作废) and the top reporters, and the CSV file to
// publish. Dispatchers and admins only (the server refuses managers), so it is hidden for them.
import { h, clear, percent } from '/web/dom.js';
import { t } from '/web/i18n.js';
import { api, session } from './api.js';

export class Bulletin {
  constructor(panel, { gridCode, weeks }) {
    this.panel = panel;
    this.gridCode = gridCode;
    this.weeks = weeks;
    this.select = panel.querySelector('#bulletin-week');
    this.body = panel.querySelector('#bulletin-body');
    this.note = panel.querySelector('#bulletin-note');
    this.enabled = false;
    this.select.addEventListener('change', () => this.load());
    panel.querySelector('#bulletin-csv').addEventListener('click', () => this.downloadCsv());
  }

  show(enabled) {
    this.enabled = enabled;
    this.panel.classList.toggle('hidden', !enabled);
    if (!enabled) return;
    const chosen = this.select.value;
    clear(this.select);
    const weeks = this.weeks().reverse();  // newest first
    for (const w of weeks) this.select.append(h('option', { value: w.week }, w.week));
    if (weeks.some((w) => w.week === chosen)) this.select.value = chosen;
  }

  async load() {
    if (!this.enabled || !this.select.value) return;
    const week = this.select.value;
    this.note.textContent = '';
    try {
      const b = await api.get(`/api/v1/bulletins/weekly?week=${encodeURIComponent(week)}`);
      if (week !== this.select.value) return;
      this.render(b);
    } catch (error) {
      if (error.status === 401) return;
      clear(this.body);
      this.note.textContent = t('stats.failed', { detail: error.message });
    }
  }

  render(b) {
    clear(this.body);
    const grids = h('tbody', {});
    for (const g of b.grids) {
      grids.append(h('tr', { 'data-grid-id': g.key },
        h('td', {}, String(g.rank)), h('td', { title: g.name }, h('strong', {}, this.gridCode(g.key)), ' ', h('span', { class: 'gname' }, g.name)),
        h('td', { class: 'num' }, String(g.received)), h('td', { class: 'num' }, String(g.closed)),
        h('td', { class: 'num' }, String(g.overdue_open)), h('td', { class: 'num' }, percent(g.closure_rate)),
        h('td', { class: 'num' }, percent(g.on_time_rate)), h('td', { class: 'num opt' }, percent(g.handled_rate))));
    }
    this.body.append(h('div', { class: 'table-wrap', tabindex: 0 }, h('table', { class: 'bulletin-grids' },
      h('thead', {}, h('tr', {},
        h('th', {}, '#'), h('th', {}, t('col.grid')), h('th', { class: 'num' }, t('col.received')),
        h('th', { class: 'num' }, t('col.closed')), h('th', { class: 'num' }, t('col.overdue')),
        h('th', { class: 'num' }, t('col.closure')), h('th', { class: 'num' }, t('col.ontime')),
        h('th', { class: 'num opt' }, t('col.handled')))),
      grids)));
    const total = b.total;
    this.body.append(h('p', { class: 'small' },
      t('bulletin.summary', {
        received: total.received, closed: total.closed, overdue: total.overdue_open,
        closure: percent(total.closure_rate), ontime: percent(total.on_time_rate),
      })));
    // The standard's other branches (API.md §4): 核实, 不属实, 挂账 (now), 自行处置, 作废.
    this.body.append(h('p', { class: 'small', id: 'bulletin-branches' },
      t('bulletin.branches', {
        checked: total.checked, refuted: total.refuted, parked: total.parked,
        self_handled: total.self_handled, voided: total.voided,
      })));
    if (b.top_reporters.length) {
      this.body.append(h('h3', {}, t('bulletin.top')));
      this.body.append(h('ol', { class: 'top-reporters' }, b.top_reporters.map((r) =>
        h('li', {}, `${r.display_name} · ${t('bulletin.reporter', { accepted: r.accepted, closed: r.closed })}`))));
    }
  }

  // The CSV comes from the API with the token, so it is fetched here and saved through a blob: link.
  async downloadCsv() {
    const week = this.select.value;
    this.note.textContent = '';
    const response = await fetch(`/api/v1/bulletins/weekly?week=${encodeURIComponent(week)}&format=csv`, {
      headers: { Authorization: `Bearer ${session.token}` },
    });
    if (!response.ok) {
      this.note.textContent = t('stats.failed', { detail: `HTTP ${response.status}` });
      return;
    }
    const url = URL.createObjectURL(await response.blob());
    const link = h('a', { href: url, download: `bulletin-${week}.csv`, class: 'hidden' });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }
}
