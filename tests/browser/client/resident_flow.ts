// A resident's flow through a client generated from the served OpenAPI document
// (openapi.test.mjs writes ./civicsnap-api.d.ts with openapi-typescript before tsc checks this
// file): register, look up a category, submit a report with a photo (multipart), read it back,
// see it accepted by staff, and read the points it earned and the ledger behind them. Every call
// goes through openapi-fetch typed by the document; a wrong path, parameter or field is a tsc error.
import createClient from 'openapi-fetch';
import type { components, paths } from './civicsnap-api.js';

type Report = components['schemas']['Report'];
type Points = components['schemas']['Points'];
type LedgerPage = components['schemas']['LedgerPage'];

export interface FlowInput {
  baseUrl: string;
  phone: string;
  photo: Blob;
  staffToken: string;  // a dispatcher's token, to accept the report so that points are earned
}

export interface FlowResult {
  report: Report;
  points: Points;
  ledger: LedgerPage;
}

function fail(step: string, status: number, error: unknown): never {
  throw new Error(`${step}: HTTP ${status} ${JSON.stringify(error)}`);
}

export async function residentFlow(input: FlowInput): Promise<FlowResult> {
  const client = createClient<paths>({ baseUrl: input.baseUrl });

  const registered = await client.POST('/api/v1/auth/register', {
    body: { phone: input.phone, password: 'resident-pass-1', display_name: '生成客户端' },
  });
  if (!registered.data) fail('register', registered.response.status, registered.error);
  const token = registered.data.token;
  if (registered.data.user.role !== 'resident') throw new Error('a registered account is a resident');
  const auth = { Authorization: `Bearer ${token}` };

  // The same call a second time: the phone is taken, and the typed error says so.
  const again = await client.POST('/api/v1/auth/register', {
    body: { phone: input.phone, password: 'resident-pass-1', display_name: '生成客户端' },
  });
  if (again.response.status !== 409 || again.error?.error.code !== 'conflict') fail('register twice', again.response.status, again.error);

  const categories = await client.GET('/api/v1/categories');
  if (!categories.data) fail('categories', categories.response.status, categories.error);
  const category = categories.data.items[0];
  if (!category) throw new Error('the demo city has categories');

  // multipart/form-data: the document's schema types the body ({meta, photo[]}); the serializer
  // turns it into the parts the server reads.
  const submitted = await client.POST('/api/v1/reports', {
    headers: auth,
    params: { header: { 'Idempotency-Key': `flow-${input.phone}` } },
    body: {
      meta: { category: category.code, description: '井盖缺失 a manhole cover is missing', lat: 23.3695, lon: 103.3912 },
      photo: [input.photo],
    },
    bodySerializer(body) {
      const form = new FormData();
      form.append('meta', new Blob([JSON.stringify(body.meta)], { type: 'application/json' }));
      for (const photo of body.photo) form.append('photo', photo, 'photo.png');
      return form;
    },
  });
  if (!submitted.data) fail('submit', submitted.response.status, submitted.error);
  const id = submitted.data.id;
  if (submitted.data.status !== 'submitted' || submitted.data.photos.length !== 1) throw new Error('a new report with one photo');

  const read = await client.GET('/api/v1/reports/{id}', { headers: auth, params: { path: { id } } });
  if (!read.data) fail('read back', read.response.status, read.error);
  if (read.data.id !== id || read.data.events?.[0]?.action !== 'submit') throw new Error('the report reads back with its history');

  const accepted = await client.POST('/api/v1/reports/{id}/actions', {
    headers: { Authorization: `Bearer ${input.staffToken}` },
    params: { path: { id } },
    body: { action: 'accept' },
  });
  if (!accepted.data) fail('accept', accepted.response.status, accepted.error);

  const report = await client.GET('/api/v1/reports/{id}', { headers: auth, params: { path: { id } } });
  if (!report.data) fail('read accepted', report.response.status, report.error);

  const points = await client.GET('/api/v1/me/points', { headers: auth });
  if (!points.data) fail('points', points.response.status, points.error);
  if (points.data.balance <= 0) throw new Error('the accepted report earned points');
  const ledger = await client.GET('/api/v1/me/points/ledger', { headers: auth, params: { query: { limit: 10 } } });
  if (!ledger.data) fail('ledger', ledger.response.status, ledger.error);
  if (ledger.data.items[0]?.kind !== 'report_accepted') throw new Error('the ledger shows the report reward');

  // The generated types are real: a misspelt field does not compile.
  // @ts-expect-error `balanse` is not a field of Points
  void points.data.balanse;
  // @ts-expect-error `rating` is 1..5 on a report, but an integer is required, not a string
  const wrong: Report['rating'] = 'five';
  void wrong;

  return { report: report.data, points: points.data, ledger: ledger.data };
}
