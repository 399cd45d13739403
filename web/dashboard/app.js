// The dispatch-center dashboard: log-in, then the grid map, ranking, weekly chart, supervision
// list and ticket table, kept current by the WebSocket stream. Everything comes from the JSON
// API (API.md §2–§4, §8); this file wires the pieces together.
import { $, h, clear, percent, when } from '/web/dom.js';
import { initI18n, bindLangSwitch, t } from '/web/i18n.js';
import { strings } from './strings.js';
import { api, session, openStream, ApiError } from './api.js';
import { drawMap, drawLegend } from './map.js';
import { drawChart, shanghaiWeeks } from './chart.js';
import { Bulletin } from './bulletin.js';
import { CalendarEditor } from './calendar.js';
import { Scorecards } from './scorecards.js';
import { TicketView } from './ticket.js';

const STAFF = ['manager', 'dispatcher', 'admin'];
const CLOSED = new Set(['closed', 'rejected', 'duplicate', 'voided']);
const WEEKS_IN_CHART = 8;

const state = {
  me: null,
  grids: new Map(),       // id → grid (with boundary and worker_ids)
  categories: new Map(),  // code → category
  rates: new Map(),       // grid id → closure rate in the ranking's window
  tickets: [],
  stopStream: null,
  ticketView: null,
  bulletin: null,
  scorecards: null,
  calendar: null,
};

