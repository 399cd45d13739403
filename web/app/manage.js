// The grid manager's (网格长) and dispatcher's side of a ticket in the app (API.md §4, the
// transition table in docs/api.md): accept or reject, send a worker to check (核实), mark a
// duplicate, assign, extend, park (挂账) / unpark, verify or send back for rework, and void (作废,
// dispatchers). Which controls show follows the table; the server still decides and its message
// is shown when it refuses. Controls that need more than a tap open as a disclosure, so a phone
// screen shows the one or two likely actions first.
import { h } from '/web/dom.js';
import { t } from '/web/i18n.js';
import { api } from './api.js';

const PARK_DEFAULT_DAYS = 7;
const NAME_WINDOW_DAYS = 90;  // the scorecards window the workers' names are read from
const MANAGED = ['submitted', 'accepted', 'assigned', 'in_progress', 'resolved', 'parked'];

// A manager acts on their grids' tickets, a dispatcher on all; an admin only voids.
export function canManage(user, report) {
  if (user.role === 'dispatcher') return true;
  return user.role === 'manager' && report.grid_id !== null && user.grid_ids.includes(report.grid_id);
}

export function canVoid(user, report) {
  return ['dispatcher', 'admin'].includes(user.role) && !['closed', 'voided'].includes(report.status);
}

// Grids (staff may read them: the workers of each, and the shapes the ticket map draws), once.
let gridsPromise = null;
export function loadGrids() {
  gridsPromise ??= api.get('/api/v1/grids').then((b) => b.items).catch(() => { gridsPromise = null; return []; });
  return gridsPromise;
}

// The API lists no users; the scorecards name the workers who did something in the last 90 days
// (managers: in their grids). Anyone else is "worker #id".
let namesPromise = null;
export function loadWorkerNames() {
  const from = new Date(Date.now() - NAME_WINDOW_DAYS * 86400e3).toISOString();
  const to = new Date(Date.now() + 86400e3).toISOString();
  namesPromise ??= api.get(`/api/v1/stats/scorecards?role=worker&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`)
    .then((b) => new Map(b.items.map((i) => [i.user_id, i.name])))
    .catch(() => new Map());
  return namesPromise;
}

export function resetCaches() {
  gridsPromise = null;
  namesPromise = null;
}

export function workerLabel(names, id) {
  return names.has(id) ? `${names.get(id)} (#${id})` : t('manage.worker', { id });
}

// The controls for `report`; `run(button, body)` sends an action and re-renders, `fail(key)` shows a
// message. Returns [] when this user has nothing to do on it.
export function managerControls(report, user, { grids, names, run, fail }) {
  const out = [];
  const grid = grids.find((g) => g.id === report.grid_id);
  const workers = grid ? grid.worker_ids : [];
  const action = (name, cls = '') => h('button', { type: 'button', class: cls, 'data-action': name }, t(`manage.${name}`));
  // A disclosure holding fields and the button that sends them; `body()` returns the action's
  // JSON, or null after saying what is missing.
  const folded = (name, fields, body, cls = '') => {
    const button = action(name, cls);
    button.addEventListener('click', () => {
      const b = body();
      if (b) run(button, b);
    });
    return h('details', { class: 'manage', 'data-manage': name }, h('summary', {}, t(`manage.${name}`)), ...fields, button);
  };
  const field = (key, input) => h('label', {}, h('span', {}, t(key)), input);
  const reasoned = (name, cls = '') => {
    const reason = h('input', { 'data-reason': name, maxlength: 500 });
    return folded(name, [field('manage.reason', reason)], () => {
      if (!reason.value.trim()) return fail('manage.needReason');
      return { action: name, reason: reason.value.trim() };
    }, cls);
  };
  const workerSelect = (attr, selected = null) => h('select', { [attr]: '' },
    workers.map((id) => h('option', { value: id, selected: id === selected }, workerLabel(names, id))));

  if (canManage(user, report) && MANAGED.includes(report.status)) {
    const s = report.status;
    if (s === 'submitted') {
      const accept = action('accept', 'big');
      accept.addEventListener('click', () => run(accept, { action: 'accept' }));
      out.push(accept, reasoned('reject', 'danger'));
      if (workers.length) {
        const select = workerSelect('data-check-worker');
        const note = h('input', { 'data-note': 'request_check', maxlength: 500 });
        out.push(folded('request_check', [field('manage.checkWorker', select), field('manage.note', note)], () => {
          const b = { action: 'request_check', worker_id: Number(select.value) };
          if (note.value.trim()) b.note = note.value.trim();
          return b;
        }));
      }
      const of = h('input', { 'data-of': '', type: 'number', min: 1, inputmode: 'numeric',
        value: report.possible_duplicates && report.possible_duplicates.length ? report.possible_duplicates[0] : '' });
      out.push(folded('mark_duplicate', [field('manage.duplicateOf', of)], () => {
        if (!(Number(of.value) > 0)) return fail('manage.needDuplicate');
        return { action: 'mark_duplicate', of: Number(of.value) };
      }));
    }
    if (s === 'resolved') {
      const verify = action('verify', 'big');
      verify.addEventListener('click', () => run(verify, { action: 'verify' }));
      out.push(verify, reasoned('rework', 'danger'));
    }
    if ((s === 'accepted' || s === 'assigned') && workers.length) {
      const select = workerSelect('data-worker', report.assignee_id);
      const assign = folded('assign', [field('manage.assignTo', select)],
        () => ({ action: 'assign', worker_id: Number(select.value) }), s === 'accepted' ? '' : 'secondary');
      if (s === 'accepted') assign.open = true;  // nobody has it: dispatching is what is due
      out.push(assign);
    }
    if (['accepted', 'assigned', 'in_progress'].includes(s)) {
      const hours = h('input', { 'data-hours': '', type: 'number', min: 1, max: 720, value: 24, inputmode: 'numeric' });
      const reason = h('input', { 'data-reason': 'extend', maxlength: 500 });
      out.push(folded('extend', [field('manage.hours', hours), field('manage.reason', reason)], () => {
        if (!reason.value.trim()) return fail('manage.needReason');
        return { action: 'extend', hours: Number(hours.value), reason: reason.value.trim() };
      }, 'secondary'));
      const until = h('input', { 'data-until': '', type: 'date', min: dayAhead(1), value: dayAhead(PARK_DEFAULT_DAYS) });
      const why = h('input', { 'data-reason': 'park', maxlength: 500 });
      out.push(folded('park', [field('manage.until', until), field('manage.reason', why)], () => {
        if (!until.value) return fail('manage.needUntil');
        if (!why.value.trim()) return fail('manage.needReason');
        // 09:00 local on the chosen day: the morning to look at it again.
        return { action: 'park', reason: why.value.trim(), until: new Date(`${until.value}T09:00`).toISOString() };
      }, 'secondary'));
    }
    if (s === 'parked') {
      const unpark = action('unpark', 'big');
      unpark.addEventListener('click', () => run(unpark, { action: 'unpark' }));
      out.push(unpark);
    }
  }
  if (canVoid(user, report)) out.push(reasoned('void', 'danger'));
  return out;
}

function dayAhead(days) {
  const d = new Date(Date.now() + days * 86400e3);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}
