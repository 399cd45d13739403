// The staff side of the app (/app/) on an emulated phone against the real daemon (docs/web.md):
// a grid manager who logs in sees their grids' tickets, the ones waiting for a decision first,
// and acts on them — 核实 (request_check, the worker confirming with a photo in the app), accept,
// park and unpark, extend, assign, verify, rework — while the grid worker returns a ticket
// (回退) and reports a problem fixed on patrol (自行处置); the dispatcher voids one (作废). Every action is checked through the API; axe-core checks
// every screen; screenshots go to CIVIC_SCREENSHOT_DIR.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startDaemon, call, login, launchBrowser, screenshot, collectPageErrors, axeViolations, png, submitReport, act,
  registerResident, DISPATCHER, PHONE, DESKTOP, openPhone, checkAppScreen,
} from './support.mjs';

const DEMO_PASSWORD = 'demo-pass-2026';
const MANAGER = { phone: '13900000101', password: DEMO_PASSWORD };  // 李网格长, grid MZ-01
const WORKERS = [{ phone: '13700000101', password: DEMO_PASSWORD }, { phone: '13700000102', password: DEMO_PASSWORD }];

let daemon;
let browser;
let dispatcher;
let resident;
let grid;        // MZ-01
let position;    // a point inside it
let workers;     // the two workers of MZ-01, logged in through the API

function insidePoint(g) {
  const ring = g.boundary.type === 'Polygon' ? g.boundary.coordinates[0] : g.boundary.coordinates[0][0];
  const pts = ring.slice(0, -1);
  return { lat: pts.reduce((s, p) => s + p[1], 0) / pts.length, lon: pts.reduce((s, p) => s + p[0], 0) / pts.length };
}



async function appLogin(page, { phone: number, password }) {
  await page.goto(`${daemon.base}/app/`);
  await page.waitForSelector('#screen-login:not(.hidden)');
  await page.fill('#login-phone', number);
  await page.fill('#login-password', password);
  await page.click('#login-submit');
  await page.waitForSelector('#screen-tickets:not(.hidden)');
}

async function ticket(id) {
  return (await call(daemon.base, 'GET', `/api/v1/reports/${id}`, { token: dispatcher })).body;
}

// Opens ticket `id` in the app and waits for its facts.
async function open(page, id) {
  await page.goto(`${daemon.base}/app/#/r/${id}`);
  await page.waitForFunction((n) => document.querySelector('#detail-title').textContent.startsWith(`#${n} `), id);
}

// Opens the disclosure of a manager's action, fills it and sends it; waits for the status.
async function manage(page, id, action, fill = async () => {}, status = null) {
  const form = `details[data-manage="${action}"]`;
  await page.click(`${form} summary`);
  await page.waitForSelector(`${form}[open] button[data-action="${action}"]`);  // open: its button shown
  await fill();
  await page.click(`${form} button[data-action="${action}"]`);
  if (status) await waitStatus(id, status);
}

// A new report in MZ-01, opened on a phone by its grid manager and accepted there (MZ-01 assigns
// it automatically): the phone's context, page and errors, the report and its assignee.
async function acceptedOnPhone(category, description) {
  const report = await submitReport(daemon.base, resident.token, { category, ...position, description });
  const phone = await openPhone(browser);
  await appLogin(phone.page, MANAGER);
  await open(phone.page, report.id);
  await phone.page.click('#detail-actions button[data-action="accept"]');
  const accepted = await waitStatus(report.id, 'assigned');
  const assignee = workers.find((w) => w.user.id === accepted.assignee_id);
  assert.ok(assignee, 'assigned to a worker of the grid');
  return { ...phone, report, assignee };
}

