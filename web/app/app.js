// The residents' and grid workers' app (docs/web.md, "/app/"): one page, hash-routed screens;
// the role of whoever logs in decides which side shows (residents: report, my reports, points,
// exchanges; workers and managers: their tickets). Installable: manifest and service worker.
import { $ } from '/web/dom.js';
import { initI18n, bindLangSwitch, t } from '/web/i18n.js';
import { strings } from './strings.js';
import { api, session } from './api.js';
import { say, loadCategories } from './ui.js';
import * as resident from './resident.js';
import * as points from './points.js';
import * as worker from './worker.js';
import { showDetail } from './detail.js';
import { resetCaches } from './manage.js';
import { useOwner } from './outbox.js';

const state = { user: null, registering: false };

function isResident() {
  return state.user && state.user.role === 'resident';
}

function show(id) {
  for (const screen of document.querySelectorAll('.screen')) screen.classList.toggle('hidden', screen.id !== id);
  for (const link of document.querySelectorAll('nav.tabs a'))
    link.toggleAttribute('aria-current', link.getAttribute('href') === location.hash.split('/').slice(0, 2).join('/'));
  window.scrollTo(0, 0);
}

// #/report, #/mine, #/points, #/rewards, #/tickets, #/r/<id> (a report or ticket in full).
async function route() {
  if (!state.user) {
    show('screen-login');
    return;
  }
  const [, name, id] = location.hash.split('/');
  const home = isResident() ? 'report' : 'tickets';
  // A worker also reports what they fixed on patrol (自行处置, API.md §4) through the report form.
  const screens = isResident() ? ['report', 'mine', 'points', 'rewards', 'r']
    : ['tickets', 'r', ...(state.user.role === 'worker' ? ['report'] : [])];
  const target = screens.includes(name) ? name : home;
  if (target !== name) {
    location.replace(`#/${home}`);
    return;
  }
  if (target !== 'points') points.hideCode();
  show(target === 'r' ? 'screen-detail' : `screen-${target}`);
  try {
    if (target === 'report') await resident.openReportForm();
    else if (target === 'mine') await resident.loadMine();
    else if (target === 'points') await points.loadPoints();
    else if (target === 'rewards') await points.loadRewards();
    else if (target === 'tickets') await worker.loadTickets();
    else if (target === 'r') await showDetail(Number(id), state.user, '');
  } catch (error) {
    say('#fatal', null, error.message);
  }
}

async function signedIn(user) {
  state.user = user;
  await loadCategories();
  $('#logout').classList.remove('hidden');
  $('#tabs-resident').classList.toggle('hidden', !isResident());
  $('#tabs-worker').classList.toggle('hidden', isResident());
  document.body.classList.add('signed-in');
  resident.start(user);  // the report form and its outbox (a worker's self-handled reports too)
  if (!isResident()) worker.start(user);
  $('#tab-self-handled').classList.toggle('hidden', user.role !== 'worker');
  route();
}

function signedOut() {
  state.user = null;
  useOwner(null);  // nobody's waiting reports are sent until someone signs in
  worker.stop();
  resetCaches();
  $('#logout').classList.add('hidden');
  $('#tabs-resident').classList.add('hidden');
  $('#tabs-worker').classList.add('hidden');
  document.body.classList.remove('signed-in');
  if (location.hash) history.replaceState(null, '', location.pathname);
  route();
}

function toggleRegister() {
  state.registering = !state.registering;
  $('#name-row').classList.toggle('hidden', !state.registering);
  $('#login-name').required = state.registering;
  $('#login-password').autocomplete = state.registering ? 'new-password' : 'current-password';
  const keys = state.registering
    ? ['register.title', 'register.submit', 'register.toLogin'] : ['login.title', 'login.submit', 'login.toRegister'];
  for (const [selector, key] of [['#login-title', keys[0]], ['#login-submit', keys[1]], ['#login-switch', keys[2]]]) {
    $(selector).dataset.i18n = key;
    $(selector).textContent = t(key);
  }
  say('#login-error');
}

async function submitLogin(event) {
  event.preventDefault();
  say('#login-error');
  const phone = $('#login-phone').value.trim();
  const password = $('#login-password').value;
  $('#login-submit').disabled = true;
  try {
    const body = state.registering
      ? await api.post('/api/v1/auth/register', { phone, password, display_name: $('#login-name').value.trim() })
      : await api.post('/api/v1/auth/login', { phone, password });
    session.token = body.token;
    $('#login-password').value = '';
    await signedIn(body.user);
  } catch (error) {
    const known = { 401: 'login.wrong', 409: 'register.taken', 429: 'login.locked' };
    if (error instanceof TypeError) say('#login-error', 'login.offline');
    else say('#login-error', known[error.status] || null, error.message);
  } finally {
    $('#login-submit').disabled = false;
  }
}

// The session ends on the phone at once, before the server is told (which may take long, or never
// answer offline): nothing more goes out under it, not even a waiting report when the network returns.
async function logout() {
  const token = session.token;
  session.token = null;
  signedOut();
  try {
    await api.post('/api/v1/auth/logout', {}, { Authorization: `Bearer ${token}` });
  } catch {
    // the token is gone from this phone whatever the server answered
  }
}

function watchNetwork() {
  const update = () => $('#offline').classList.toggle('hidden', navigator.onLine);
  window.addEventListener('online', update);
  window.addEventListener('offline', update);
  update();
}

async function main() {
  initI18n(strings);
  bindLangSwitch($('#lang'));
  document.addEventListener('langchange', () => {
    if (state.user) route();
  });
  watchNetwork();
  $('#login-form').addEventListener('submit', submitLogin);
  $('#login-switch').addEventListener('click', toggleRegister);
  $('#logout').addEventListener('click', logout);
  $('#detail-back').addEventListener('click', () => history.back());
  window.addEventListener('hashchange', route);
  resident.bind();
  points.bind();
  session.onUnauthorized = signedOut;
  if ('serviceWorker' in navigator) navigator.serviceWorker.register('sw.js').catch(() => {});
  if (!session.token) {
    signedOut();
    return;
  }
  try {
    await signedIn(await api.get('/api/v1/me'));
  } catch (error) {
    if (error instanceof TypeError) say('#fatal', 'login.offline');
    signedOut();
  }
}

main();
