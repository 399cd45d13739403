// The supermarket till (荣誉超市): the cashier stores the kiosk key once, looks up the code the
// resident shows (typed by a keyboard-wedge scanner, or read by the till's camera: scan.js), picks goods and redeems; the receipt can be printed and voided for 10 minutes.
// Every request is signed in the browser (sign.js). One Idempotency-Key per order: a double tap
// or a retry after a lost answer replays the first answer instead of charging twice.
import { $, h, clear, when, errorText } from '/web/dom.js';
import { initI18n, bindLangSwitch, t } from '/web/i18n.js';
import { strings } from './strings.js';
import { cryptoAvailable, signedFetch } from './sign.js';
import { startScanning } from './scan.js';

const CREDS_KEY = 'civicsnap.kiosk.credentials';
const VOID_WINDOW_S = 600;

const state = {
  creds: null,          // { keyId, secret }
  catalogue: [],
  token: null,          // the resident's code, once looked up
  customer: null,       // { display_name, balance }
  cart: new Map(),      // sku → qty
  orderKey: null,       // Idempotency-Key of the order being redeemed
  receipt: null,
  voidTimer: null,
  stopScan: null,       // stops the camera while it scans
};

class KioskError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function call(method, path, bodyObject, headers = {}) {
  const body = bodyObject === undefined ? '' : JSON.stringify(bodyObject);
  const response = await signedFetch(state.creds, method, path, body, headers);
  if (response.ok) return response.json();
  let code = '';
  let message = `HTTP ${response.status}`;
  try {
    const err = (await response.clone().json()).error;
    code = err.code;
    message = `${err.code}: ${err.message}`;
  } catch {
    message = await errorText(response);
  }
  throw new KioskError(response.status, code, message);
}

// Shows a message: one given by key follows later language switches; a server's text is shown as is.
function say(selector, key = null, text = '') {
  const node = $(selector);
  if (key) {
    node.dataset.i18n = key;
    node.textContent = t(key);
  } else {
    delete node.dataset.i18n;
    node.textContent = text;
  }
}

function loadCreds() {
  try {
    const saved = JSON.parse(localStorage.getItem(CREDS_KEY));
    if (saved && saved.keyId && saved.secret) return saved;
  } catch {
    // unreadable: treated as not set
  }
  return null;
}

function showSettings(show) {
  $('#settings').classList.toggle('hidden', !show);
  if (show) {
    $('#key-id').value = state.creds ? state.creds.keyId : '';
    $('#secret').value = '';
  }
}

async function saveSettings(event) {
  event.preventDefault();
  const candidate = { keyId: $('#key-id').value.trim(), secret: $('#secret').value.trim() };
  const previous = state.creds;
  state.creds = candidate;
  say('#settings-error');
  try {
    await loadCatalogue();  // a signed request: proves the key, secret and clock are right
    localStorage.setItem(CREDS_KEY, JSON.stringify(candidate));
    showSettings(false);
    ready();
  } catch (error) {
    state.creds = previous;
    say('#settings-error', error.status === 401 ? 'settings.rejected' : null, error.message);
  }
}

function forgetSettings() {
  localStorage.removeItem(CREDS_KEY);
  state.creds = null;
  $('#till').classList.add('hidden');
  $('#kiosk-id').textContent = '';
  showSettings(true);
}

function ready() {
  $('#kiosk-id').textContent = state.creds.keyId;
  $('#till').classList.remove('hidden');
  $('#receipt').classList.add('hidden');
  $('#code').focus();
}

async function loadCatalogue() {
  const { items } = await call('GET', '/api/v1/kiosk/rewards');
  state.catalogue = items;
  renderCatalogue();
}

