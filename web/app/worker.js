// The grid worker's side: my tickets, ordered by deadline light (red, yellow, green, none) and
// then by due time; live updates through the WebSocket stream re-read the list and an open ticket.
import { $, h, clear, when } from '/web/dom.js';
import { t } from '/web/i18n.js';
import { api, openStream } from './api.js';
import { refreshIfShown } from './detail.js';
import { light, statusBadge, errorMessage, categoryName } from './ui.js';

const LIGHT_ORDER = { red: 0, yellow: 1, green: 2 };
const OPEN = ['checking', 'assigned', 'in_progress', 'resolved', 'accepted', 'submitted', 'parked'];

let closeStream = null;
let reloadTimer = null;

export function start() {
  stop();
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

export async function loadTickets() {
  const list = clear($('#tickets-list'));
  let items;
  try {
    items = (await api.get('/api/v1/reports?limit=200')).items;
  } catch (error) {
    list.append(h('li', { class: 'error' }, errorMessage(error)));
    return;
  }
  const open = items.filter((r) => OPEN.includes(r.status)).sort(byUrgency);
  const done = items.filter((r) => !OPEN.includes(r.status));
  if (!open.length) list.append(h('li', { class: 'muted' }, t('tickets.empty')));
  for (const ticket of open) list.append(ticketCard(ticket));
  if (done.length) {
    list.append(h('li', { class: 'divider' }, h('h3', {}, t('tickets.done'))));
    for (const ticket of done.slice(0, 20)) list.append(ticketCard(ticket));
  }
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
