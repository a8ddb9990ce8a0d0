// Disconnecting a WhatsApp integration unsubscribes the app from its WhatsApp Business Account's webhooks
// (DELETE /<waba>/subscribed_apps), best effort and only when no other live integration uses that
// account: otherwise Meta keeps delivering, and retrying for days, messages nobody receives any more.
// Only integrations the hub connected through OAuth (it subscribed their app then); a pasted token's
// app is the customer's own and stays as they set it. The OAuth flows end to end are in oauth-connect
// and oauth-whatsapp-business; here the OAuth tokens are written as the callback stores them.
import { createHmac } from 'node:crypto';
import { Client } from 'pg';
import { OAuthTokensService } from '../../src/modules/integrations/oauth-tokens.service';
import { createIntegration, createSubAccount } from '../support/factories';
import { FakeReply, FakeRequest } from '../support/fake-server';
import { ProviderFakes } from '../support/provider-fakes';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, waitFor } from '../support/webhooks';

const APP_SECRET = 'wa-disconnect-app-secret-5150';
const OK: FakeReply = { status: 200, body: { success: true } };

interface Unsubscribe {
  wabaId: string;
  token: string;
  proof: string | null;
  /** The request target as sent: the token must not be in it. */
  url: string;
  /** Whether the integration's token was still stored when Meta was called. */
  tokenStored: boolean;
}

