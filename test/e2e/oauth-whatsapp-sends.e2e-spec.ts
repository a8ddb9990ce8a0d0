// WhatsApp sends of a number connected through OAuth use a usable token: one that ran out is answered
// 409 REAUTHORIZATION_REQUIRED at the request (single send, bulk) and stops the worker and the bulk
// runner before Meta is called, instead of failing there with Meta's error. Workers are not started
// (APP_ROLE=api): each test runs the send worker and the bulk runner itself, at the moment it chooses.
import { OAuthTokensService, REAUTHORIZATION_MESSAGE } from '../../src/modules/integrations/oauth-tokens.service';
import { BulkRunner } from '../../src/modules/whatsapp/bulk/bulk-runner';
import { WhatsAppDeliveryService } from '../../src/modules/whatsapp/whatsapp-delivery.service';
import { WHATSAPP_CONFIG } from '../support/factories';
import { FakeWhatsAppGraph } from '../support/fakes/whatsapp-graph';
import { createTestApp, TestApp } from '../support/test-app';
import { BulkSetup, seedLeads, whatsAppSetup } from '../support/whatsapp-bulk';

/** The token the OAuth connection holds; the fake Graph takes only this one (not the pasted config token). */
const OAUTH_TOKEN = 'EAAlong-oauth-whatsapp-send-1';
/** One business number per test: a number is the routing key of one sub-account. */
const NUMBERS = ['106540352242931', '106540352242932', '106540352242933'];

describe('OAuth connections: WhatsApp sends take a usable token', () => {
  let t: TestApp;
  let fake: FakeWhatsAppGraph;

  beforeAll(async () => {
    fake = await FakeWhatsAppGraph.start({
      accessToken: OAUTH_TOKEN,
      appSecret: WHATSAPP_CONFIG.appSecret,
      numbers: Object.fromEntries(NUMBERS.map((n) => [n, WHATSAPP_CONFIG.wabaId])),
      pairLimit: null,
    });
    t = await createTestApp({
      env: { META_GRAPH_URL: fake.url, APP_ROLE: 'api', META_APP_ID: 'meta-app', META_APP_SECRET: 'meta-secret' },
    });
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  /** A WhatsApp number connected through Meta OAuth earlier (the person's long-lived user token), active, with an approved template. */
  async function connected(phoneNumberId: string, expiresAt: Date): Promise<BulkSetup> {
    const setup = await whatsAppSetup(t, fake, { phoneNumberId });
    const sealed = t.app.get(OAuthTokensService).seal(setup.integrationId, {
      accessToken: OAUTH_TOKEN,
      userToken: OAUTH_TOKEN,
      expiresAt: expiresAt.toISOString(),
    });
    await t.sql.query(
      `UPDATE integrations SET oauth_provider = 'meta', oauth_tokens = $2, oauth_expires_at = $3 WHERE id = $1`,
      [setup.integrationId, sealed, expiresAt],
    );
    return setup;
  }

  const inADay = () => new Date(Date.now() + 86_400_000);
  const expire = (id: number) =>
    t.sql.query(`UPDATE integrations SET oauth_expires_at = now() - interval '1 minute' WHERE id = $1`, [id]);
  const auth = (subAccountId: number) => `Bearer ${t.token('ADMIN', [subAccountId])}`;
  const templateSend = (s: BulkSetup, to: string) =>
    t.http
      .post('/api/whatsapp/messages')
      .set('authorization', auth(s.subAccountId))
      .send({
        subAccountId: s.subAccountId,
        integrationId: s.integrationId,
        to,
        template: { id: s.templateId },
        parameters: { 1: 'Ana' },
      });
  const integrationOf = async (s: BulkSetup) =>
    (await t.http.get(`/api/integrations/${s.integrationId}`).set('authorization', auth(s.subAccountId))).body as {
      status: string;
      errorMessage: string | null;
    };

  it('a send on a number whose OAuth token ran out: 409 REAUTHORIZATION_REQUIRED, nothing queued or sent, the integration asks for a reconnect', async () => {
    const s = await connected(NUMBERS[0], new Date(Date.now() - 60_000));
    const sendsBefore = fake.sends.length;
    const res = await templateSend(s, '+14155550101');
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('REAUTHORIZATION_REQUIRED');
    const queued = await t.sql.query('SELECT count(*)::int AS n FROM messages WHERE integration_id = $1', [
      s.integrationId,
    ]);
    expect(queued.rows[0].n).toBe(0);
    expect(fake.sends.length).toBe(sendsBefore);
    const integration = await integrationOf(s);
    expect(integration.status).toBe('error');
    expect(integration.errorMessage).toBe(REAUTHORIZATION_MESSAGE);
    expect(JSON.stringify(integration)).not.toContain(OAUTH_TOKEN);
    // and so on until someone reconnects, without asking Meta again
    const again = await templateSend(s, '+14155550101');
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('REAUTHORIZATION_REQUIRED');
    expect(fake.sends.length).toBe(sendsBefore);
  });

  it('the worker sends with the OAuth token while it is good; a message queued before it ran out fails with REAUTHORIZATION_REQUIRED, unsent', async () => {
    const s = await connected(NUMBERS[1], inADay());
    const sender = t.app.get(WhatsAppDeliveryService);
    const first = await templateSend(s, '+14155550102');
    expect(first.status).toBe(202);
    // the fake takes only the OAuth token: an accepted send proves the connection's token was used
    expect(await sender.deliver(first.body.id)).toMatchObject({ kind: 'accepted' });

    const second = await templateSend(s, '+14155550103');
    expect(second.status).toBe(202);
    await expire(s.integrationId);
    const sendsBefore = fake.sends.length;
    expect(await sender.deliver(second.body.id)).toEqual({
      kind: 'failed',
      error: { code: null, title: 'REAUTHORIZATION_REQUIRED', details: REAUTHORIZATION_MESSAGE },
    });
    expect(fake.sends.length).toBe(sendsBefore);
    const row = await t.sql.query('SELECT status, error_title, wamid FROM messages WHERE id = $1', [second.body.id]);
    expect(row.rows[0]).toEqual({ status: 'failed', error_title: 'REAUTHORIZATION_REQUIRED', wamid: null });
    expect((await integrationOf(s)).status).toBe('error');
  });

  it('bulk: one accepted while the token was good stops at its next slice without a send once it ran out; a new one is refused with 409', async () => {
    const s = await connected(NUMBERS[2], inADay());
    const leadIds = await seedLeads(t.sql, s.subAccountId, 3, 7_300_000);
    const create = () =>
      t.http
        .post('/api/whatsapp/bulk')
        .set('authorization', auth(s.subAccountId))
        .send({
          subAccountId: s.subAccountId,
          integrationId: s.integrationId,
          leadIds,
          template: { id: s.templateId },
          parameters: { 1: 'there' },
        });
    const accepted = await create();
    expect(accepted.status).toBe(202);
    await expire(s.integrationId);
    const sendsBefore = fake.sends.length;
    await t.app.get(BulkRunner).run({ bulkId: BigInt(accepted.body.id) });
    const bulk = await t.sql.query('SELECT status, error FROM whatsapp_bulk_jobs WHERE id = $1', [accepted.body.id]);
    expect(bulk.rows[0]).toEqual({ status: 'failed', error: REAUTHORIZATION_MESSAGE });
    expect(fake.sends.length).toBe(sendsBefore);

    const refused = await create();
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('REAUTHORIZATION_REQUIRED');
  });
});
