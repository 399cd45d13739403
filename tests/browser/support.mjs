// Browser-test support: the real civicsnapd on an ephemeral port with a fresh data dir and the
// demo city, a small JSON client for setting the scene through the API, a synthetic PNG for
// report photos, and headless Debian chromium driven by playwright-core.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { chromium } from 'playwright-core';

export const ADMIN = { phone: '13900000000', password: 'admin-password-1' };
export const DISPATCHER = { phone: '13800000001', password: 'demo-pass-2026' };  // demo city (server/domain/demo_city.json)
export const CHROMIUM = process.env.CIVIC_CHROMIUM || '/usr/bin/chromium';
export const SCREENSHOT_DIR = process.env.CIVIC_SCREENSHOT_DIR || join(tmpdir(), 'civicsnap-screenshots');

// history: the demo city's eight simulated weeks (docs/web.md, "The demo city"); off by default,
// so that the tests' own tickets are the only ones on the board.
export async function startDaemon({ demo = true, testClock = true, history = false } = {}) {
  const binary = process.env.CIVICSNAPD;
  if (!binary) throw new Error('CIVICSNAPD must name the built daemon (ctest sets it)');
  const dataDir = mkdtempSync(join(tmpdir(), 'civicsnap-browser-'));
  const args = ['--listen', '127.0.0.1:0', '--data-dir', dataDir, '--threads', '2', '--no-access-log'];
  if (demo) args.push('--demo');
  if (demo && !history) args.push('--demo-seed', '0');
  if (testClock) args.push('--test-clock');
  const child = spawn(binary, args, {
    env: { ...process.env, CIVICSNAP_ADMIN_PHONE: ADMIN.phone, CIVICSNAP_ADMIN_PASSWORD: ADMIN.password },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  const port = await new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const m = output.match(/listening on http:\/\/127\.0\.0\.1:(\d+)\n/);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`civicsnapd exited (${code}) before listening:\n${output}`)));
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  return {
    port,
    base: `http://127.0.0.1:${port}`,
    output,
    async stop() {
      child.kill('SIGTERM');
      const code = await exited;
      rmSync(dataDir, { recursive: true, force: true });
      return code;
    },
  };
}

// JSON over HTTP; returns { status, body } and never throws on an error status.
export async function call(base, method, path, { token, body, headers = {} } = {}) {
  const all = { ...headers };
  if (token) all.Authorization = `Bearer ${token}`;
  let payload;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    all['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const response = await fetch(base + path, { method, headers: all, body: payload });
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: response.status, body: json, text, headers: response.headers };
}

export async function login(base, { phone, password }) {
  const r = await call(base, 'POST', '/api/v1/auth/login', { body: { phone, password } });
  if (r.status !== 200) throw new Error(`login ${phone}: ${r.status} ${r.text}`);
  return r.body;
}

export async function registerResident(base, phone, name) {
  const r = await call(base, 'POST', '/api/v1/auth/register', { body: { phone, password: 'resident-pass-1', display_name: name } });
  if (r.status !== 201) throw new Error(`register: ${r.status} ${r.text}`);
  return r.body;
}

// A report with one photo; returns the report object.
export async function submitReport(base, token, { category, lat, lon, description }) {
  const form = new FormData();
  form.append('meta', new Blob([JSON.stringify({ category, lat, lon, description })], { type: 'application/json' }));
  form.append('photo', new Blob([png(96, 72, lat * 1000 + lon)], { type: 'image/png' }), 'photo.png');
  const r = await call(base, 'POST', '/api/v1/reports', { token, body: form });
  if (r.status !== 201) throw new Error(`submit: ${r.status} ${r.text}`);
  return r.body;
}

// A ticket action (API.md §4); with `photo`, sent as multipart with one photo (for `resolve`).
export async function act(base, token, id, body, { photo = false } = {}) {
  let payload = body;
  if (photo) {
    payload = new FormData();
    payload.append('meta', new Blob([JSON.stringify(body)], { type: 'application/json' }));
    payload.append('photo', new Blob([png(80, 60, id + 0.5)], { type: 'image/png' }), 'after.png');
  }
  const r = await call(base, 'POST', `/api/v1/reports/${id}/actions`, { token, body: payload });
  if (r.status !== 200) throw new Error(`${body.action}: ${r.status} ${r.text}`);
  return r.body;
}

// An RGB PNG with a gradient seeded by `seed`, so that different reports get different photos.
export function png(width, height, seed = 0) {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y += 1) {
    const row = y * (width * 3 + 1);
    raw[row] = 0;  // filter: none
    for (let x = 0; x < width; x += 1) {
      raw[row + 1 + x * 3] = (x * 255) / width;
      raw[row + 2 + x * 3] = (y * 255) / height;
      raw[row + 3 + x * 3] = Math.floor(seed * 7) % 256;
    }
  }
  const chunk = (type, data) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8;  // bit depth
  header[9] = 2;  // colour type: RGB
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

function crc32(buffer) {
  let crc = 0xffffffff;
  for (const byte of buffer) {
    crc ^= byte;
    for (let k = 0; k < 8; k += 1) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

export async function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

export const DESKTOP = { width: 1366, height: 900 };
export const PHONE = { width: 390, height: 844 };

// The whole page by default; `{ fullPage: false }` for what the viewport shows (an open dialog).
export async function screenshot(page, name, { fullPage = true } = {}) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage });
  return path;
}

// Uncaught exceptions and CSP refusals fail the test that collects them. (Failed requests are
// not collected: some tests provoke 401s and 409s on purpose and check what the page shows.)
// axe-core's WCAG 2.0/2.1 A and AA rules on the page as it is now (an open dialog included); one
// line per violation and node, empty when there are none. The script goes in through the
// DevTools protocol, so the page's Content-Security-Policy stays as served.
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
export async function axeViolations(page) {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => (await window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
  })).violations.map((v) => ({ id: v.id, nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary}`) })));
  return violations.flatMap((v) => v.nodes.map((n) => `${v.id} ${n}`));
}

export function collectPageErrors(page) {
  const errors = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    const text = message.text();
    if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(text)) errors.push(`csp: ${text}`);
  });
  return errors;
}

// A phone-sized page for the app's tests. Service workers are blocked: Playwright cannot see the
// requests a worker handles (the app test loses one on purpose); the worker has a test of its own.
export async function openPhone(browser, options = {}) {
  const context = await browser.newContext({
    viewport: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 2, locale: 'zh-CN', serviceWorkers: 'block', ...options,
  });
  const page = await context.newPage();
  return { context, page, errors: collectPageErrors(page) };
}

// Every screen of the app: no axe violations, no page errors, and a screenshot kept.
export async function checkAppScreen(page, name, errors) {
  const { default: assert } = await import('node:assert/strict');
  assert.deepEqual(await axeViolations(page), [], `axe on ${name}`);
  assert.deepEqual(errors, [], `page errors on ${name}`);
  await screenshot(page, `app-${name}`, { fullPage: false });
}
