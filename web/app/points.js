// The resident's points (三记: balance, merit, honour stars), the ledger, the one-time code for
// the honour supermarket as a QR code with its countdown, and the exchanges (四兑): the goods
// catalogue (redeemed at the till), honour rewards, donations, credit with its certificate.
import { $, h, clear, when } from '/web/dom.js';
import { t } from '/web/i18n.js';
import qrcode from '/web/vendor/qrcode-generator-2.0.4.mjs';
import { api } from './api.js';
import { say, errorMessage, newKey } from './ui.js';

const MAX_STARS = 10;
const QR_QUIET_MODULES = 4;  // the white margin scanners need around the code

const code = { timer: null, expires: 0 };

export function bind() {
  $('#qr-show').addEventListener('click', showCode);
  $('#donate-form').addEventListener('submit', donate);
  $('#credit-form').addEventListener('submit', exchangeCredit);
  $('#certificate-show').addEventListener('click', showCertificate);
  $('#rewards-honour').addEventListener('click', (event) => {
    const button = event.target.closest('button[data-sku]');
    if (button) exchangeHonour(button);
  });
}

export async function loadPoints() {
  const [p, ledger] = await Promise.all([api.get('/api/v1/me/points'), api.get('/api/v1/me/points/ledger?limit=100')]);
  $('#points-balance').textContent = String(p.balance);
  const stars = p.honour.stars;
  $('#points-stars').textContent = '★'.repeat(stars) + '☆'.repeat(MAX_STARS - stars);
  $('#points-stars').setAttribute('aria-label', t('points.stars', { n: stars }));
  $('#points-stars').setAttribute('role', 'img');
  const facts = clear($('#points-facts'));
  const add = (key, value) => facts.append(h('dt', {}, t(key)), h('dd', {}, String(value)));
  add('points.title.honour', p.honour.title || '—');
  if (p.honour.next_stars_at !== null && p.honour.next_stars_at !== undefined) add('points.next', p.honour.next_stars_at);
  add('points.lifetime', p.lifetime_earned);
  add('points.accepted', p.merit.reports_accepted);
  add('points.closed', p.merit.reports_closed);
  add('points.credit', p.credit_score);
  const list = clear($('#ledger'));
  if (!ledger.items.length) list.append(h('li', { class: 'muted' }, t('ledger.empty')));
  for (const row of ledger.items)
    list.append(h('li', {},
      h('span', {}, t(`ledger.${row.kind}`), h('br'), h('span', { class: 'small muted' }, when(row.at))),
      h('span', { class: row.amount >= 0 ? 'plus' : 'minus' }, `${row.amount > 0 ? '+' : ''}${row.amount}`)));
}

// Draws the token as a QR code on the canvas, module by module, with the quiet zone.
function drawQr(token) {
  const qr = qrcode(0, 'M');
  qr.addData(token);
  qr.make();
  const canvas = $('#qr-canvas');
  const modules = qr.getModuleCount() + 2 * QR_QUIET_MODULES;
  const cell = Math.floor(canvas.width / modules);
  const offset = Math.floor((canvas.width - cell * modules) / 2) + cell * QR_QUIET_MODULES;
  const g = canvas.getContext('2d');
  g.fillStyle = '#fff';
  g.fillRect(0, 0, canvas.width, canvas.height);
  g.fillStyle = '#000';
  for (let r = 0; r < qr.getModuleCount(); r += 1)
    for (let c = 0; c < qr.getModuleCount(); c += 1)
      if (qr.isDark(r, c)) g.fillRect(offset + c * cell, offset + r * cell, cell, cell);
  canvas.dataset.token = token;  // for the tests' and a support person's eyes; the code is the picture
}

async function showCode() {
  say('#qr-error');
  $('#qr-show').disabled = true;
  try {
    const { token, expires_at: expiresAt } = await api.post('/api/v1/me/redeem-token');
    drawQr(token);
    code.expires = new Date(expiresAt).getTime();
    $('#qr-box').classList.remove('hidden');
    clearInterval(code.timer);
    tick();
    code.timer = setInterval(tick, 1000);
    $('#qr-box').scrollIntoView({ block: 'center' });
  } catch (error) {
    say('#qr-error', null, errorMessage(error));
  } finally {
    $('#qr-show').disabled = false;
  }
}

function tick() {
  const left = Math.max(0, Math.round((code.expires - Date.now()) / 1000));
  const node = $('#qr-countdown');
  if (left === 0) {
    hideCode();
    say('#qr-error', 'qr.expired');
    return;
  }
  node.textContent = t('qr.left', { s: left });
  node.classList.toggle('low', left <= 20);
  $('#qr-show').textContent = t('qr.again');
}

