// Per-person scorecards (API.md §4 "Statistics", `GET /api/v1/stats/scorecards`): workers
// (按期处置率, 回退, 返工, 自处置), managers (准确派遣率) or residents (有效上报率) over the
// chosen window. Managers get their own grids' figures from the server.
import { h, clear, percent } from '/web/dom.js';
import { t } from '/web/i18n.js';
import { api } from './api.js';

const COLUMNS = {
  worker: [['assigned', 'n'], ['closed', 'n'], ['closed_on_time', 'n'], ['on_time_rate', '%'], ['returned', 'n'],
    ['reworked', 'n'], ['self_handled', 'n']],
  manager: [['dispatched', 'n'], ['returned', 'n'], ['dispatch_accuracy', '%']],
  resident: [['reports', 'n'], ['accepted', 'n'], ['valid_rate', '%']],
};

export class Scorecards {
  constructor(panel, { window }) {
    this.panel = panel;
    this.window = window;
    this.role = panel.querySelector('#scorecard-role');
    this.body = panel.querySelector('#scorecards-body');
    this.note = panel.querySelector('#scorecards-note');
    this.role.addEventListener('change', () => this.load());
  }

  async load() {
    const role = this.role.value;
    const { from, to } = this.window();
    this.note.textContent = '';
    try {
      const s = await api.get(`/api/v1/stats/scorecards?from=${from}&to=${to}&role=${role}`);
      if (role !== this.role.value) return;
      this.render(role, s.items);
    } catch (error) {
      if (error.status === 401) return;
      clear(this.body);
      this.note.textContent = t('stats.failed', { detail: error.message });
    }
  }

  render(role, items) {
    clear(this.body);
    if (!items.length) {
      this.note.textContent = t('scorecards.none');
      return;
    }
    const columns = COLUMNS[role];
    const rows = h('tbody', {});
    for (const item of items) {
      rows.append(h('tr', { 'data-user': item.user_id },
        h('td', {}, item.name || `#${item.user_id}`),
        ...columns.map(([key, kind]) => h('td', { class: 'num' }, kind === '%' ? percent(item[key]) : String(item[key])))));
    }
    this.body.append(h('div', { class: 'table-wrap', tabindex: 0 }, h('table', { class: 'scorecards' },
      h('thead', {}, h('tr', {}, h('th', {}, t('scorecards.person')),
        ...columns.map(([key]) => h('th', { class: 'num' }, t(`score.${key}`))))),
      rows)));
  }
}