function renderCatalogue() {
  const box = clear($('#catalogue'));
  if (!state.catalogue.length) box.append(h('p', { class: 'muted' }, t('catalogue.empty')));
  for (const good of state.catalogue) {
    const qty = state.cart.get(good.sku) || 0;
    // Whether one more fits in what is left of the balance after the goods already picked.
    const affordable = !state.customer || good.points_cost <= state.customer.balance - total();
    const minus = h('button', { type: 'button', class: 'secondary', 'aria-label': '−', disabled: qty === 0 }, '−');
    const plus = h('button', { type: 'button', 'aria-label': '+', 'data-add': good.sku, disabled: !state.customer || qty >= good.stock || !affordable }, '+');
    minus.addEventListener('click', () => setQty(good.sku, qty - 1));
    plus.addEventListener('click', () => setQty(good.sku, qty + 1));
    box.append(h('div', { class: `good${affordable || qty ? '' : ' unaffordable'}`, 'data-sku': good.sku },
      h('span', { class: 'name' }, good.name),
      h('span', { class: 'cost' }, `${good.points_cost} ${t('points')}`),
      h('span', { class: 'stock' }, t('catalogue.stock', { n: good.stock })),
      h('div', { class: 'qty' }, minus, h('output', {}, String(qty)), plus)));
  }
}

function total() {
  let sum = 0;
  for (const [sku, qty] of state.cart) {
    const good = state.catalogue.find((g) => g.sku === sku);
    if (good) sum += good.points_cost * qty;
  }
  return sum;
}

function setQty(sku, qty) {
  if (qty <= 0) state.cart.delete(sku);
  else state.cart.set(sku, qty);
  state.orderKey = null;  // a different order is a different request: it gets its own key
  renderCatalogue();
  renderCart();
}

function renderCart() {
  const list = clear($('#cart'));
  for (const [sku, qty] of state.cart) {
    const good = state.catalogue.find((g) => g.sku === sku);
    list.append(h('li', { 'data-sku': sku }, h('span', {}, `${good ? good.name : sku} × ${qty}`),
      h('span', {}, String(good ? good.points_cost * qty : 0))));
  }
  if (!state.cart.size) list.append(h('li', { class: 'muted' }, t('order.empty')));
  $('#total').textContent = String(total());
  $('#redeem').disabled = !state.customer || !state.cart.size || total() > state.customer.balance;
}

async function scan() {
  stopScan();
  say('#code-error');
  $('#scan-box').classList.remove('hidden');
  try {
    state.stopScan = await startScanning($('#scan-video'), (code) => {
      state.stopScan = null;
      $('#scan-box').classList.add('hidden');
      $('#code').value = code;
      $('#code-form').requestSubmit();
    });
  } catch {
    $('#scan-box').classList.add('hidden');
    say('#code-error', 'scan.noCamera');
  }
}

function stopScan() {
  if (state.stopScan) state.stopScan();
  state.stopScan = null;
  $('#scan-box').classList.add('hidden');
}

async function lookUp(event) {
  event.preventDefault();
  const token = $('#code').value.trim();
  if (!token) return;
  say('#code-error');
  $('#lookup').disabled = true;
  try {
    const customer = await call('POST', '/api/v1/kiosk/lookup', { token });
    state.token = token;
    state.customer = customer;
    state.cart.clear();
    state.orderKey = null;
    $('#customer-name').textContent = customer.display_name;
    $('#customer-balance').textContent = String(customer.balance);
    $('#customer').classList.remove('hidden');
    await loadCatalogue();  // fresh stock for this customer
    renderCart();
  } catch (error) {
    say('#code-error', error.code === 'token_invalid' ? 'code.invalid' : null, error.message);
  } finally {
    $('#lookup').disabled = false;
  }
}

function nextCustomer() {
  stopScan();
  state.token = null;
  state.customer = null;
  state.cart.clear();
  state.orderKey = null;
  state.receipt = null;
  clearInterval(state.voidTimer);
  $('#code').value = '';
  say('#code-error');
  say('#order-error');
  $('#customer').classList.add('hidden');
  renderCatalogue();
  renderCart();
  ready();
}

// Sends the order; on a lost answer (network error) sends it again, re-signed, with the same key.
async function redeem() {
  const button = $('#redeem');
  if (button.disabled) return;
  button.disabled = true;  // the first guard against a double tap; the key is the real one
  say('#order-error');
  if (!state.orderKey) state.orderKey = crypto.randomUUID();
  const body = { token: state.token, items: [...state.cart].map(([sku, qty]) => ({ sku, qty })) };
  for (let attempt = 1; ; attempt += 1) {
    try {
      const receipt = await call('POST', '/api/v1/kiosk/redemptions', body, { 'Idempotency-Key': state.orderKey });
      showReceipt(receipt);
      return;
    } catch (error) {
      if (error instanceof TypeError && attempt < 4) {
        say('#order-error', 'order.network');
        await new Promise((resolve) => setTimeout(resolve, 1000 * attempt));
        continue;
      }
      const known = { insufficient_points: 'order.insufficient', out_of_stock: 'order.outOfStock', token_invalid: 'code.invalid' };
      say('#order-error', known[error.code] || null, error.message);
      if (error.code === 'out_of_stock') loadCatalogue().catch(() => {});
      renderCart();
      return;
    }
  }
}