const rfc3339 = (date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

function showLogin(message = '') {
  if (state.stopStream) state.stopStream();
  state.stopStream = null;
  state.me = null;
  $('#app').classList.add('hidden');
  $('#logout').classList.add('hidden');
  $('#live').classList.add('hidden');
  $('#login').classList.remove('hidden');
  $('#who').textContent = '';
  $('#login-error').textContent = message;
  if (state.ticketView) state.ticketView.close();
}

async function logIn(event) {
  event.preventDefault();
  const button = $('#login-button');
  button.disabled = true;
  $('#login-error').textContent = '';
  delete $('#login-error').dataset.i18n;
  try {
    const { token, user } = await api.post('/api/v1/auth/login', { phone: $('#phone').value.trim(), password: $('#password').value });
    if (!STAFF.includes(user.role)) {
      session.token = token;
      await api.post('/api/v1/auth/logout').catch(() => {});
      session.token = null;
      $('#login-error').textContent = t('login.staffOnly');
      $('#login-error').dataset.i18n = 'login.staffOnly';  // follows a language switch
      return;
    }
    session.token = token;
    $('#password').value = '';
    await start();
  } catch (error) {
    $('#login-error').textContent = error.message;
  } finally {
    button.disabled = false;
  }
}

async function logOut() {
  await api.post('/api/v1/auth/logout').catch(() => {});
  session.token = null;
  showLogin();
}

async function start() {
  state.me = await api.get('/api/v1/me');
  if (!STAFF.includes(state.me.role)) {
    session.token = null;
    showLogin(t('login.staffOnly'));
    return;
  }
  const [grids, categories] = await Promise.all([api.get('/api/v1/grids'), api.get('/api/v1/categories')]);
  state.grids = new Map(grids.items.map((g) => [g.id, g]));
  state.categories = new Map(categories.items.map((c) => [c.code, c]));
  $('#login').classList.add('hidden');
  $('#app').classList.remove('hidden');
  $('#logout').classList.remove('hidden');
  $('#who').textContent = `${state.me.display_name} · ${state.me.role}`;
  state.bulletin.show(['dispatcher', 'admin'].includes(state.me.role));
  $('#scorecards').classList.remove('hidden');
  state.calendar.show(state.me.role === 'admin');
  await Promise.all([loadRanking(), loadSupervision(), loadTickets(), loadChart(), state.bulletin.load(),
    state.scorecards.load(), state.calendar.load()]);
  state.stopStream = openStream(onLiveUpdate, (up) => $('#live').classList.toggle('hidden', !up));
}

// Grids this user oversees: all for dispatchers and admins, a manager's own otherwise.
function myGrids() {
  const all = [...state.grids.values()];
  return state.me.role === 'manager' ? all.filter((g) => state.me.grid_ids.includes(g.id)) : all;
}

function statsKeyToGridId(key) {
  if (typeof key === 'number') return key;
  for (const grid of state.grids.values()) if (grid.code === key || String(grid.id) === String(key)) return grid.id;
  return null;
}

// The ranking's window as RFC 3339 bounds (the scorecards use it too).
function rankingWindow() {
  const days = Number($('#window').value);
  const to = new Date(Date.now() + 1000);
  const from = new Date(to.getTime() - days * 86400000);
  return { from: rfc3339(from), to: rfc3339(to) };
}

async function loadRanking() {
  const days = Number($('#window').value);
  const to = new Date(Date.now() + 1000);
  const from = new Date(to.getTime() - days * 86400000);
  const figures = new Map();
  $('#ranking-note').textContent = '';
  try {
    const stats = await api.get(`/api/v1/stats/closure?from=${rfc3339(from)}&to=${rfc3339(to)}&group_by=grid`);
    for (const group of stats.groups) {
      const id = statsKeyToGridId(group.key);
      if (id !== null) figures.set(id, group);
    }
  } catch (error) {
    if (error.status === 401) return;
    $('#ranking-note').textContent = t('stats.unavailable', { detail: error.message });
  }
  state.rates = new Map([...figures].map(([id, f]) => [id, f.closure_rate]));
  // Ranked by closure rate (null last: nothing was due), then by volume.
  const rows = myGrids().map((grid) => ({ grid, f: figures.get(grid.id) }));
  rows.sort((a, b) => {
    const ra = a.f ? a.f.closure_rate : null, rb = b.f ? b.f.closure_rate : null;
    if (ra !== rb) return rb === null ? -1 : ra === null ? 1 : rb - ra;
    return (b.f ? b.f.received : 0) - (a.f ? a.f.received : 0) || a.grid.code.localeCompare(b.grid.code);
  });
  const body = clear($('#ranking tbody'));
  rows.forEach(({ grid, f }, i) => {
    const n = (v) => (f ? String(v) : '—');
    body.append(h('tr', { 'data-grid': grid.code },
      h('td', {}, String(i + 1)), h('td', { title: grid.name }, h('strong', {}, grid.code), ' ', h('span', { class: 'gname' }, grid.name)),
      h('td', { class: 'num' }, n(f && f.received)), h('td', { class: 'num' }, n(f && f.closed)),
      h('td', { class: 'num' }, n(f && f.overdue_open)),
      h('td', { class: 'num' }, f ? percent(f.closure_rate) : '—'), h('td', { class: 'num' }, f ? percent(f.on_time_rate) : '—')));
  });
  redrawMap();
}

async function loadSupervision() {
  const body = clear($('#supervision tbody'));
  $('#supervision-note').textContent = '';
  try {
    const { items } = await api.get('/api/v1/supervision?limit=200');
    for (const r of items) {
      const row = h('tr', { class: 'clickable', 'data-ticket': r.id, onclick: () => openTicket(r.id) },
        h('td', {}, `#${r.id}`), h('td', {}, categoryName(r.category)), h('td', {}, gridCode(r.grid_id)),
        h('td', {}, t(`status.${r.status}`)), h('td', { class: 'num' }, Number(r.hours_overdue).toFixed(1)));
      body.append(row);
    }
    if (!items.length) $('#supervision-note').textContent = t('supervision.none');
  } catch (error) {
    if (error.status !== 401) $('#supervision-note').textContent = t('stats.failed', { detail: error.message });
  }
}

async function loadChart() {
  const weeks = shanghaiWeeks(WEEKS_IN_CHART);
  try {
    const totals = await Promise.all(weeks.map((w) =>
      api.get(`/api/v1/stats/closure?from=${rfc3339(w.from)}&to=${rfc3339(w.to)}&group_by=none`)));
    totals.forEach((s, i) => Object.assign(weeks[i], { closure_rate: s.total.closure_rate, on_time_rate: s.total.on_time_rate }));
    drawChart($('#chart'), weeks);
  } catch (error) {
    if (error.status === 401) return;
    clear($('#chart')).append(h('p', { class: 'muted' }, t('stats.failed', { detail: error.message })));
  }
}

async function loadTickets() {
  const filter = $('#status-filter').value;
  const query = ['open', 'all'].includes(filter) ? '' : `&status=${filter}`;
  const { items } = await api.get(`/api/v1/reports?limit=200${query}`);
  state.tickets = items;
  renderTickets();
  redrawMap();
}

function categoryName(code) {
  const c = state.categories.get(code);
  return c ? c.name : code;
}

function gridCode(id) {
  const grid = state.grids.get(id);
  return grid ? grid.code : t('grid.none');
}

function renderTickets(flashId = null) {
  const filter = $('#status-filter').value;
  const shown = state.tickets.filter((r) => filter !== 'open' || !CLOSED.has(r.status));
  const body = clear($('#tickets tbody'));
  for (const r of shown) {
    const light = r.deadline_light ? h('span', { class: `badge ${r.deadline_light}` }, when(r.deadline_at)) : when(r.deadline_at);
    body.append(h('tr', { class: `clickable${r.id === flashId ? ' flash' : ''}`, 'data-ticket': r.id, 'data-status': r.status, onclick: () => openTicket(r.id) },
      h('td', {}, `#${r.id}`), h('td', {}, h('span', { class: 'badge' }, t(`status.${r.status}`))),
      h('td', {}, categoryName(r.category)), h('td', {}, gridCode(r.grid_id)),
      h('td', { class: 'desc opt' }, r.description), h('td', { class: 'opt' }, when(r.created_at)), h('td', {}, light)));
  }
  if (!shown.length) body.append(h('tr', {}, h('td', { colspan: 7, class: 'muted' }, t('tickets.none'))));
}

function redrawMap() {
  const open = state.tickets.filter((r) => !CLOSED.has(r.status));
  drawMap($('#map'), { grids: [...state.grids.values()], rates: state.rates, tickets: open, onTicket: openTicket });
  drawLegend($('#legend'));
}

async function openTicket(id) {
  try {
    await state.ticketView.open(id);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) alert(error.message);
  }
}

