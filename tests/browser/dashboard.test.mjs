// The dispatch-center dashboard in headless chromium against the real daemon (docs/web.md):
// log in as the demo dispatcher, see the grids ranked and drawn, open a ticket with its photo and
// timeline, accept and re-assign it, watch a new report arrive over the WebSocket, switch
// language, and check a manager's view is limited to their grids.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startDaemon, call, login, registerResident, submitReport, act, launchBrowser, screenshot, collectPageErrors, axeViolations,
  ADMIN, DISPATCHER, DESKTOP, PHONE,
} from './support.mjs';

let daemon;
let browser;
let admin;
let resident;
let grids;
const reports = {};

// Points inside the demo grids MZ-01 (auto-assign, two workers) and MZ-02.
const IN_MZ01 = { lat: 23.377, lon: 103.35 };
const IN_MZ02 = { lat: 23.375, lon: 103.41 };

before(async () => {
  daemon = await startDaemon();
  browser = await launchBrowser();
  admin = (await login(daemon.base, ADMIN)).token;
  grids = (await call(daemon.base, 'GET', '/api/v1/grids', { token: admin })).body.items;
  resident = (await registerResident(daemon.base, '13512345678', '王小明')).token;
  reports.a = await submitReport(daemon.base, resident, { category: '100120.street-light', ...IN_MZ01, description: '路灯不亮 street light out' });
  reports.b = await submitReport(daemon.base, resident, { category: '200102.exposed-garbage', ...IN_MZ01, description: '垃圾堆放 garbage pile' });
  reports.c = await submitReport(daemon.base, resident, { category: '100306.litter-bin', ...IN_MZ02, description: '果皮箱破损 broken bin' });
});

after(async () => {
  if (browser) await browser.close();
  if (daemon) assert.equal(await daemon.stop(), 0);
});

async function logIn(page, who) {
  await page.goto(`${daemon.base}/dashboard/`);
  await page.fill('#phone', who.phone);
  await page.fill('#password', who.password);
  await page.click('#login-button');
  await page.waitForSelector('#app:not(.hidden)');
}