function showReceipt(receipt) {
  state.receipt = receipt;
  $('#till').classList.add('hidden');
  $('#receipt').classList.remove('hidden');
  $('#receipt-id').textContent = `#${receipt.id}`;
  $('#receipt-time').textContent = when(receipt.at);
  $('#receipt-customer').textContent = state.customer ? state.customer.display_name : '';
  $('#receipt-kiosk').textContent = state.creds.keyId;
  const rows = clear($('#receipt-items'));
  for (const item of receipt.items)
    rows.append(h('tr', {}, h('td', {}, item.name), h('td', { class: 'num' }, String(item.qty)),
      h('td', { class: 'num' }, String(item.qty * item.points_each))));
  $('#receipt-total').textContent = String(receipt.total_points);
  $('#receipt-balance').textContent = String(receipt.balance_after);
  $('#receipt-voided').classList.toggle('hidden', !receipt.voided_at);
  say('#void-error');
  tickVoidWindow();
  clearInterval(state.voidTimer);
  state.voidTimer = setInterval(tickVoidWindow, 1000);
}

function tickVoidWindow() {
  const receipt = state.receipt;
  if (!receipt) return;
  const left = Math.floor(new Date(receipt.at).getTime() / 1000) + VOID_WINDOW_S - Math.floor(Date.now() / 1000);
  const voidable = left > 0 && !receipt.voided_at;
  $('#void').classList.toggle('hidden', !voidable);
  $('#void-left').textContent = receipt.voided_at ? '' : voidable
    ? t('receipt.voidLeft', { m: Math.floor(left / 60), s: left % 60 }) : t('receipt.voidExpired');
}

async function voidReceipt() {
  if (!state.receipt || !confirm(t('receipt.voidConfirm'))) return;
  const button = $('#void');
  button.disabled = true;
  say('#void-error');
  try {
    const voided = await call('POST', `/api/v1/kiosk/redemptions/${state.receipt.id}/void`);
    state.receipt = { ...state.receipt, ...voided };
    $('#receipt-voided').classList.remove('hidden');
    tickVoidWindow();
    loadCatalogue().catch(() => {});
  } catch (error) {
    say('#void-error', error.code === 'invalid_transition' ? 'receipt.voidExpired' : null, error.message);
  } finally {
    button.disabled = false;
  }
}

function main() {
  initI18n(strings);
  bindLangSwitch($('#lang'));
  document.addEventListener('langchange', () => {
    renderCatalogue();
    renderCart();
    tickVoidWindow();
  });
  if (!cryptoAvailable()) {
    say('#fatal', 'crypto.missing');
    return;
  }
  $('#settings-toggle').addEventListener('click', () => showSettings($('#settings').classList.contains('hidden')));
  $('#settings-form').addEventListener('submit', saveSettings);
  $('#settings-forget').addEventListener('click', forgetSettings);
  $('#code-form').addEventListener('submit', lookUp);
  $('#next-customer').addEventListener('click', nextCustomer);
  $('#scan').addEventListener('click', scan);
  $('#scan-stop').addEventListener('click', stopScan);
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) $('#scan').classList.add('hidden');
  $('#redeem').addEventListener('click', redeem);
  $('#print').addEventListener('click', () => window.print());
  $('#void').addEventListener('click', voidReceipt);
  $('#receipt-done').addEventListener('click', nextCustomer);
  state.creds = loadCreds();
  renderCart();
  if (!state.creds) {
    showSettings(true);
    return;
  }
  loadCatalogue().then(ready).catch((error) => {
    say('#fatal', error.status === 401 ? 'settings.rejected' : null, error.message);
    showSettings(true);
  });
}

main();
