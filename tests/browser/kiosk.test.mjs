// The supermarket till in headless chromium against the real daemon (docs/web.md): a kiosk
// registered through the admin API, its key set in the page, a resident's one-time code looked
// up, goods redeemed with WebCrypto-signed requests — once, even when the first answer is lost
// and the page retries — the receipt shown, and the order voided.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startDaemon, call, login, registerResident, launchBrowser, screenshot, collectPageErrors, ADMIN, DESKTOP, PHONE,
} from './support.mjs';

let daemon;
let browser;
let admin;
let kiosk;
let resident;

const STARTING_POINTS = 500;

async function balance() {
  return (await call(daemon.base, 'GET', '/api/v1/me/points', { token: resident.token })).body.balance;
}

async function stock(sku) {
  const { items } = (await call(daemon.base, 'GET', '/api/v1/rewards')).body;
  return items.find((r) => r.sku === sku).stock;
}

async function redeemCode() {
  const r = await call(daemon.base, 'POST', '/api/v1/me/redeem-token', { token: resident.token, body: {} });
  assert.equal(r.status, 201, r.text);
  return r.body.token;
}

before(async () => {
  // The kiosk signs with the browser's clock, so the server keeps the real one.
  daemon = await startDaemon({ testClock: false });
  browser = await launchBrowser();
  admin = (await login(daemon.base, ADMIN)).token;
  const k = await call(daemon.base, 'POST', '/api/v1/admin/kiosks', { token: admin, body: { name: 'Till 9', store: 'Browser test store' } });
  assert.equal(k.status, 201, k.text);
  kiosk = k.body;
  resident = await registerResident(daemon.base, '13612345678', '李建国');
  const adj = await call(daemon.base, 'POST', '/api/v1/admin/points/adjustments',
    { token: admin, body: { user_id: resident.user.id, points: STARTING_POINTS, reason: 'browser test' } });
  assert.equal(adj.status, 201, adj.text);
});

after(async () => {
  if (browser) await browser.close();
  if (daemon) assert.equal(await daemon.stop(), 0);
});

async function setKey(page, keyId, secret) {
  await page.fill('#key-id', keyId);
  await page.fill('#secret', secret);
  await page.click('#settings-save');
}