test('a dispatcher runs tickets from the dashboard', async () => {
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'zh-CN' });
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  await logIn(page, DISPATCHER);

  // The ranking lists every grid; the map draws every grid and a marker per open ticket.
  await page.waitForSelector('#ranking tbody tr');
  assert.equal(await page.locator('#ranking tbody tr').count(), grids.length);
  for (const grid of grids) assert.equal(await page.locator(`#ranking tbody tr[data-grid="${grid.code}"]`).count(), 1);
  assert.equal(await page.locator('#map svg path.grid').count(), grids.length);
  await page.waitForSelector(`#map circle[data-ticket="${reports.c.id}"]`);
  assert.equal(await page.locator('#map circle.marker').count(), 3);
  for (const r of Object.values(reports)) await page.waitForSelector(`#tickets tr[data-ticket="${r.id}"]`);
  await page.waitForSelector('#live:not(.hidden)');  // the WebSocket is up
  await screenshot(page, 'dashboard-desktop');

  // Open ticket a: facts, its photo as a loaded thumbnail, and the timeline.
  await page.click(`#tickets tr[data-ticket="${reports.a.id}"]`);
  await page.waitForSelector('dialog#ticket[open]');
  await page.waitForFunction(() => {
    const img = document.querySelector('#ticket-body img[data-photo]');
    return img && img.complete && img.naturalWidth > 0 && img.src.startsWith('blob:');
  });
  assert.equal(await page.locator('#ticket-body li[data-event="submit"]').count(), 1);
  assert.match(await page.textContent('#ticket-body'), /路灯不亮/);
  await screenshot(page, 'dashboard-ticket');

  // Accept: MZ-01 auto-assigns to its least-loaded worker.
  await page.click('#ticket-body button[data-action="accept"]');
  await page.waitForSelector('#ticket-body [data-status="assigned"]');
  let server = (await call(daemon.base, 'GET', `/api/v1/reports/${reports.a.id}`, { token: admin })).body;
  assert.equal(server.status, 'assigned');
  const mz01 = grids.find((g) => g.id === server.grid_id);
  assert.ok(mz01.worker_ids.includes(server.assignee_id));
  assert.ok(mz01.worker_ids.length >= 2, 'the demo grid MZ-01 has two workers');

  // Re-assign to the other worker of the grid.
  const other = mz01.worker_ids.find((id) => id !== server.assignee_id);
  await page.selectOption('#ticket-body select[data-worker]', String(other));
  await page.click('#ticket-body button[data-action="assign"]');
  await page.waitForSelector('#ticket-body li[data-event="assign"]');
  server = (await call(daemon.base, 'GET', `/api/v1/reports/${reports.a.id}`, { token: admin })).body;
  assert.equal(server.assignee_id, other);
  assert.deepEqual(server.events.map((e) => e.action), ['submit', 'accept', 'assign']);

  // Reject needs a reason: the page says so and sends nothing.
  await page.click('#ticket-close');
  await page.click(`#tickets tr[data-ticket="${reports.b.id}"]`);
  await page.waitForSelector('#ticket-body button[data-action="reject"]');
  await page.click('#ticket-body button[data-action="reject"]');
  await page.waitForFunction(() => document.querySelector('#action-message').textContent.length > 0);
  server = (await call(daemon.base, 'GET', `/api/v1/reports/${reports.b.id}`, { token: admin })).body;
  assert.equal(server.status, 'submitted');
  await page.click('#ticket-close');

  // A report submitted now appears without a reload (WebSocket push).
  const fresh = await submitReport(daemon.base, resident, { category: '100120.street-light', lat: 23.378, lon: 103.351, description: '新上报 new report' });
  await page.waitForSelector(`#tickets tr[data-ticket="${fresh.id}"]`);
  await page.waitForSelector(`#map circle[data-ticket="${fresh.id}"]`);

  // The language switch.
  assert.equal(await page.textContent('#tickets thead th:nth-child(2)'), '状态');
  await page.selectOption('#lang', 'en');
  assert.equal(await page.textContent('#tickets thead th:nth-child(2)'), 'Status');
  await screenshot(page, 'dashboard-desktop-en');

  // Phone size: the same page in one column.
  await page.setViewportSize(PHONE);
  await screenshot(page, 'dashboard-phone');

  // Log out: the token stops working and the form is back.
  await page.click('#logout');
  await page.waitForSelector('#login:not(.hidden)');
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  assert.deepEqual(errors, []);
  await context.close();
});

