// The ticket view: facts, photos (thumbnails fetched with the token), the timeline, and the
// actions this user may take from the ticket's status (API.md §4's table). The server decides
// in the end; the buttons shown only spare people actions that would be refused.
import { h, clear, when } from '/web/dom.js';
import { t, applyI18n } from '/web/i18n.js';
import { api, photoUrl } from './api.js';

const CLOSED = new Set(['closed', 'rejected', 'duplicate', 'voided']);

function canManage(me, ticket) {
  if (me.role === 'dispatcher') return true;
  return me.role === 'manager' && ticket.grid_id !== null && me.grid_ids.includes(ticket.grid_id);
}

function gridName(grids, id) {
  if (id === null || id === undefined) return t('grid.none');
  const grid = grids.get(id);
  return grid ? `${grid.code} ${grid.name}` : `#${id}`;
}

function fact(label, value) {
  return [h('dt', {}, t(label)), h('dd', {}, value)];
}

export class TicketView {
  constructor(dialog, context) {
    this.dialog = dialog;
    this.context = context;  // { me, grids: Map, categories: Map, onChanged(report) }
    this.title = dialog.querySelector('#ticket-title');
    this.body = dialog.querySelector('#ticket-body');
    this.objectUrls = [];
    dialog.querySelector('#ticket-close').addEventListener('click', () => this.close());
    dialog.addEventListener('close', () => this.releasePhotos());
    this.ticketId = null;
  }

  close() {
    this.ticketId = null;
    if (this.dialog.open) this.dialog.close();
  }

  releasePhotos() {
    for (const url of this.objectUrls) URL.revokeObjectURL(url);
    this.objectUrls = [];
  }

  async open(id) {
    this.ticketId = id;
    const report = await api.get(`/api/v1/reports/${id}`);
    if (this.ticketId !== id) return;
    this.render(report, '');
    if (!this.dialog.open) this.dialog.showModal();
  }

  // Called on a live update for the ticket on screen. Re-rendered only when the ticket really
  // changed (an update caused by this page's own action is already on screen), so that what the
  // user is typing into an action form is not wiped for nothing.
  async refresh(id) {
    if (this.ticketId === id && this.dialog.open) {
      const report = await api.get(`/api/v1/reports/${id}`);
      if (this.ticketId !== id || this.sameAsShown(report)) return;
      this.render(report, '');
    }
  }

  sameAsShown(report) {
    const shown = this.shown;
    return Boolean(shown) && shown.id === report.id && shown.status === report.status &&
      (shown.events || []).length === (report.events || []).length && shown.photos.length === report.photos.length;
  }

  render(report, message) {
    const { me, grids, categories } = this.context;
    this.shown = report;
    this.releasePhotos();
    this.title.textContent = t('ticket.title', { id: report.id });
    clear(this.body);
    const category = categories.get(report.category);
    const light = report.deadline_light ? h('span', { class: `badge ${report.deadline_light}` }, report.overdue ? t('overdue') : report.deadline_light) : null;
    this.body.append(h('dl', { class: 'facts' },
      fact('ticket.status', h('span', { class: 'badge', 'data-status': report.status }, t(`status.${report.status}`))),
      fact('ticket.category', category ? category.name : report.category),
      fact('ticket.grid', gridName(grids, report.grid_id)),
      fact('ticket.assignee', report.assignee_id ? t('worker', { id: report.assignee_id }) : t('unassigned')),
      fact('ticket.address', report.address || '—'),
      // lat/lon are null for a report placed by address only (Open311): it has no position yet.
      fact('ticket.location', report.lat === null ? '—' : `${report.lat.toFixed(5)}, ${report.lon.toFixed(5)}`),
      fact('ticket.created', when(report.created_at)),
      fact('ticket.deadline', [when(report.deadline_at), ' ', light]),
      fact('ticket.reworks', String(report.rework_count)),
      report.parked_until ? fact('ticket.parkedUntil', when(report.parked_until)) : [],
      report.check_deadline_at && report.status === 'checking' ? fact('ticket.checkDeadline', when(report.check_deadline_at)) : [],
      report.verified ? fact('ticket.verified', '✓') : [],
      report.self_handled ? fact('ticket.selfHandled', '✓') : [],
      report.possible_duplicates.length ? fact('ticket.duplicates', report.possible_duplicates.map((d) => `#${d}`).join(', ')) : [],
      fact('ticket.description', report.description)));

    const photos = h('div', { class: 'photos' });
    this.body.append(h('h3', { 'data-i18n': 'ticket.photos' }), photos);
    for (const photo of report.photos) {
      const img = h('img', { alt: `${t(`photo.${photo.stage}`)} #${photo.id}`, 'data-photo': photo.id, width: 140, height: 105 });
      photos.append(h('figure', {}, img, h('figcaption', {}, t(`photo.${photo.stage}`))));
      photoUrl(photo.id).then((url) => {
        this.objectUrls.push(url);
        img.src = url;
      }).catch(() => img.classList.add('broken'));
    }

    const timeline = h('ol', { class: 'timeline' });
    for (const event of report.events || []) {
      timeline.append(h('li', { 'data-event': event.action },
        h('strong', {}, t(`event.${event.action}`)), ' ',
        h('span', { class: 'muted' }, `${when(event.at)} · ${event.actor_id ? t('by', { id: event.actor_id }) : ''}`),
        event.note ? h('div', {}, event.note) : null));
    }
    this.body.append(h('h3', { 'data-i18n': 'ticket.timeline' }), timeline);
    this.body.append(this.actions(report, message, me));
    applyI18n(this.body);
  }

