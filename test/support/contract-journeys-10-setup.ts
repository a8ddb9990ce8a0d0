// The app, GoHighLevel fake, sub-accounts and tokens of audit 10's journeys (test/e2e/contract-journeys-10*.e2e-spec.ts),
// one app a part, and the template the first journey defines, for the parts that start after it.
import { createSubAccount } from './factories';
import { ProviderFakes } from './provider-fakes';
import { createTestApp, TestApp } from './test-app';

export const LOCATION = 'loc_J10Journey';
export const TOKEN = 'pit-journey-ten-token-a1b2';
export const CONFIG = { locationId: LOCATION, privateIntegrationToken: TOKEN };
export const SCHEMA = {
  type: 'object',
  properties: {
    locationId: { type: 'string', minLength: 1 },
    privateIntegrationToken: { type: 'string', 'x-secret': true },
    calendarId: { type: 'string' },
  },
  required: ['locationId', 'privateIntegrationToken'],
  additionalProperties: false,
};

export interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
  details: unknown[];
}

export interface Journeys10Fixture {
  t: TestApp;
  fakes: ProviderFakes;
  sub: number;
  other: number;
  superAdmin: string;
  admin: string;
  manager: string;
  agent: string;
  attacker: string;
  close(): Promise<void>;
}

export async function setupJourneys10(): Promise<Journeys10Fixture> {
  const fakes = await ProviderFakes.start();
  fakes.location(TOKEN, LOCATION);
  fakes.ghl.on('GET', '/calendars/', (req) => ({
    status: 200,
    body: { calendars: [{ id: 'cal_j10', name: 'Consultations', locationId: req.query.get('locationId') }] },
  }));
  fakes.ghl.on('GET', '/calendars/cal_j10/free-slots', () => ({
    status: 200,
    body: { '2026-12-01': { slots: ['2026-12-01T09:00:00-05:00'] } },
  }));
  fakes.ghl.on('POST', '/calendars/events/block-slots', (req) => ({
    status: 201,
    body: { id: 'block_j10', ...(req.body as object) },
  }));
  fakes.ghl.on('POST', '/contacts/upsert', () => ({
    status: 200,
    body: { new: true, contact: { id: 'ghl_c_j10' } },
  }));
  const t = await createTestApp({ env: { ...fakes.env, WEBHOOK_CACHE_TTL_MS: '0' } });
  const sub = await createSubAccount(t, 'STARTER', 'Journey Ten');
  const other = await createSubAccount(t, 'PRO', 'Attacker Ten');
  const superAdmin = `Bearer ${t.token('SUPER_ADMIN')}`;
  const admin = `Bearer ${t.token('ADMIN', [sub], 'admin-j10')}`;
  const manager = `Bearer ${t.token('MANAGER', [sub])}`;
  const agent = `Bearer ${t.token('AGENT', [sub])}`;
  const attacker = `Bearer ${t.token('ADMIN', [other], 'attacker-j10')}`;
  return {
    t,
    fakes,
    sub,
    other,
    superAdmin,
    admin,
    manager,
    agent,
    attacker,
    close: async () => {
      await t?.close();
      await fakes?.close();
    },
  };
}

/** The request helpers of the parts, on the fixture their beforeAll set (read when called). */
export function journeys10Helpers(fx: () => Journeys10Fixture) {
  const error = (res: { status: number; body: ErrorBody }, status: number, code: string) => {
    expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
    expect(res.body).toEqual(
      expect.objectContaining({ statusCode: status, code, message: expect.any(String), details: expect.any(Array) }),
    );
  };
  const get = (path: string, token: string) => fx().t.http.get(path).set('authorization', token);
  const post = (path: string, token: string, body?: object) =>
    fx()
      .t.http.post(path)
      .set('authorization', token)
      .send(body ?? {});
  const patch = (path: string, token: string, body: object) =>
    fx().t.http.patch(path).set('authorization', token).send(body);
  const stored = async (id: number) =>
    (
      await fx().t.sql.query<{ status: string; is_active: boolean; name: string }>(
        'SELECT status, is_active, name FROM integrations WHERE id = $1',
        [id],
      )
    ).rows[0];
  return { error, get, post, patch, stored };
}

/** The GoHighLevel template journey 1 defines (same body), for the parts that start after it: its id. */
export async function defineTemplate(fx: Journeys10Fixture): Promise<number> {
  const created = await fx.t.http.post('/api/integration-templates').set('authorization', fx.superAdmin).send({
    name: 'journey-ghl-10',
    displayName: 'GoHighLevel (journey)',
    description: 'Bookings and contacts',
    category: 'CRM',
    icon: 'https://cdn.example.test/ghl.svg',
    handler: 'gohighlevel',
    configSchema: SCHEMA,
    setupInstructions: 'Paste a private integration token',
    apiVersion: '2021-07-28',
  });
  if (created.status !== 201) throw new Error(`the journey template answered ${created.status}`);
  return created.body.id as number;
}

/**
 * What journey 2 leaves for journey 3: an integration of the sub-account on the journey template, connected
 * and then disconnected (it still holds the STARTER GoHighLevel slot). Its id.
 */
export async function disconnectedIntegration(fx: Journeys10Fixture, template: number): Promise<number> {
  const created = await fx.t.http
    .post('/api/integrations')
    .set('authorization', fx.admin)
    .send({ subAccountId: fx.sub, integrationTemplateId: template, name: 'Journey GHL', config: CONFIG });
  if (created.status !== 201) throw new Error(`the journey integration answered ${created.status}`);
  const id = created.body.id as number;
  const gone = await fx.t.http.post(`/api/integrations/${id}/disconnect`).set('authorization', fx.admin).send({});
  if (gone.status !== 200) throw new Error(`its disconnect answered ${gone.status}`);
  return id;
}