test('figures, supervision, chart and bulletin come from API.md §8', async () => {
  // Ticket a was accepted by the first test (street light: 48 h). Three days later it is overdue.
  const a = (await call(daemon.base, 'GET', `/api/v1/reports/${reports.a.id}`, { token: admin })).body;
  assert.ok(a.deadline_at, 'ticket a was accepted by the first test');
  const later = new Date(Date.parse(a.deadline_at) + 24 * 3600 * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const pinned = await call(daemon.base, 'POST', '/api/v1/admin/clock', { token: admin, body: { now: later } });
  assert.equal(pinned.status, 200, pinned.text);
  try {
    const context = await browser.newContext({ viewport: DESKTOP, acceptDownloads: true });
    const page = await context.newPage();
    const errors = collectPageErrors(page);
    await logIn(page, DISPATCHER);
    const mz01 = grids.find((g) => g.id === a.grid_id);

    // Ranking: MZ-01 has one ticket due (overdue, not closed): closure rate 0 %, drawn red.
    const row = page.locator(`#ranking tbody tr[data-grid="${mz01.code}"]`);
    await page.waitForFunction((code) => {
      const r = document.querySelector(`#ranking tbody tr[data-grid="${code}"]`);
      return r && r.children[4].textContent === '1';
    }, mz01.code);
    const cells = await row.locator('td').allTextContents();
    assert.equal(cells[5], '0.0%');
    assert.equal(await page.getAttribute(`#map path[data-grid="${mz01.code}"]`, 'fill'), '#c62828');
    // Grids with nothing due rank after it and show no rate.
    const other = await page.locator('#ranking tbody tr').last().locator('td').allTextContents();
    assert.equal(other[5], '—');

    // Supervision: ticket a, 24 hours overdue.
    await page.waitForSelector(`#supervision tr[data-ticket="${a.id}"]`);
    const sup = await page.locator(`#supervision tr[data-ticket="${a.id}"] td`).allTextContents();
    assert.equal(sup[4], '24.0');

    // The chart has this week's closure-rate point (0 %).
    await page.waitForSelector('#chart svg circle.dot-closure');

    // The bulletin of this week lists every grid, MZ-01 among them, and its CSV downloads.
    await page.waitForSelector(`#bulletin table tr[data-grid-id="${mz01.id}"]`);
    assert.equal(await page.locator('#bulletin table tbody tr').count(), grids.length);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#bulletin-csv')]);
    assert.match(download.suggestedFilename(), /^bulletin-\d{4}-W\d{2}\.csv$/);
    const chunks = [];
    for await (const chunk of await download.createReadStream()) chunks.push(chunk);
    const csv = Buffer.concat(chunks).toString('utf8');
    assert.match(csv, /^rank,grid_id,grid_name,/);
    assert.equal(csv.trimEnd().split('\r\n').length, 1 + grids.length);
    await screenshot(page, 'dashboard-figures');
    assert.deepEqual(errors, []);
    await context.close();
  } finally {
    await call(daemon.base, 'POST', '/api/v1/admin/clock', { token: admin, body: { now: null } });
  }
});

test('the admin edits the working calendar; scorecards list people by role (issue 17)', async () => {
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'zh-CN' });
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  await logIn(page, ADMIN);

  // The default calendar, editable by the admin.
  await page.waitForFunction(() => document.querySelector('#cal-timezone').value === 'Asia/Shanghai');
  assert.equal(await page.inputValue('#cal-periods'), '08:30-12:00, 14:30-18:00');
  assert.equal(await page.inputValue('#cal-weekend'), '6, 7');
  await page.fill('#cal-holidays', '2026-10-02, 2026-10-01');
  await page.fill('#cal-extra', '2026-09-27');
  await page.click('#cal-save');
  await page.waitForFunction(() => document.querySelector('#cal-holidays').value === '2026-10-01, 2026-10-02');
  const saved = (await call(daemon.base, 'GET', '/api/v1/work-calendar', { token: admin })).body;
  assert.deepEqual(saved.holidays, ['2026-10-01', '2026-10-02']);
  assert.deepEqual(saved.extra_workdays, ['2026-09-27']);
  // Periods out of order: refused by the server, named, nothing changed.
  await page.fill('#cal-periods', '14:30-18:00, 08:30-12:00');
  await page.click('#cal-save');
  await page.waitForFunction(() => document.querySelector('#calendar-note').textContent.includes('invalid_field'));
  const after = (await call(daemon.base, 'GET', '/api/v1/work-calendar', { token: admin })).body;
  assert.deepEqual(after, saved);

  // Scorecards of managers (准确派遣率) and workers (按期处置率, 回退, 返工, 自行处置): one row per
  // person the API lists for the panel's window, with the API's figures.
  for (const [role, heads] of [['manager', /派遣[\s\S]*回退[\s\S]*准确派遣率/], ['worker', /按期处置率[\s\S]*回退[\s\S]*返工[\s\S]*自行处置/]]) {
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url().includes('/api/v1/stats/scorecards') && r.url().includes(`role=${role}`)),
      page.selectOption('#scorecard-role', role),
    ]);
    const { items } = await response.json();
    if (!items.length) {
      await page.waitForFunction(() => document.querySelector('#scorecards-note').textContent.length > 0);
      continue;
    }
    await page.waitForFunction((n) => document.querySelectorAll('#scorecards tbody tr').length === n, items.length);
    assert.match(await page.locator('#scorecards thead').textContent(), heads);
    for (const item of items) {
      const cells = await page.locator(`#scorecards tr[data-user="${item.user_id}"] td`).allTextContents();
      assert.equal(cells[0], item.name);
      if (role === 'worker') assert.deepEqual([cells[1], cells[5], cells[6], cells[7]],
        [item.assigned, item.returned, item.reworked, item.self_handled].map(String));
      else assert.deepEqual([cells[1], cells[2]], [item.dispatched, item.returned].map(String));
    }
  }
  const day = (offset) => new Date(Date.now() + offset * 86400e3).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const anyWorkers = await call(daemon.base, 'GET', `/api/v1/stats/scorecards?role=worker&from=${day(-30)}&to=${day(1)}`, { token: admin });
  assert.ok(anyWorkers.body.items.length > 0, `workers have tickets by now: ${anyWorkers.text}`);

  // Scorecards: the residents of this window (the one of this file's `before` reported at least
  // three times), with their valid-report rate.
  await page.selectOption('#scorecard-role', 'resident');
  await page.waitForFunction(() => document.querySelectorAll('#scorecards thead th').length === 4);
  assert.match(await page.locator('#scorecards thead').textContent(), /有效上报率/);
  const me = (await call(daemon.base, 'GET', '/api/v1/me', { token: resident })).body;
  const cells = await page.locator(`#scorecards tr[data-user="${me.id}"] td`).allTextContents();
  assert.ok(Number(cells[1]) >= 3, cells.join(' | '));
  assert.deepEqual(await axeViolations(page), [], 'axe on the board with the calendar and scorecards');
  assert.deepEqual(errors, []);
  await context.close();
  const reset = await call(daemon.base, 'PUT', '/api/v1/admin/work-calendar', {
    token: admin, body: { ...saved, holidays: [], extra_workdays: [] },
  });
  assert.equal(reset.status, 200, reset.text);
});

