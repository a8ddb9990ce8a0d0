// The app of API.md contract audit 5 (test/e2e/contract-leads-oauth-5*.e2e-spec.ts), one a part: on the provider
// fakes and a GoHighLevel OAuth fake, with a MAX sub-account and another one, an ADMIN and an AGENT of each; and
// the helpers the parts share (a lead of the sub-account, the one refused shape of Conventions).
import { createSubAccount } from './factories';
import { FakeOAuthServer } from './fakes/oauth-server';
import { ProviderFakes } from './provider-fakes';
import { createTestApp, TestApp } from './test-app';

export const CRM = 'https://crm.example.test/integrations/connected';

export interface Audit5Fixture {
  t: TestApp;
  fakes: ProviderFakes;
  ghlAuth: FakeOAuthServer;
  sub: number;
  elsewhere: number;
  admin: string;
  agent: string;
  outsiderAdmin: string;
  outsiderAgent: string;
  close(): Promise<void>;
}

export async function setupAudit5(): Promise<Audit5Fixture> {
  const fakes = await ProviderFakes.start();
  let ghlAuth: FakeOAuthServer | undefined;
  let t: TestApp | undefined;
  const close = async () => {
    await t?.close();
    await Promise.all([fakes.close(), ghlAuth?.close()]);
  };
  try {
    ghlAuth = await FakeOAuthServer.start({
      flavour: 'gohighlevel',
      clientId: 'ghl-client',
      clientSecret: 'ghl-secret',
      onToken: (token, grant) => {
        if (grant.locationId) fakes.location(token, grant.locationId);
      },
    });
    t = await createTestApp({
      env: {
        ...fakes.env,
        OAUTH_REDIRECT_ALLOWLIST: CRM,
        GHL_CLIENT_ID: 'ghl-client',
        GHL_CLIENT_SECRET: 'ghl-secret',
        GHL_OAUTH_TOKEN_URL: `${ghlAuth.url}/token`,
      },
    });
    const sub = await createSubAccount(t, 'MAX', 'Audit Five');
    const elsewhere = await createSubAccount(t, 'MAX', 'Elsewhere Five');
    const admin = `Bearer ${t.token('ADMIN', [sub], 'u-admin5')}`;
    const agent = `Bearer ${t.token('AGENT', [sub], 'u-agent5')}`;
    const outsiderAdmin = `Bearer ${t.token('ADMIN', [elsewhere], 'u-out-admin')}`;
    const outsiderAgent = `Bearer ${t.token('AGENT', [elsewhere], 'u-out-agent')}`;
    return { t, fakes, ghlAuth, sub, elsewhere, admin, agent, outsiderAdmin, outsiderAgent, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The helpers of the parts, on the fixture their beforeAll set (read when called). */
export function audit5Helpers(fx: () => Audit5Fixture) {
  async function newLead(body: Record<string, unknown>, auth = fx().agent): Promise<Record<string, unknown>> {
    const res = await fx()
      .t.http.post('/api/leads')
      .set('authorization', auth)
      .send({ subAccountId: fx().sub, ...body });
    expect([res.status, JSON.stringify(res.body)]).toEqual([201, expect.any(String)]);
    return res.body as Record<string, unknown>;
  }

  /** The one error shape of Conventions, naming `field` in details. */
  function expectRefused(res: { status: number; body: Record<string, unknown> }, field: string, status = 400): void {
    expect([res.status, res.body.code, res.body.statusCode, typeof res.body.message]).toEqual([
      status,
      status === 400 ? 'VALIDATION_FAILED' : expect.any(String),
      status,
      'string',
    ]);
    expect(JSON.stringify(res.body.details)).toContain(field);
  }
  return { newLead, expectRefused };
}