export function hideCode() {
  clearInterval(code.timer);
  $('#qr-box').classList.add('hidden');
  $('#qr-show').textContent = t('qr.show');
}

export async function loadRewards() {
  const [rewards, funds, roll, mine] = await Promise.all([
    api.get('/api/v1/rewards'), api.get('/api/v1/funds'), api.get('/api/v1/honour-roll'), api.get('/api/v1/me/points')]);
  $('#rewards-balance').textContent = t('rewards.balance', { n: mine.balance });
  const goods = clear($('#rewards-goods'));
  const honour = clear($('#rewards-honour'));
  for (const item of rewards.items) {
    const cost = h('span', { class: 'cost' }, `${item.points_cost} ${t('points.unit')}`);
    const stock = h('span', { class: 'small muted' }, t('rewards.stock', { n: item.stock }));
    if (item.kind === 'honour')
      honour.append(h('li', { class: 'card row' }, h('span', { class: 'grow' }, item.name, h('br'), cost),
        h('button', { type: 'button', 'data-sku': item.sku, disabled: item.stock <= 0 }, t('rewards.exchange'))));
    else goods.append(h('li', { class: 'card row' }, h('span', { class: 'grow' }, item.name), cost, stock));
  }
  const fund = $('#donate-fund');
  const chosen = fund.value;
  clear(fund).append(...funds.items.map((f) => h('option', { value: f.code }, f.name)));
  if (chosen) fund.value = chosen;
  const list = clear($('#honour-roll'));
  if (!roll.items.length) list.append(h('li', { class: 'muted' }, t('roll.empty')));
  for (const entry of roll.items) list.append(h('li', {}, rollText(entry)));
}

// One line of the honour roll: the masked name, the stars, the honours held.
function rollText(entry) {
  const honours = (entry.honours || []).map((x) => x.name).join('、');
  return [entry.display_name, '★'.repeat(entry.stars || 0), honours].filter(Boolean).join(' · ');
}

async function exchangeHonour(button) {
  say('#honour-error');
  say('#honour-done');
  button.disabled = true;
  try {
    const r = await api.post('/api/v1/me/exchanges', { type: 'honour', sku: button.dataset.sku },
      { 'Idempotency-Key': newKey() });
    say('#honour-done', null, t('exchange.done', { points: r.points, balance: r.balance_after }));
    await loadRewards();
  } catch (error) {
    say('#honour-error', error.code === 'insufficient_points' ? 'exchange.insufficient' : null, errorMessage(error));
    button.disabled = false;
  }
}

async function donate(event) {
  event.preventDefault();
  say('#donate-error');
  say('#donate-done');
  $('#donate-submit').disabled = true;
  try {
    const r = await api.post('/api/v1/me/donations', { fund: $('#donate-fund').value, points: Number($('#donate-points').value) },
      { 'Idempotency-Key': newKey() });
    say('#donate-done', null, t('exchange.done', { points: r.points, balance: r.balance_after }));
    $('#donate-points').value = '';
    await loadRewards();  // the balance at the top, the fund's choice kept
  } catch (error) {
    say('#donate-error', error.code === 'insufficient_points' ? 'exchange.insufficient' : null, errorMessage(error));
  } finally {
    $('#donate-submit').disabled = false;
  }
}

async function exchangeCredit(event) {
  event.preventDefault();
  say('#credit-error');
  say('#credit-done');
  $('#credit-submit').disabled = true;
  try {
    const r = await api.post('/api/v1/me/exchanges', { type: 'credit', points: Number($('#credit-points').value) },
      { 'Idempotency-Key': newKey() });
    say('#credit-done', null, t('exchange.done', { points: r.points, balance: r.balance_after }));
    $('#credit-points').value = '';
    await loadRewards();
  } catch (error) {
    say('#credit-error', error.code === 'insufficient_points' ? 'exchange.insufficient' : null, errorMessage(error));
  } finally {
    $('#credit-submit').disabled = false;
  }
}

async function showCertificate() {
  const box = clear($('#certificate'));
  box.classList.remove('hidden');
  try {
    const c = await api.get('/api/v1/me/credit-certificate');
    box.append(h('dl', { class: 'facts' },
      h('dt', {}, t('credit.score')), h('dd', { id: 'certificate-score' }, String(c.credit_score)),
      h('dt', {}, t('credit.issued')), h('dd', {}, when(c.issued_at)),
      h('dt', {}, t('credit.signature')), h('dd', { class: 'mono' }, c.signature)),
    h('p', { class: 'small muted' }, t('credit.verify')));
  } catch (error) {
    box.append(h('p', { class: 'error' }, errorMessage(error)));
  }
}