test('rework and verify from the ticket view, which follows the worker live', async () => {
  // The demo grid MZ-01's workers; ticket a is assigned to one of them by now.
  const workers = await Promise.all(['13700000101', '13700000102'].map((phone) => login(daemon.base, { phone, password: 'demo-pass-2026' })));
  let a = (await call(daemon.base, 'GET', `/api/v1/reports/${reports.a.id}`, { token: admin })).body;
  const worker = workers.find((w) => w.user.id === a.assignee_id);
  assert.ok(worker, 'ticket a is assigned to a demo worker of MZ-01');
  await act(daemon.base, worker.token, a.id, { action: 'start' });
  await act(daemon.base, worker.token, a.id, { action: 'resolve', note: '已修复 fixed' }, { photo: true });

  const context = await browser.newContext({ viewport: DESKTOP });
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  await logIn(page, DISPATCHER);
  await page.click(`#tickets tr[data-ticket="${a.id}"]`);
  await page.waitForSelector('#ticket-body [data-status="resolved"]');
  await page.waitForFunction(() => [...document.querySelectorAll('#ticket-body img[data-photo]')]
    .filter((img) => img.complete && img.naturalWidth > 0).length === 2);  // the report's and the resolution's

  // Rework needs a reason; with one, the ticket goes back to the worker.
  await page.fill('#ticket-body input[data-reason="rework"]', '仍然不亮 still dark');
  await page.click('#ticket-body button[data-action="rework"]');
  await page.waitForSelector('#ticket-body [data-status="in_progress"]');
  a = (await call(daemon.base, 'GET', `/api/v1/reports/${a.id}`, { token: admin })).body;
  assert.equal(a.status, 'in_progress');
  assert.equal(a.rework_count, 1);

  // The worker resolves again: the open ticket view updates by itself (WebSocket), then verify.
  await act(daemon.base, worker.token, a.id, { action: 'resolve', note: '换了灯泡 new bulb' }, { photo: true });
  await page.waitForSelector('#ticket-body [data-status="resolved"]');
  await page.click('#ticket-body button[data-action="verify"]');
  await page.waitForSelector('#ticket-body [data-status="closed"]');
  a = (await call(daemon.base, 'GET', `/api/v1/reports/${a.id}`, { token: admin })).body;
  assert.equal(a.status, 'closed');
  assert.deepEqual(a.events.map((e) => e.action), ['submit', 'accept', 'assign', 'start', 'resolve', 'rework', 'resolve', 'verify']);
  assert.equal(await page.locator('#ticket-body li[data-event]').count(), a.events.length);
  await screenshot(page, 'dashboard-ticket-closed');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a manager sees only the tickets of their own grids', async () => {
  const context = await browser.newContext({ viewport: DESKTOP });
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  const manager = { phone: '13900000201', password: 'demo-pass-2026' };  // demo: manages MZ-02 and MZ-03
  const me = (await login(daemon.base, manager)).user;
  await logIn(page, manager);
  await page.waitForSelector(`#tickets tr[data-ticket="${reports.c.id}"]`);
  assert.equal(await page.locator(`#tickets tr[data-ticket="${reports.a.id}"]`).count(), 0);
  assert.equal(await page.locator('#ranking tbody tr').count(), me.grid_ids.length);
  await page.click(`#tickets tr[data-ticket="${reports.c.id}"]`);
  await page.waitForSelector('#ticket-body button[data-action="accept"]');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a resident cannot use the dashboard', async () => {
  const context = await browser.newContext({ viewport: PHONE });
  const page = await context.newPage();
  await page.goto(`${daemon.base}/dashboard/`);
  await page.fill('#phone', '13512345678');
  await page.fill('#password', 'resident-pass-1');
  await page.click('#login-button');
  await page.waitForFunction(() => document.querySelector('#login-error').textContent.length > 0);
  assert.ok(await page.isHidden('#app'));
  await page.fill('#password', 'wrong-password');
  await page.click('#login-button');
  await page.waitForFunction(() => /unauthorized/.test(document.querySelector('#login-error').textContent));
  await context.close();
});

