// The staff side: a worker's tickets (those assigned to them), a manager's (their grids') or a
// dispatcher's (all), open ones ordered by deadline light (red, yellow, green, none) and then by
// due time; for managers and dispatchers the ones waiting for their decision (to accept, to
// verify) come first. Live updates through the WebSocket stream re-read the list and an open ticket.
import { $, h, clear, when } from '/web/dom.js';
import { t } from '/web/i18n.js';
import { api, openStream } from './api.js';
import { refreshIfShown } from './detail.js';
import { loadGrids } from './manage.js';
import { light, statusBadge, errorMessage, categoryName } from './ui.js';

const LIGHT_ORDER = { red: 0, yellow: 1, green: 2 };
const OPEN = ['checking', 'assigned', 'in_progress', 'resolved', 'accepted', 'submitted', 'parked'];

const WAITING_FOR_DECISION = ['submitted', 'resolved'];  // accept or reject; verify or rework
const DONE_SHOWN = 20;

let closeStream = null;
let reloadTimer = null;
let me = { role: 'worker', grid_ids: [], display_name: '' };

export function start(user) {
  stop();
  me = user;
  closeStream = openStream((message) => {
    if (!message.report_id) return;
    refreshIfShown(message.report_id).catch(() => {});
    // A burst of messages costs one re-read of the list.
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(() => {
      if (!$('#screen-tickets').classList.contains('hidden')) loadTickets().catch(() => {});
    }, 300);
  }, (up) => $('#live').classList.toggle('hidden', !up));
}

export function stop() {
  if (closeStream) closeStream();
  closeStream = null;
  $('#live').classList.add('hidden');
}

export function byUrgency(a, b) {
  const la = LIGHT_ORDER[a.deadline_light] ?? 3;
  const lb = LIGHT_ORDER[b.deadline_light] ?? 3;
  if (la !== lb) return la - lb;
  const da = a.deadline_at ? Date.parse(a.deadline_at) : Infinity;
  const db = b.deadline_at ? Date.parse(b.deadline_at) : Infinity;
  if (da !== db) return da - db;
  return a.id - b.id;
}

// Who is looking, and over which grids: "网格长 · 网格 MZ-01、MZ-02".
async function showWho() {
  const grids = await loadGrids();
  const codes = me.grid_ids.map((id) => (grids.find((g) => g.id === id) || { code: `#${id}` }).code);
  $('#tickets-who').textContent = [t(`who.${me.role}`), me.display_name,
    codes.length ? `${t('who.grids')} ${codes.join('、')}` : ''].filter(Boolean).join(' · ');
}

export async function loadTickets() {
  showWho().catch(() => {});
  const list = clear($('#tickets-list'));
  let items;
  try {
    items = (await api.get('/api/v1/reports?limit=200')).items;
  } catch (error) {
    list.append(h('li', { class: 'error' }, errorMessage(error)));
    return;
  }
  const deciding = me.role === 'worker' ? [] : items.filter((r) => WAITING_FOR_DECISION.includes(r.status)).sort(byUrgency);
  const open = items.filter((r) => OPEN.includes(r.status) && !deciding.includes(r)).sort(byUrgency);
  const done = items.filter((r) => !OPEN.includes(r.status));
  const group = (key, tickets) => {
    if (!tickets.length) return;
    list.append(h('li', { class: 'divider' }, h('h3', {}, t(key, { n: tickets.length }))));
    for (const ticket of tickets) list.append(ticketCard(ticket));
  };
  if (!open.length && !deciding.length) list.append(h('li', { class: 'muted' }, t('tickets.empty')));
  group('tickets.deciding', deciding);
  if (deciding.length) group('tickets.open', open);
  else for (const ticket of open) list.append(ticketCard(ticket));
  group('tickets.done', done.slice(0, DONE_SHOWN));
}

function ticketCard(ticket) {
  return h('li', { class: `card light-${ticket.deadline_light || 'none'}` },
    h('a', { href: `#/r/${ticket.id}`, class: 'card-link', 'data-ticket': ticket.id },
      h('span', { class: 'row' }, h('strong', {}, `#${ticket.id}`), statusBadge(ticket.status), light(ticket),
        ticket.overdue ? h('span', { class: 'badge red' }, t('overdue')) : null),
      h('span', { class: 'desc' }, ticket.description),
      h('span', { class: 'small muted' },
        `${categoryName(ticket.category)}${ticket.deadline_at ? ` · ${t('tickets.due')} ${when(ticket.deadline_at)}` : ''}`),
      ticket.address ? h('span', { class: 'small muted' }, ticket.address) : null));
}