  actions(report, message, me) {
    const box = h('div', { class: 'actions' }, h('h3', { 'data-i18n': 'ticket.actions' }));
    const status = h('p', { class: message ? 'done' : 'error', id: 'action-message', role: 'status' }, message);
    const run = async (button, body) => {
      button.disabled = true;
      status.textContent = '';
      status.className = 'error';
      try {
        await api.post(`/api/v1/reports/${report.id}/actions`, body);
        const fresh = await api.get(`/api/v1/reports/${report.id}`);
        this.render(fresh, t('action.done', { action: t(`action.${body.action}`) }));
        this.context.onChanged(fresh);
      } catch (error) {
        status.textContent = error.message;
        button.disabled = false;
      }
    };
    const simple = (action) => {
      const button = h('button', { 'data-action': action, type: 'button' }, t(`action.${action}`));
      button.addEventListener('click', () => run(button, { action }));
      return button;
    };
    const withReason = (action, cls) => {
      const input = h('input', { type: 'text', 'data-reason': action, placeholder: t('action.reason') });
      const button = h('button', { 'data-action': action, type: 'button', class: cls }, t(`action.${action}`));
      button.addEventListener('click', () => {
        if (!input.value.trim()) { status.className = 'error'; status.textContent = t('action.needReason'); return; }
        run(button, { action, reason: input.value.trim() });
      });
      return h('div', { class: 'row' }, input, button);
    };

    const rows = [];
    if (canManage(me, report) && !CLOSED.has(report.status)) {
      if (report.status === 'submitted') {
        rows.push(h('div', { class: 'row' }, simple('accept')), withReason('reject', 'danger'));
      }
      if (report.status === 'accepted' || report.status === 'assigned') {
        const grid = this.context.grids.get(report.grid_id);
        const workers = grid ? grid.worker_ids : [];
        const select = h('select', { 'data-worker': '', 'aria-label': t('action.worker') },
          workers.map((id) => h('option', { value: id, selected: id === report.assignee_id }, t('worker', { id }))));
        const button = h('button', { 'data-action': 'assign', type: 'button' }, t('action.assign'));
        button.addEventListener('click', () => run(button, { action: 'assign', worker_id: Number(select.value) }));
        if (workers.length) rows.push(h('div', { class: 'row' }, select, button));
      }
      if (['accepted', 'assigned', 'in_progress'].includes(report.status)) {
        const hours = h('input', { type: 'number', min: 1, max: 720, value: 24, 'data-hours': '', 'aria-label': t('action.hours') });
        const reason = h('input', { type: 'text', 'data-reason': 'extend', placeholder: t('action.reason') });
        const button = h('button', { 'data-action': 'extend', type: 'button', class: 'secondary' }, t('action.extend'));
        button.addEventListener('click', () => {
          if (!reason.value.trim()) { status.className = 'error'; status.textContent = t('action.needReason'); return; }
          run(button, { action: 'extend', hours: Number(hours.value), reason: reason.value.trim() });
        });
        rows.push(h('div', { class: 'row' }, hours, h('span', {}, t('action.hours')), reason, button));
      }
      if (report.status === 'resolved') {
        rows.push(h('div', { class: 'row' }, simple('verify')), withReason('rework', 'danger'));
      }
      if (report.status === 'submitted') {  // 核实: a worker of the grid goes to look
        const grid = this.context.grids.get(report.grid_id);
        const workers = grid ? grid.worker_ids : [];
        const select = h('select', { 'data-check-worker': '', 'aria-label': t('action.worker') },
          workers.map((id) => h('option', { value: id }, t('worker', { id }))));
        const button = h('button', { 'data-action': 'request_check', type: 'button', class: 'secondary' }, t('action.request_check'));
        button.addEventListener('click', () => run(button, { action: 'request_check', worker_id: Number(select.value) }));
        if (workers.length) rows.push(h('div', { class: 'row' }, select, button));
      }
      if (['accepted', 'assigned', 'in_progress'].includes(report.status)) {  // 挂账
        const until = h('input', { type: 'date', 'data-until': '', 'aria-label': t('action.until') });
        const reason = h('input', { type: 'text', 'data-reason': 'park', placeholder: t('action.reason') });
        const button = h('button', { 'data-action': 'park', type: 'button', class: 'secondary' }, t('action.park'));
        button.addEventListener('click', () => {
          if (!reason.value.trim() || !until.value) { status.className = 'error'; status.textContent = t('action.needReason'); return; }
          run(button, { action: 'park', reason: reason.value.trim(), until: `${until.value}T00:00:00Z` });
        });
        rows.push(h('div', { class: 'row' }, h('span', {}, t('action.until')), until, reason, button));
      }
      if (report.status === 'parked') rows.push(h('div', { class: 'row' }, simple('unpark')));
    }
    // 作废: dispatchers and admins, from every status but closed.
    if (['dispatcher', 'admin'].includes(me.role) && report.status !== 'closed' && report.status !== 'voided') {
      rows.push(withReason('void', 'danger'));
    }
    if (!rows.length) rows.push(h('p', { class: 'muted' }, t('ticket.noActions')));
    box.append(...rows, status);
    return box;
  }
}