test('a cashier redeems goods once and voids the order', async () => {
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'zh-CN' });
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  page.on('dialog', (dialog) => dialog.accept());  // the void confirmation
  await page.goto(`${daemon.base}/kiosk/`);

  // First visit: the key is asked for; a wrong secret is refused (401) and not kept.
  await page.waitForSelector('#settings:not(.hidden)');
  await setKey(page, kiosk.key_id, 'not-the-secret');
  await page.waitForFunction(() => document.querySelector('#settings-error').textContent.length > 0);
  assert.ok(await page.isHidden('#till'));
  assert.equal(await page.evaluate(() => localStorage.getItem('civicsnap.kiosk.credentials')), null);
  await setKey(page, kiosk.key_id, kiosk.secret);
  await page.waitForSelector('#till:not(.hidden)');

  // The catalogue is the goods of the reward catalogue.
  const goods = (await call(daemon.base, 'GET', '/api/v1/rewards')).body.items.filter((r) => r.kind === 'goods');
  assert.equal(await page.locator('#catalogue .good').count(), goods.length);

  // The key survives a reload (localStorage): no settings form the second time.
  await page.reload();
  await page.waitForSelector('#till:not(.hidden)');
  assert.ok(await page.isHidden('#settings'));

  // The resident's one-time code: masked name and balance.
  await page.fill('#code', await redeemCode());
  await page.press('#code', 'Enter');
  await page.waitForSelector('#customer:not(.hidden)');
  assert.equal(await page.textContent('#customer-balance'), String(STARTING_POINTS));
  const shownName = await page.textContent('#customer-name');
  assert.notEqual(shownName, '李建国');
  assert.match(shownName, /^李\*+$/);

  // Two bags of rice and a bar of soap.
  const rice = goods.find((g) => g.sku === 'goods-rice-5kg');
  const soap = goods.find((g) => g.sku === 'goods-soap');
  const riceStock = await stock(rice.sku);
  await page.click(`button[data-add="${rice.sku}"]`);
  await page.click(`button[data-add="${rice.sku}"]`);
  await page.click(`button[data-add="${soap.sku}"]`);
  const total = 2 * rice.points_cost + soap.points_cost;
  assert.equal(await page.textContent('#total'), String(total));
  await screenshot(page, 'kiosk-desktop-order');

  // The first answer is lost on the way back (the server did redeem): the page retries with the
  // same Idempotency-Key and gets the first answer again, so the resident pays once.
  const keys = [];
  let lost = false;
  await page.route('**/api/v1/kiosk/redemptions', async (route) => {
    keys.push(route.request().headers()['idempotency-key']);
    const response = await route.fetch();
    if (!lost) {
      lost = true;
      assert.equal(response.status(), 201);
      await route.abort('connectionreset');
      return;
    }
    assert.equal(response.headers()['idempotent-replayed'], 'true');
    await route.fulfill({ response });
  });
  await page.dblclick('#redeem');  // a double tap sends one order
  await page.waitForSelector('#receipt:not(.hidden)');
  await page.unroute('**/api/v1/kiosk/redemptions');
  assert.equal(keys.length, 2);
  assert.equal(keys[0], keys[1]);
  assert.match(keys[0], /^[0-9a-f-]{36}$/);
  assert.equal(await page.textContent('#receipt-total'), String(total));
  assert.equal(await page.textContent('#receipt-balance'), String(STARTING_POINTS - total));
  assert.equal(await balance(), STARTING_POINTS - total);
  assert.equal(await stock(rice.sku), riceStock - 2);
  await page.setViewportSize(PHONE);
  await screenshot(page, 'kiosk-phone-receipt');

  // Void within 10 minutes: points and stock come back.
  await page.click('#void');
  await page.waitForSelector('#receipt-voided:not(.hidden)');
  assert.equal(await balance(), STARTING_POINTS);
  assert.equal(await stock(rice.sku), riceStock);

  // Next customer: the used code is refused with a clear message.
  await page.setViewportSize(DESKTOP);
  await page.click('#receipt-done');
  const used = await redeemCode();
  await page.fill('#code', used);
  await page.click('#lookup');
  await page.waitForSelector('#customer:not(.hidden)');
  await page.click(`button[data-add="${soap.sku}"]`);
  await page.click('#redeem');
  await page.waitForSelector('#receipt:not(.hidden)');
  await page.click('#receipt-done');
  await page.fill('#code', used);
  await page.click('#lookup');
  await page.waitForFunction(() => document.querySelector('#code-error').textContent.length > 0);
  assert.ok(await page.isHidden('#customer'));
  assert.equal(await balance(), STARTING_POINTS - soap.points_cost);

  // English.
  await page.selectOption('#lang', 'en');
  assert.equal(await page.textContent('#lookup'), 'Look up');
  await screenshot(page, 'kiosk-desktop-en');
  assert.deepEqual(errors, []);
  await context.close();
});

test('the signature the page computes matches the documented worked example', async () => {
  // docs/points.md "Worked example": the page's sign.js must produce exactly that signature.
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${daemon.base}/kiosk/`);
  const sig = await page.evaluate(async () => {
    const { signature } = await import('/kiosk/sign.js');
    return signature('k7Qm2vXw9RtYpL4sN8bC1dF6gH3jZ5aE0uIoPqWeRtY', 'POST', '/api/v1/kiosk/lookup', '1795248000',
      '{"token":"3q2-7wEXAMPLEtokenNOTreal"}');
  });
  assert.equal(sig, '036cc02cedee2326efcc538c6e68364422346ce78b9b509198bc4a39d98cc348');
  await context.close();
});