describe('WhatsApp disconnect: the app unsubscribed from the WABA', () => {
  let t: TestApp;
  let fakes: ProviderFakes;
  let sub: number;
  let otherSub: number;
  /** What the fake Graph answers to DELETE /<waba>/subscribed_apps; a function gets the caller's token. */
  let reply: (token: string) => FakeReply = () => OK;
  const calls: Unsubscribe[] = [];

  beforeAll(async () => {
    fakes = await ProviderFakes.start();
    fakes.graph.on('DELETE', /^\/\d+\/subscribed_apps$/, async (req: FakeRequest) => {
      const wabaId = req.path.split('/')[1];
      const token = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
      const stored = await t.sql.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM integrations WHERE config->>'wabaId' = $1 AND config ? 'accessToken' AND status <> 'disconnected'",
        [wabaId],
      );
      calls.push({
        wabaId,
        token,
        proof: req.query.get('appsecret_proof'),
        url: req.url,
        tokenStored: stored.rows[0].n > 0,
      });
      return reply(token);
    });
    // a short outbound timeout, so that Meta not answering is seen within the test
    // the hub's Meta app, as a deployment that connects through OAuth has it (a system-user token is
    // not revoked: nothing is asked of Meta beyond the unsubscribe)
    t = await createTestApp({
      env: { ...fakes.env, OUTBOUND_TIMEOUT_MS: '400', META_APP_ID: '1234567890', META_APP_SECRET: 'hub-app-secret' },
    });
    sub = await createSubAccount(t, 'MAX', 'WhatsApp disconnect');
    otherSub = await createSubAccount(t, 'MAX', 'Other business');
  });
  afterAll(async () => {
    await t.close();
    await fakes.close();
  });
  beforeEach(() => {
    reply = () => OK;
  });

  const admin = (subAccountId = sub) => `Bearer ${t.token('ADMIN', [subAccountId])}`;
  const proofOf = (token: string) => createHmac('sha256', APP_SECRET).update(token).digest('hex');
  const callsFor = (wabaId: string) => calls.filter((c) => c.wabaId === wabaId);

  /** A live WhatsApp integration connected through OAuth (a business system-user token), unless `pasted`. */
  async function whatsapp(
    phoneNumberId: string,
    wabaId: string,
    subAccountId = sub,
    pasted = false,
  ): Promise<{ id: number; token: string }> {
    const token = `EAAW-pasted-${phoneNumberId}`;
    const { id } = await createIntegration(t, subAccountId, 'whatsapp-cloud', {
      phoneNumberId,
      wabaId,
      accessToken: token,
      appSecret: APP_SECRET,
      verifyToken: `verify-${phoneNumberId}`,
    });
    await activate(t, subAccountId, id);
    if (!pasted) {
      const sealed = t.app.get(OAuthTokensService).seal(id, { accessToken: token, systemUser: true });
      await t.sql.query("UPDATE integrations SET oauth_provider = 'meta', oauth_tokens = $2 WHERE id = $1", [
        id,
        sealed,
      ]);
    }
    return { id, token };
  }

  const disconnect = (id: number, subAccountId = sub) =>
    t.http.post(`/api/integrations/${id}/disconnect`).set('authorization', admin(subAccountId));

  const stored = async (id: number) =>
    (
      await t.sql.query<{ status: string; is_active: boolean; config: Record<string, unknown> }>(
        'SELECT status::text AS status, is_active, config FROM integrations WHERE id = $1',
        [id],
      )
    ).rows[0];

  it('the only integration on a WABA: one DELETE /<waba>/subscribed_apps with its token and appsecret_proof, made before the token is erased; the answer is as before', async () => {
    const wabaId = '102290129351001';
    const { id, token } = await whatsapp('106540352251001', wabaId);
    const res = await disconnect(id);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(expect.objectContaining({ id, status: 'disconnected', isActive: false }));
    expect(res.body.config.accessToken).toBeUndefined();
    expect(res.body.config.appSecret).toEqual({ secret: true, last4: expect.any(String) });
    expect(res.body.config.wabaId).toBe(wabaId);

    expect(callsFor(wabaId)).toEqual([
      { wabaId, token, proof: proofOf(token), url: expect.any(String), tokenStored: true },
    ]);
    // the token travels in the Authorization header, never in the URL
    expect(callsFor(wabaId)[0].url).not.toContain(token);
    const row = await stored(id);
    expect([row.status, row.is_active, 'accessToken' in row.config]).toEqual(['disconnected', false, false]);
    expect(t.logs()).not.toContain(token);

    // disconnected again: no token left to call with, and nothing to unsubscribe twice
    expect((await disconnect(id)).status).toBe(200);
    expect(callsFor(wabaId)).toHaveLength(1);
  });

  it("a pasted token's integration: no call (its app is the customer's, subscribed by them), the disconnect as before", async () => {
    const wabaId = '102290129359009';
    const { id } = await whatsapp('106540352259009', wabaId, sub, true);
    const res = await disconnect(id);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(expect.objectContaining({ id, status: 'disconnected', isActive: false }));
    expect(callsFor(wabaId)).toEqual([]);
  });

  it('deleting the integration unsubscribes the app as a disconnect does; the delete answers 204 as before', async () => {
    const wabaId = '102290129358008';
    const { id, token } = await whatsapp('106540352258008', wabaId);
    const res = await t.http.delete(`/api/integrations/${id}`).set('authorization', admin());
    expect(res.status).toBe(204);
    expect(callsFor(wabaId)).toEqual([
      { wabaId, token, proof: proofOf(token), url: expect.any(String), tokenStored: true },
    ]);
    expect((await t.sql.query('SELECT 1 FROM integrations WHERE id = $1', [id])).rows).toEqual([]);
  });

  it('another live integration on the WABA (another sub-account here) keeps the subscription; disconnecting the last one removes it', async () => {
    const wabaId = '102290129352002';
    const first = await whatsapp('106540352252001', wabaId);
    const second = await whatsapp('106540352252002', wabaId, otherSub);
    const logFrom = t.logs().length;

    const res = await disconnect(first.id);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('disconnected');
    expect(callsFor(wabaId)).toHaveLength(0);
    // said at info level, with why
    expect(t.logs().slice(logFrom)).toMatch(
      new RegExp(`"level":30[^\\n]*"integrationId":${first.id}[^\\n]*another live integration uses it`),
    );

    // the first one no longer counts: the last integration on the WABA unsubscribes, with its own token
    expect((await disconnect(second.id, otherSub)).status).toBe(200);
    expect(callsFor(wabaId)).toEqual([
      { wabaId, token: second.token, proof: proofOf(second.token), url: expect.any(String), tokenStored: true },
    ]);
  });

  it.each([
    [
      'refuses (400 Graph error)',
      (token: string): FakeReply => ({
        status: 400,
        body: { error: { message: `(#200) Permissions error for ${token}`, type: 'OAuthException', code: 200 } },
      }),
      '"kind":"client","status":400',
    ],
    [
      'fails (500)',
      (token: string): FakeReply => ({ status: 500, body: { error: { message: `Unknown error ${token}`, code: 1 } } }),
      '"kind":"server","status":500',
    ],
    [
      'does not confirm (200 without success)',
      (): FakeReply => ({ status: 200, body: { success: false } }),
      '"kind":"server","status":200',
    ],
    ['does not answer in time', (): FakeReply => ({ ...OK, delayMs: 1_500 }), '"kind":"timeout"'],
  ])(
    "Meta %s: the disconnect still answers 200 and disconnects; a warning names the error's class, kind and status only",
    async (_what, answer, failure) => {
      const phone = `1065403522530${String(calls.length).padStart(2, '0')}`;
      const wabaId = `1022901293530${String(calls.length).padStart(2, '0')}`;
      const { id, token } = await whatsapp(phone, wabaId);
      reply = answer;
      const logFrom = t.logs().length;

      const res = await disconnect(id);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(expect.objectContaining({ id, status: 'disconnected', isActive: false }));
      expect(res.body.config.accessToken).toBeUndefined();
      // asked once: a disconnect does not wait on retries
      expect(callsFor(wabaId)).toHaveLength(1);
      const row = await stored(id);
      expect([row.status, row.is_active, 'accessToken' in row.config]).toEqual(['disconnected', false, false]);

      const logs = t.logs().slice(logFrom);
      expect(logs).toMatch(
        new RegExp(`"level":40[^\\n]*"integrationId":${id}[^\\n]*"reason":"OutboundError",${failure}[,}]`),
      );
      // a system-user token has no revocation: no other warning
      expect(logs.split('\n').filter((l) => l.includes('"level":40'))).toHaveLength(1);
      expect(logs).not.toContain(token);
      expect(logs).not.toContain('Permissions error');
      expect(logs).not.toContain('Unknown error');
    },
  );

  it('the last two integrations on a WABA disconnected at once: each sees the other live before its write, and the app is still unsubscribed', async () => {
    const wabaId = '102290129354004';
    const a = await whatsapp('106540352254001', wabaId);
    const b = await whatsapp('106540352254002', wabaId);
    // both disconnects check the WABA, then wait on these rows' locks: neither has written when the other checks
    const holder = new Client({ connectionString: t.db.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM integrations WHERE id = ANY($1::int[]) FOR UPDATE', [[a.id, b.id]]);
      const both = Promise.all([disconnect(a.id), disconnect(b.id)]);
      await waitFor(
        async () =>
          (
            await t.sql.query<{ n: number }>(
              "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
            )
          ).rows[0].n >= 2,
        10_000,
        'both disconnects waiting for their row',
      );
      expect(callsFor(wabaId)).toHaveLength(0);
      await holder.query('COMMIT');
      const answers = await both;
      expect(answers.map((r) => [r.status, r.body.status])).toEqual([
        [200, 'disconnected'],
        [200, 'disconnected'],
      ]);
    } finally {
      await holder.end();
    }
    // the later of the two sees the other one disconnected once its own write is committed
    const made = callsFor(wabaId);
    expect(made.length).toBeGreaterThanOrEqual(1);
    expect(made.length).toBeLessThanOrEqual(2);
    for (const call of made) expect([a.token, b.token]).toContain(call.token);
  });
});