// Live updates: the changed ticket row is refreshed at once; the figures are reloaded after a
// short pause so that a burst of updates costs one round of statistics requests.
let figuresTimer = null;
async function onLiveUpdate(message) {
  if (!message || !message.report_id) return;
  try {
    const fresh = await api.get(`/api/v1/reports/${message.report_id}`);
    const i = state.tickets.findIndex((r) => r.id === fresh.id);
    if (i >= 0) state.tickets[i] = fresh;
    else state.tickets.unshift(fresh);
    renderTickets(fresh.id);
    redrawMap();
    await state.ticketView.refresh(fresh.id);
  } catch {
    // the ticket may no longer be visible to us; the next reload settles it
  }
  clearTimeout(figuresTimer);
  figuresTimer = setTimeout(() => Promise.all([loadRanking(), loadSupervision(), loadChart(), state.bulletin.load()]).catch(() => {}), 1500);
}

function rerender() {
  if (!state.me) return;
  $('#who').textContent = `${state.me.display_name} · ${state.me.role}`;
  renderTickets();
  loadRanking();
  loadSupervision();
  loadChart();
  state.bulletin.load();
  const view = state.ticketView;
  if (view.dialog.open && view.shown) view.render(view.shown, '');
}

function main() {
  initI18n(strings);
  bindLangSwitch($('#lang'));
  document.addEventListener('langchange', rerender);
  session.onUnauthorized = () => showLogin();
  state.ticketView = new TicketView($('#ticket'), {
    get me() { return state.me; },
    get grids() { return state.grids; },
    get categories() { return state.categories; },
    onChanged: (fresh) => {
      const i = state.tickets.findIndex((r) => r.id === fresh.id);
      if (i >= 0) state.tickets[i] = fresh;
      renderTickets(fresh.id);
      redrawMap();
    },
  });
  state.bulletin = new Bulletin($('#bulletin'), { gridCode, weeks: () => shanghaiWeeks(WEEKS_IN_CHART) });
  state.scorecards = new Scorecards($('#scorecards'), { window: rankingWindow });
  state.calendar = new CalendarEditor($('#calendar'));
  $('#login-form').addEventListener('submit', logIn);
  $('#logout').addEventListener('click', logOut);
  $('#window').addEventListener('change', () => Promise.all([loadRanking(), state.scorecards.load()]));
  $('#status-filter').addEventListener('change', loadTickets);
  if (session.token) start().catch((error) => showLogin(error.message));
  else showLogin();
}

main();