async function waitStatus(id, status) {
  const start = Date.now();
  for (;;) {
    const t = await ticket(id);
    if (t.status === status) return t;
    if (Date.now() - start > 10000) throw new Error(`#${id} is ${t.status}, not ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

before(async () => {
  daemon = await startDaemon({ testClock: false });
  browser = await launchBrowser();
  dispatcher = (await login(daemon.base, DISPATCHER)).token;
  grid = (await call(daemon.base, 'GET', '/api/v1/grids', { token: dispatcher })).body.items.find((g) => g.code === 'MZ-01');
  position = insidePoint(grid);
  workers = await Promise.all(WORKERS.map((w) => login(daemon.base, w)));
  resident = await registerResident(daemon.base, '13655550002', '林小满');
});

after(async () => {
  if (browser) await browser.close();
  if (daemon) assert.equal(await daemon.stop(), 0);
});

test('a grid manager sees their grid\'s tickets, sends one to be checked, the worker confirms it with a photo', async () => {
  const categories = (await call(daemon.base, 'GET', '/api/v1/categories')).body.items;
  const report = await submitReport(daemon.base, resident.token,
    { category: categories[0].code, ...position, description: '路灯不亮，晚上很黑' });
  assert.equal(report.grid_id, grid.id);

  const { context, page, errors } = await openPhone(browser);
  await appLogin(page, MANAGER);
  assert.ok(await page.isHidden('#tabs-resident'));
  await page.waitForSelector('#tickets-who:not(:empty)');  // filled once the grids are read
  assert.match(await page.textContent('#tickets-who'), /网格长 · 李网格长 · 网格 MZ-01/);
  // Waiting for a decision: the new report, in the first group.
  await page.waitForSelector(`#tickets-list a[data-ticket="${report.id}"]`);
  assert.match(await page.textContent('#tickets-list li.divider h3'), /待我决定（1）/);
  await checkAppScreen(page, 'manager-tickets', errors);

  // The ticket: its point inside the grid's shape, and the manager's choices for a new report.
  await page.click(`#tickets-list a[data-ticket="${report.id}"]`);
  await page.waitForSelector('#detail-map svg path.grid');
  assert.ok(await page.isVisible('#detail-map svg circle.pin'));
  for (const action of ['accept']) assert.ok(await page.isVisible(`#detail-actions button[data-action="${action}"]`));
  for (const action of ['reject', 'request_check', 'mark_duplicate'])
    assert.ok(await page.isVisible(`details[data-manage="${action}"] summary`), action);
  assert.ok(await page.isHidden('details[data-manage="void"]'), 'voiding is the dispatcher\'s');
  // Reject needs a reason: stopped in the app, nothing sent.
  await manage(page, report.id, 'reject');
  assert.match(await page.textContent('#action-error'), /原因/);
  assert.equal((await ticket(report.id)).status, 'submitted');
  await page.click('details[data-manage="reject"] summary');  // fold it again
  await page.locator('#detail-actions').scrollIntoViewIfNeeded();  // the decision in the picture
  await checkAppScreen(page, 'manager-ticket', errors);

  // 核实: send the second worker of the grid to look.
  await manage(page, report.id, 'request_check', async () => {
    await page.selectOption('select[data-check-worker]', String(workers[1].user.id));
    await page.fill('input[data-note="request_check"]', '请到现场看看');
  }, 'checking');
  await page.waitForFunction(() => /核实中/.test(document.querySelector('#detail-facts').textContent));
  assert.match(await page.textContent('#detail-done'), /派发核实/);
  assert.equal((await ticket(report.id)).assignee_id, workers[1].user.id);

  // The worker sees it in their list and confirms it with a photo of the spot.
  const w = await openPhone(browser);
  await appLogin(w.page, WORKERS[1]);
  await w.page.click(`#tickets-list a[data-ticket="${report.id}"]`);
  await w.page.waitForSelector('#detail-actions button[data-action="confirm_check"]');
  await w.page.click('#detail-actions button[data-action="confirm_check"]');
  assert.match(await w.page.textContent('#action-error'), /照片/);
  await w.page.setInputFiles('#check-photos', { name: 'spot.png', mimeType: 'image/png', buffer: png(160, 120, 21) });
  await w.page.fill('#check-note', '确有此事，三盏灯不亮');
  await checkAppScreen(w.page, 'worker-check', w.errors);
  await w.page.click('#detail-actions button[data-action="confirm_check"]');
  const checked = await waitStatus(report.id, 'submitted');
  assert.equal(checked.verified, true);
  assert.equal(checked.photos.filter((p) => p.stage === 'check').length, 1);
  await w.context.close();

  // Back with the manager (live: the open ticket re-reads itself): verified, the check photo shown.
  await page.waitForFunction(() => document.querySelector('#detail-photos [data-stage="check"] img'));
  assert.match(await page.textContent('#detail-facts'), /已核实属实/);
  await context.close();
});

// What the last action did is said at the top of the ticket until another is opened: a change
// made by someone else meanwhile (the stream re-reads the open ticket) must not erase it. It
// did, now and then, when the stream's re-read finished after the action's own. Nor may the
// re-read fold a form being filled in: it did, closing the disclosure and dropping what was typed.
test('an action\'s message and an open form stay when another change re-reads the open ticket; phone and desktop', async () => {
  const categories = (await call(daemon.base, 'GET', '/api/v1/categories')).body.items;
  const { context, page, errors, report, assignee } = await acceptedOnPhone(categories[2].code, '井盖缺失');
  await page.waitForFunction(() => /已完成/.test(document.querySelector('#detail-done').textContent));
  const done = await page.textContent('#detail-done');
  // 挂账 opened, a reason being typed; the disclosure marked, to tell a new one from it.
  await page.click('details[data-manage="park"] summary');
  await page.fill('input[data-reason="park"]', '等待电力部门');
  await page.$eval('details[data-manage="park"]', (d) => { d.seen = true; });

  await act(daemon.base, assignee.token, report.id, { action: 'start' });  // through the API, not this page
  await page.waitForFunction(() => /处置中/.test(document.querySelector('#detail-facts').textContent));
  await page.waitForFunction(() => !document.querySelector('details[data-manage="park"]').seen);  // rendered anew
  assert.equal(await page.textContent('#detail-done'), done);
  assert.ok(await page.isVisible('details[data-manage="park"][open] button[data-action="park"]'), 'still open');
  assert.equal(await page.inputValue('input[data-reason="park"]'), '等待电力部门');
  assert.ok(await page.$eval('input[data-reason="park"]', (i) => i === document.activeElement), 'still focused');
  await page.locator('details[data-manage="park"]').scrollIntoViewIfNeeded();
  await checkAppScreen(page, 'manager-form-kept', errors);
  await page.evaluate(() => window.scrollTo(0, 0));
  await checkAppScreen(page, 'manager-done-kept', errors);
  await page.setViewportSize(DESKTOP);
  await checkAppScreen(page, 'manager-done-kept-desktop', errors);

  // Another ticket opened: its own page, without the message.
  const other = await submitReport(daemon.base, resident.token,
    { category: categories[2].code, ...position, description: '路面积水' });
  await open(page, other.id);
  assert.equal(await page.textContent('#detail-done'), '');
  await context.close();
});

test('the manager accepts, parks and unparks, extends; the worker returns it; the manager assigns, then verifies after a rework', async () => {
  const categories = (await call(daemon.base, 'GET', '/api/v1/categories')).body.items;
  // Accept: MZ-01 assigns automatically to the worker with the fewest open tickets.
  const { context, page, errors, report, assignee } = await acceptedOnPhone(categories[1].code, '人行道地砖松动');
  await page.waitForSelector('details[data-manage="park"]');
  // Park until a week ahead (the form's default), then unpark: back to assigned.
  await manage(page, report.id, 'park', () => page.fill('input[data-reason="park"]', '等待电力部门'), 'parked');
  assert.ok((await ticket(report.id)).parked_until);
  await page.waitForSelector('#detail-actions button[data-action="unpark"]');
  assert.match(await page.textContent('#detail-facts'), /挂账至/);
  await checkAppScreen(page, 'manager-parked', errors);
  await page.click('#detail-actions button[data-action="unpark"]');
  await waitStatus(report.id, 'assigned');
  // Extend needs a reason; with one, the deadline moves by the hours given.
  await page.waitForSelector('details[data-manage="extend"]');
  const before = Date.parse((await ticket(report.id)).deadline_at);
  await manage(page, report.id, 'extend');
  assert.match(await page.textContent('#action-error'), /原因/);
  await page.fill('input[data-hours]', '12');
  await page.fill('input[data-reason="extend"]', '材料待到货');
  await page.click('details[data-manage="extend"] button[data-action="extend"]');
  await page.waitForFunction(() => /延期/.test(document.querySelector('#detail-done').textContent));
  assert.equal(Date.parse((await ticket(report.id)).deadline_at) - before, 12 * 3600e3);

  // The worker returns it (回退) in the app, with a reason: back to the manager, unassigned.
  const w = await openPhone(browser);
  await appLogin(w.page, WORKERS[workers.indexOf(assignee)]);
  await w.page.waitForSelector(`#tickets-list a[data-ticket="${report.id}"]`);
  await w.page.click(`#tickets-list a[data-ticket="${report.id}"]`);
  await w.page.click('#detail-actions details.return summary');
  await w.page.click('#detail-actions button[data-action="return"]');
  assert.match(await w.page.textContent('#action-error'), /原因/);
  await w.page.fill('#return-reason', '不属于本网格的设施');
  assert.equal(await w.page.textContent('#action-error'), '', 'typing clears the message');
  await checkAppScreen(w.page, 'worker-return', w.errors);
  await w.page.click('#detail-actions button[data-action="return"]');
  const returned = await waitStatus(report.id, 'accepted');
  assert.equal(returned.assignee_id, null);
  await w.page.waitForSelector('#detail-actions', { state: 'hidden' });
  assert.match(await w.page.textContent('#detail-done'), /回退/);
  await w.context.close();

  // The manager's open ticket updates itself; dispatching is what is due: assign, open already.
  await page.waitForSelector('details[data-manage="assign"][open]');
  const other = workers.find((x) => x !== assignee);
  await page.selectOption('select[data-worker]', String(other.user.id));
  await page.click('details[data-manage="assign"] button[data-action="assign"]');
  await waitStatus(report.id, 'assigned');
  assert.equal((await ticket(report.id)).assignee_id, other.user.id);

  // The worker starts and resolves it (API); the manager sends it back (reason required), then verifies.
  await act(daemon.base, other.token, report.id, { action: 'start' });
  await act(daemon.base, other.token, report.id, { action: 'resolve', note: '已修复' }, { photo: true });
  await page.goto(`${daemon.base}/app/#/tickets`);
  await page.waitForSelector(`#tickets-list a[data-ticket="${report.id}"]`);
  assert.match(await page.textContent('#tickets-list li.divider h3'), /待我决定/);
  await open(page, report.id);
  await page.waitForSelector('#detail-actions button[data-action="verify"]');
  await page.waitForFunction(() => document.querySelector('#detail-photos [data-stage="resolution"] img'));
  await page.locator('#detail-actions').scrollIntoViewIfNeeded();  // the decision in the picture
  await checkAppScreen(page, 'manager-verify', errors);
  await manage(page, report.id, 'rework');
  assert.match(await page.textContent('#action-error'), /原因/);
  await page.fill('input[data-reason="rework"]', '还有两块没铺平');
  await page.click('details[data-manage="rework"] button[data-action="rework"]');
  await waitStatus(report.id, 'in_progress');
  await act(daemon.base, other.token, report.id, { action: 'resolve', note: '全部铺平' }, { photo: true });
  await page.waitForSelector('#detail-actions button[data-action="verify"]');  // live
  await page.click('#detail-actions button[data-action="verify"]');
  const closed = await waitStatus(report.id, 'closed');
  assert.equal(closed.rework_count, 1);
  await page.waitForSelector('#detail-actions', { state: 'hidden' });
  const actions = closed.events.map((e) => e.action);
  assert.deepEqual(actions, ['submit', 'accept', 'park', 'unpark', 'extend', 'return', 'assign', 'start', 'resolve',
    'rework', 'resolve', 'verify']);
  await checkAppScreen(page, 'manager-closed', errors);
  await context.close();
});

test('a manager acts only on their own grids; the dispatcher voids a ticket in the app; English', async () => {
  const categories = (await call(daemon.base, 'GET', '/api/v1/categories')).body.items;
  const report = await submitReport(daemon.base, resident.token,
    { category: categories[0].code, ...position, description: '测试误报' });
  // Another grid's manager does not see it (404 from the server, said on the page).
  const { context, page, errors } = await openPhone(browser);
  await appLogin(page, { phone: '13900000401', password: DEMO_PASSWORD });
  assert.equal(await page.locator(`#tickets-list a[data-ticket="${report.id}"]`).count(), 0);
  await context.close();

  const d = await openPhone(browser);
  await appLogin(d.page, DISPATCHER);
  await d.page.waitForSelector('#tickets-who:not(:empty)');
  assert.match(await d.page.textContent('#tickets-who'), /调度中心/);
  await open(d.page, report.id);
  await d.page.selectOption('#lang', 'en');
  await d.page.waitForSelector('details[data-manage="void"] summary:text("Void")');
  await checkAppScreen(d.page, 'dispatcher-ticket-en', d.errors);
  await manage(d.page, report.id, 'void', () => d.page.fill('input[data-reason="void"]', 'entered in error'), 'voided');
  await d.page.waitForSelector('#detail-actions', { state: 'hidden' });
  assert.match(await d.page.textContent('#detail-facts'), /Voided/);
  assert.deepEqual(errors, []);
  await d.context.close();
});

test('a grid worker reports a problem fixed on patrol (自行处置) with before and after photos; the manager closes it', async () => {
  const w = await openPhone(browser, { geolocation: { latitude: position.lat, longitude: position.lon }, permissions: ['geolocation'] });
  await appLogin(w.page, WORKERS[0]);
  await w.page.click('#tab-self-handled');
  await w.page.waitForSelector('#screen-report:not(.hidden)');
  assert.equal(await w.page.textContent('#report-title'), '自行处置上报');
  await w.page.waitForSelector('#report-map svg path.grid');  // staff see the grids on the picker
  await w.page.setInputFiles('#report-photos', { name: 'before.png', mimeType: 'image/png', buffer: png(160, 120, 31) });
  await w.page.selectOption('#report-category', { index: 1 });
  await w.page.fill('#report-description', '巡查发现垃圾桶倾倒，已扶正清理');
  await w.page.click('#report-gps');
  await w.page.waitForFunction(() => /\d+\.\d+, \d+\.\d+/.test(document.querySelector('#report-coords').textContent));
  // Without an "after" photo it is stopped in the app.
  await w.page.click('#report-submit');
  assert.match(await w.page.textContent('#report-error'), /处置后/);
  await w.page.setInputFiles('#report-after', { name: 'after.png', mimeType: 'image/png', buffer: png(160, 120, 32) });
  await checkAppScreen(w.page, 'worker-self-handled', w.errors);
  await w.page.click('#report-submit');
  await w.page.waitForFunction(() => /#\d+/.test(document.querySelector('#report-done').textContent));
  const id = Number((await w.page.textContent('#report-done')).match(/#(\d+)/)[1]);
  const filed = await ticket(id);
  assert.equal(filed.status, 'resolved');
  assert.equal(filed.self_handled, true);
  assert.equal(filed.assignee_id, workers[0].user.id);
  assert.deepEqual(filed.photos.map((p) => p.stage).sort(), ['report', 'resolution']);
  await w.context.close();

  // The manager finds it waiting for a decision and verifies it.
  const { context, page, errors } = await openPhone(browser);
  await appLogin(page, MANAGER);
  await page.waitForSelector(`#tickets-list a[data-ticket="${id}"]`);
  await open(page, id);
  assert.match(await page.textContent('#detail-facts'), /自行处置/);
  await page.click('#detail-actions button[data-action="verify"]');
  await waitStatus(id, 'closed');
  assert.deepEqual(errors, []);
  await context.close();
});
