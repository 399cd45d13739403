// The served OpenAPI document (docs/api.md "OpenAPI"): linted with @redocly/cli's recommended
// rules (zero errors; the warnings are printed), and a typed client generated from it with
// openapi-typescript, type-checked with tsc and driven through a resident's flow against the real
// daemon with openapi-fetch (client/resident_flow.ts).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import openapiTS, { astToString } from 'openapi-typescript';
import { startDaemon, login, DISPATCHER, png } from './support.mjs';

const here = dirname(fileURLToPath(import.meta.url));
// Under tests/browser so that the generated code resolves openapi-fetch from node_modules.
const work = join(here, '.generated', String(process.pid));
let daemon;
let document;
let documentFile;

before(async () => {
  daemon = await startDaemon({ demo: true, testClock: true });
  const response = await fetch(`${daemon.base}/api/v1/openapi.json`);
  assert.equal(response.status, 200);
  document = await response.json();
  mkdirSync(work, { recursive: true });
  documentFile = join(work, 'openapi.json');
  writeFileSync(documentFile, JSON.stringify(document, null, 2));
});

after(async () => {
  if (daemon) assert.equal(await daemon.stop(), 0);
  rmSync(work, { recursive: true, force: true });
});

test('redocly lint (recommended rules) finds no errors in the served document', () => {
  const cli = join(here, 'node_modules', '@redocly', 'cli', 'bin', 'cli.js');
  const run = spawnSync(process.execPath, [cli, 'lint', '--config', join(here, 'redocly.yaml'), '--format', 'json', documentFile], {
    encoding: 'utf8',
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
    maxBuffer: 64 << 20,
  });
  const start = run.stdout.indexOf('{');
  assert.ok(start >= 0, `redocly printed no report:\n${run.stdout}\n${run.stderr}`);
  const report = JSON.parse(run.stdout.slice(start));
  const byRule = new Map();
  for (const p of report.problems) {
    const key = `${p.severity} ${p.ruleId}`;
    byRule.set(key, (byRule.get(key) ?? 0) + 1);
  }
  console.log(`redocly lint: ${report.totals.errors} errors, ${report.totals.warnings} warnings`);
  for (const [rule, count] of [...byRule].sort()) console.log(`  ${rule}: ${count}`);
  const errors = report.problems.filter((p) => p.severity === 'error');
  assert.deepEqual(
    errors.map((p) => `${p.ruleId}: ${p.message} at ${p.location?.[0]?.pointer}`),
    [],
  );
  assert.equal(run.status, 0, run.stderr);
});

test('every route is described, and no API path ends in a slash', () => {
  const undocumented = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, op] of Object.entries(item)) if (op['x-undocumented']) undocumented.push(`${method} ${path}`);
    if (path.startsWith('/api/') || path.startsWith('/open311/')) assert.ok(!path.endsWith('/'), path);
  }
  assert.deepEqual(undocumented, [], 'routes missing from server/api/openapi/*.json');
});

// Generates the client's types from `doc` into `dir` with resident_flow.ts beside them and runs
// tsc there; returns tsc's result.
async function typecheck(doc, dir) {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'openapi.json');
  writeFileSync(file, JSON.stringify(doc, null, 2));
  // Binary parts (photos) typed as Blob, as for uploads in a browser.
  const BLOB = ts.factory.createTypeReferenceNode(ts.factory.createIdentifier('Blob'));
  const ast = await openapiTS(pathToFileURL(file), {
    transform(schema) {
      if (schema.format === 'binary') return BLOB;
      return undefined;
    },
  });
  writeFileSync(join(dir, 'civicsnap-api.d.ts'), astToString(ast));
  copyFileSync(join(here, 'client', 'resident_flow.ts'), join(dir, 'resident_flow.ts'));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true,
      noUncheckedIndexedAccess: true, skipLibCheck: false, lib: ['ES2022', 'DOM'], outDir: 'out', types: [],
    },
    files: ['resident_flow.ts', 'civicsnap-api.d.ts'],
  }));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  const tsc = spawnSync(process.execPath, [join(here, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { encoding: 'utf8' });
  return { status: tsc.status, output: `${tsc.stdout}${tsc.stderr}` };
}

test('the client check can fail: a document that lost a field or a path does not type-check', async () => {
  // Points without `balance`: the flow's use of it is an error, and so is the @ts-expect-error on
  // `balanse` once every name is allowed.
  const noBalance = structuredClone(document);
  delete noBalance.components.schemas.Points.properties.balance;
  noBalance.components.schemas.Points.required = noBalance.components.schemas.Points.required.filter((f) => f !== 'balance');
  let tsc = await typecheck(noBalance, join(work, 'no-balance'));
  assert.notEqual(tsc.status, 0, 'tsc accepted a document without Points.balance');
  assert.match(tsc.output, /balance/);
  // Report.rating typed loosely: the @ts-expect-error on a string rating is then unused.
  const looseRating = structuredClone(document);
  looseRating.components.schemas.Report.properties.rating = {};
  tsc = await typecheck(looseRating, join(work, 'loose-rating'));
  assert.notEqual(tsc.status, 0, 'tsc accepted a document whose Report.rating takes anything');
  assert.match(tsc.output, /Unused '@ts-expect-error' directive/);
  // A renamed path: the client's call of the old one is an error.
  const renamed = structuredClone(document);
  renamed.paths['/api/v1/me/points-balance'] = renamed.paths['/api/v1/me/points'];
  delete renamed.paths['/api/v1/me/points'];
  tsc = await typecheck(renamed, join(work, 'renamed'));
  assert.notEqual(tsc.status, 0, 'tsc accepted a document without GET /api/v1/me/points');
});

test('a client generated from the document type-checks and drives a resident flow', async () => {
  const tsc = await typecheck(document, work);
  assert.equal(tsc.status, 0, `tsc found type errors:\n${tsc.output}`);

  const { residentFlow } = await import(pathToFileURL(join(work, 'out', 'resident_flow.js')).href);
  const staff = await login(daemon.base, DISPATCHER);
  const result = await residentFlow({
    baseUrl: daemon.base,
    phone: '13700001234',
    photo: new Blob([png(64, 48, 3)], { type: 'image/png' }),
    staffToken: staff.token,
  });
  // Accepted; auto-assigned at once when its grid has workers.
  assert.ok(['accepted', 'assigned'].includes(result.report.status), result.report.status);
  assert.ok(result.report.accepted_at !== null && result.report.deadline_at !== null);
  assert.ok(result.report.photos.length === 1 && result.report.photos[0].stage === 'report');
  assert.ok(result.points.balance > 0, 'the accepted report earned points');
  assert.equal(result.points.balance, result.ledger.items.reduce((sum, line) => sum + line.amount, 0));
});
