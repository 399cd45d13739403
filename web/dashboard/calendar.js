// The city's working calendar (API.md §4 "Working-time deadlines"): read by every staff role,
// edited by the admin (`PUT /api/v1/admin/work-calendar`). The server validates; its
// `invalid_field` error names the field, shown next to the form.
import { t } from '/web/i18n.js';
import { api } from './api.js';

const list = (text) => text.split(/[\s,，]+/).map((s) => s.trim()).filter(Boolean);

export class CalendarEditor {
  constructor(panel) {
    this.panel = panel;
    this.form = panel.querySelector('#calendar-form');
    this.note = panel.querySelector('#calendar-note');
    this.fields = {
      timezone: panel.querySelector('#cal-timezone'),
      work_periods: panel.querySelector('#cal-periods'),
      weekend: panel.querySelector('#cal-weekend'),
      holidays: panel.querySelector('#cal-holidays'),
      extra_workdays: panel.querySelector('#cal-extra'),
    };
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.save();
    });
  }

  show(editable) {
    this.panel.classList.toggle('hidden', false);
    for (const input of Object.values(this.fields)) input.readOnly = !editable;
    this.panel.querySelector('#cal-save').classList.toggle('hidden', !editable);
  }

  async load() {
    try {
      this.fill(await api.get('/api/v1/work-calendar'));
    } catch (error) {
      if (error.status !== 401) this.note.textContent = t('stats.failed', { detail: error.message });
    }
  }

  fill(c) {
    this.fields.timezone.value = c.timezone;
    this.fields.work_periods.value = c.work_periods.map(([a, b]) => `${a}-${b}`).join(', ');
    this.fields.weekend.value = c.weekend.join(', ');
    this.fields.holidays.value = c.holidays.join(', ');
    this.fields.extra_workdays.value = c.extra_workdays.join(', ');
  }

  async save() {
    this.note.textContent = '';
    const body = {
      timezone: this.fields.timezone.value.trim(),
      work_periods: list(this.fields.work_periods.value).map((p) => p.split('-')),
      weekend: list(this.fields.weekend.value).map(Number),
      holidays: list(this.fields.holidays.value),
      extra_workdays: list(this.fields.extra_workdays.value),
    };
    try {
      this.fill(await api.put('/api/v1/admin/work-calendar', body));
      this.note.textContent = t('calendar.saved');
    } catch (error) {
      if (error.status !== 401) this.note.textContent = t('calendar.invalid', { detail: error.message });
    }
  }
}