// The demo city (docs/web.md, "The demo city") at desktop and phone sizes, with what this session
// added to the ticket view: a partner's comment on the timeline and "—" for a report placed by
// address only; axe-core (WCAG 2.1 A/AA rules) finds nothing on the board or in the ticket dialog.
test('the demo city opens lived in, at both sizes, and axe finds no violation', async () => {
  const lived = await startDaemon({ history: true, testClock: false });
  try {
    const admin = (await login(lived.base, ADMIN)).token;
    const key = await call(lived.base, 'POST', '/api/v1/admin/open311-keys', { token: admin, body: { name: 'FixMyStreet' } });
    assert.equal(key.status, 201, key.text);
    const form = (fields) => ({ body: new URLSearchParams({ api_key: key.body.api_key, ...fields }).toString(),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    const post311 = async (fields) => {
      const r = await fetch(`${lived.base}/open311/v2/requests.json`, { method: 'POST', ...form(fields) });
      const body = await r.json();
      assert.equal(r.status, 200, JSON.stringify(body));
      return Number(body[0].service_request_id);
    };
    const addressOnly = await post311({ service_code: '100120.street-light', address_string: '文澜路与天马路交叉口',
      description: '路灯不亮（合作方，仅地址） street light, address only' });
    const commented = await post311({ service_code: '200102.exposed-garbage', lat: '23.377', long: '103.35',
      description: '垃圾堆放（合作方） garbage pile via a partner' });
    const update = await fetch(`${lived.base}/open311/v2/servicerequestupdates.json`, { method: 'POST', ...form({
      service_request_id: String(commented), update_id: 'fms-1', status: 'OPEN',
      description: '今早还在。Still there this morning.', updated_datetime: new Date().toISOString() }) });
    assert.equal(update.status, 200, await update.text());

    for (const [name, viewport] of [['desktop', { width: 1440, height: 900 }], ['phone', PHONE]]) {
      const context = await browser.newContext({ viewport, locale: 'zh-CN' });
      const page = await context.newPage();
      const errors = collectPageErrors(page);
      await page.goto(`${lived.base}/dashboard/`);
      await page.fill('#phone', DISPATCHER.phone);
      await page.fill('#password', DISPATCHER.password);
      await page.click('#login-button');
      await page.waitForSelector('#app:not(.hidden)');
      await page.waitForSelector('#ranking tbody tr');
      await page.waitForFunction(() => document.querySelectorAll('#map circle.marker').length >= 5);
      await page.waitForFunction(() => document.querySelectorAll('#tickets tr[data-ticket]').length >= 10);
      await page.waitForSelector('#chart svg circle.dot-closure');
      await page.waitForSelector('#bulletin table tbody tr');
      await page.waitForSelector(`#map circle[data-ticket="${commented}"]`);
      // The address-only ticket is listed but has no marker.
      await page.waitForSelector(`#tickets tr[data-ticket="${addressOnly}"]`);
      assert.equal(await page.locator(`#map circle[data-ticket="${addressOnly}"]`).count(), 0);
      await screenshot(page, `dashboard-demo-city-${name}`);
      await screenshot(page, `dashboard-demo-city-${name}-top`, { fullPage: false });
      assert.deepEqual(await axeViolations(page), [], `axe on the ${name} board`);

      await page.click(`#tickets tr[data-ticket="${commented}"]`);
      await page.waitForSelector('dialog#ticket[open] #ticket-body li[data-event="comment"]');
      const comment = await page.textContent('#ticket-body li[data-event="comment"]');
      assert.match(comment, /合作方留言/);
      assert.match(comment, /Still there this morning\./);
      assert.match(comment, /\[partner status: OPEN\]/);
      // The note's second line (the partner's status word) starts a line of its own.
      const noteLines = await page.evaluate(() => document.querySelector('#ticket-body li[data-event="comment"] > div').innerText.split('\n'));
      assert.deepEqual(noteLines, ['今早还在。Still there this morning.', '[partner status: OPEN]']);
      await screenshot(page, `dashboard-demo-partner-comment-${name}`, { fullPage: false });
      assert.deepEqual(await axeViolations(page), [], `axe on the ${name} ticket dialog with a partner comment`);
      await page.click('#ticket-close');

      await page.click(`#tickets tr[data-ticket="${addressOnly}"]`);
      await page.waitForSelector('dialog#ticket[open] #ticket-body li[data-event="submit"]');
      assert.match(await page.textContent('#ticket-body'), /文澜路与天马路交叉口/);
      const location = await page.evaluate(() => [...document.querySelectorAll('#ticket-body dt')]
        .find((dt) => dt.textContent === '位置')?.nextElementSibling?.textContent);
      assert.equal(location, '—');
      await screenshot(page, `dashboard-demo-address-only-${name}`, { fullPage: false });
      assert.deepEqual(await axeViolations(page), [], `axe on the ${name} ticket dialog without coordinates`);
      await page.click('#ticket-close');
      assert.deepEqual(errors, []);
      await context.close();
    }
  } finally {
    assert.equal(await lived.stop(), 0);
  }
});

// The standard's branches (API.md §4, docs/workflow.md): a dispatcher parks a ticket from the
// ticket view, finds it under the "parked" filter with its date, unparks it, and voids it.
test('park, unpark and void from the ticket view; the new statuses in the filter', async () => {
  const dispatcher = (await login(daemon.base, DISPATCHER)).token;
  const report = await submitReport(daemon.base, resident, { category: '100306.litter-bin', ...IN_MZ02, description: '挂账测试 parking test' });
  const { status: before } = await act(daemon.base, dispatcher, report.id, { action: 'accept' });  // MZ-02 may auto-assign
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'zh-CN' });
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  await logIn(page, DISPATCHER);
  await page.click(`#tickets tr[data-ticket="${report.id}"]`);
  await page.waitForSelector('#ticket-body button[data-action="park"]');

  // Park needs a reason and a date: without them nothing is sent.
  await page.click('#ticket-body button[data-action="park"]');
  await page.waitForFunction(() => document.querySelector('#action-message').textContent.length > 0);
  let server = (await call(daemon.base, 'GET', `/api/v1/reports/${report.id}`, { token: admin })).body;
  assert.equal(server.status, before);
  const until = new Date(Date.now() + 30 * 86400e3).toISOString().slice(0, 10);
  await page.fill('#ticket-body input[data-until]', until);
  await page.fill('#ticket-body input[data-reason="park"]', '待财政拨款 awaiting budget');
  await page.click('#ticket-body button[data-action="park"]');
  await page.waitForSelector('#ticket-body [data-status="parked"]');
  assert.match(await page.textContent('#ticket-body'), /挂账至/);
  server = (await call(daemon.base, 'GET', `/api/v1/reports/${report.id}`, { token: admin })).body;
  assert.equal(server.status, 'parked');
  assert.equal(server.parked_until, `${until}T00:00:00Z`);

  // The filter lists the three new statuses; "parked" shows this ticket, labelled 挂账.
  await page.click('#ticket-close');
  const options = await page.locator('#status-filter option').evaluateAll((os) => os.map((o) => o.value));
  for (const s of ['checking', 'parked', 'voided']) assert.ok(options.includes(s), s);
  await page.selectOption('#status-filter', 'parked');
  await page.waitForSelector(`#tickets tr[data-ticket="${report.id}"][data-status="parked"]`);
  assert.match(await page.textContent(`#tickets tr[data-ticket="${report.id}"]`), /挂账/);

  await page.click(`#tickets tr[data-ticket="${report.id}"]`);
  await page.click('#ticket-body button[data-action="unpark"]');
  await page.waitForSelector(`#ticket-body [data-status="${before}"]`);
  await page.fill('#ticket-body input[data-reason="void"]', '录入错误 entered in error');
  await page.click('#ticket-body button[data-action="void"]');
  await page.waitForSelector('#ticket-body [data-status="voided"]');
  assert.equal(await page.locator('#ticket-body button[data-action="void"]').count(), 0);
  server = (await call(daemon.base, 'GET', `/api/v1/reports/${report.id}`, { token: admin })).body;
  assert.deepEqual(server.events.map((e) => e.action), ['submit', 'accept', 'park', 'unpark', 'void']);
  assert.deepEqual(errors, []);

  // The bulletin counts the branches: a board opened now shows this week's figures as the API does.
  const board = await context.newPage();
  const boardErrors = collectPageErrors(board);
  await logIn(board, DISPATCHER);
  await board.waitForSelector('#bulletin-branches');
  const week = await board.inputValue('#bulletin-week');
  const total = (await call(daemon.base, 'GET', `/api/v1/bulletins/weekly?week=${week}`, { token: admin })).body.total;
  assert.ok(total.voided >= 1, JSON.stringify(total));
  assert.equal(await board.textContent('#bulletin-branches'),
    `核实 ${total.checked}（不属实 ${total.refuted}），挂账 ${total.parked}，自行处置 ${total.self_handled}，作废 ${total.voided}。`);
  assert.deepEqual(await axeViolations(board), [], 'axe on the board with the bulletin\'s branch figures');
  assert.deepEqual(boardErrors, []);
  await context.close();
});
