// Part of the Messenger and Instagram channels over HTTP (header in messaging-channels.e2e-spec.ts): Instagram's
// routing and connection test, its account's owner, and unsend; the shared setup is in
// test/support/messaging-channels-setup.ts.
import { createIntegration } from '../support/factories';
import { FakeServer } from '../support/fake-server';
import { TestApp } from '../support/test-app';
import {
  fixture,
  IG_PAGE,
  IGID,
  IGSID,
  INSTAGRAM_CONFIG,
  itemsOf,
  MessagingFixture,
  messagingHelpers,
  setupMessagingChannels,
} from '../support/messaging-channels-setup';

describe('Messenger and Instagram channels over HTTP', () => {
  let fx: MessagingFixture;
  let t: TestApp;
  let graph: FakeServer;
  let sub: number;
  let other: number;
  let admin: string;
  const { deliver, events, settled, leadOf } = messagingHelpers(() => fx);

  beforeAll(async () => {
    fx = await setupMessagingChannels();
    ({ t, graph, sub, other, admin } = fx);
  });
  afterAll(() => fx?.close());

  it('Instagram: routed by the Instagram account, proven through the connected page, story mention to a lead', async () => {
    const integration = await createIntegration(t, sub, 'instagram-direct', INSTAGRAM_CONFIG);
    graph.on('GET', '/me', () => ({
      status: 200,
      body: { id: IG_PAGE, name: 'Acme', instagram_business_account: { id: '17840000000000001' } },
    }));
    const wrong = await t.http.post(`/api/integrations/${integration.id}/test`).set('authorization', admin);
    expect(wrong.status).toBe(422);
    expect(wrong.body).toMatchObject({ success: false, code: 'INVALID_CREDENTIALS' });

    graph.on('GET', '/me', () => ({
      status: 200,
      body: { id: IG_PAGE, name: 'Acme', instagram_business_account: { id: IGID, username: 'acme.dental' } },
    }));
    const test = await t.http.post(`/api/integrations/${integration.id}/test`).set('authorization', admin);
    expect(test.body).toEqual({ success: true, message: 'Connected to Instagram account @acme.dental' });
    // a test that failed first leaves the integration switched off until someone switches it on
    const on = await t.http
      .patch(`/api/integrations/${integration.id}`)
      .set('authorization', admin)
      .send({ isActive: true });
    expect(on.status).toBe(200);

    graph.on('GET', `/${IGSID}`, () => ({ status: 200, body: { name: 'Ana Lima', username: 'ana.lima', id: IGSID } }));
    const body = JSON.stringify(fixture('instagram-direct/fixtures/story-mention.json'));
    const res = await deliver('instagram-direct', body, INSTAGRAM_CONFIG.appSecret);
    expect(res.body).toMatchObject({ status: 'received' });
    await settled(integration.id, 1);
    const leadId = await leadOf(sub, 'instagram', IGSID);
    const lead = await t.http.get(`/api/leads/${leadId}`).set('authorization', admin);
    expect(lead.body.interactions).toEqual([
      expect.objectContaining({ channel: 'instagram', direction: 'inbound', body: '[story mention]' }),
    ]);
    const message = await t.sql.query(
      `SELECT m.channel, m.type, m.content->'story'->>'kind' AS story, c.contact_key, c.username
       FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE m.integration_id = $1`,
      [integration.id],
    );
    expect(message.rows).toEqual([
      { channel: 'instagram', type: 'story_mention', story: 'mention', contact_key: IGSID, username: 'ana.lima' },
    ]);
    // another sub-account's valid token never sees it
    const foreign = await t.http
      .get(`/api/leads/${leadId}`)
      .set('authorization', `Bearer ${t.token('ADMIN', [other])}`);
    expect(foreign.status).toBe(404);
  });

  it('Instagram: an account belongs to one sub-account; another sub-account claiming it gets 409 ROUTING_KEY_TAKEN', async () => {
    const templateId = (
      await t.sql.query<{ id: number }>("SELECT id FROM integration_templates WHERE name = 'instagram-direct'")
    ).rows[0].id;
    const res = await t.http
      .post('/api/integrations')
      .set('authorization', `Bearer ${t.token('ADMIN', [other])}`)
      .send({
        subAccountId: other,
        integrationTemplateId: templateId,
        name: 'Stolen account',
        // the same Instagram account behind another page and token is still the same routing key
        config: { ...INSTAGRAM_CONFIG, pageId: '100000000000777', accessToken: 'EAAG-other-ig-token' },
      });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('ROUTING_KEY_TAKEN');
    const owners = await t.sql.query(
      "SELECT sub_account_id FROM integrations WHERE handler = 'instagram-direct' ORDER BY id",
    );
    expect(owners.rows).toEqual([{ sub_account_id: sub }]);
  });

  it('Instagram unsend: the message loses its words (and the lead interaction too); redelivered or early, no change', async () => {
    const integrationId = Number(
      (await t.sql.query<{ id: number }>("SELECT id FROM integrations WHERE handler = 'instagram-direct'")).rows[0].id,
    );
    const before = (await events(integrationId)).length;
    const text = JSON.stringify(fixture('instagram-direct/fixtures/message-text.json'));
    const unsend = JSON.stringify(fixture('instagram-direct/fixtures/message-deleted.ASSEMBLED.json'));
    const mid = (itemsOf('instagram-direct/fixtures/message-text.json')[0] as { message: { mid: string } }).message.mid;
    const row = async (wamid: string) =>
      (
        await t.sql.query(
          "SELECT type, text, COALESCE(content ? 'deleted', false) AS deleted FROM messages WHERE integration_id = $1 AND wamid = $2",
          [integrationId, wamid],
        )
      ).rows;
    expect((await deliver('instagram-direct', text, INSTAGRAM_CONFIG.appSecret)).status).toBe(200);
    await settled(integrationId, before + 1);
    expect(await row(mid)).toEqual([{ type: 'text', text: 'Hi! Is the spring offer still on?', deleted: false }]);

    expect((await deliver('instagram-direct', unsend, INSTAGRAM_CONFIG.appSecret)).body.status).toBe('received');
    await settled(integrationId, before + 2);
    expect(await row(mid)).toEqual([{ type: 'text', text: null, deleted: true }]);
    const bodies = await t.sql.query('SELECT body FROM lead_interactions WHERE external_message_id = $1', [mid]);
    expect(bodies.rows).toEqual([{ body: '[message unsent]' }]);
    // the same unsend again is a duplicate delivery
    expect((await deliver('instagram-direct', unsend, INSTAGRAM_CONFIG.appSecret)).body.status).toBe('duplicate');

    // reordered: the unsend of a message processed before the message itself; the message stays deleted
    const late = 'aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDA1ODIyMzA0OTE0OmxhdGUZD';
    const withMid = (body: string, extra: object) =>
      JSON.stringify({
        ...JSON.parse(body),
        entry: [
          {
            id: IGID,
            time: 1569262500000,
            messaging: [
              {
                sender: { id: IGSID },
                recipient: { id: IGID },
                timestamp: 1569262500000,
                message: { mid: late, ...extra },
              },
            ],
          },
        ],
      });
    await deliver('instagram-direct', withMid(unsend, { is_deleted: true }), INSTAGRAM_CONFIG.appSecret);
    await settled(integrationId, before + 3);
    await deliver('instagram-direct', withMid(text, { text: 'regret this' }), INSTAGRAM_CONFIG.appSecret);
    await settled(integrationId, before + 4);
    expect(await row(late)).toEqual([{ type: 'unsent', text: null, deleted: true }]);
    const lateBodies = await t.sql.query('SELECT body FROM lead_interactions WHERE external_message_id = $1', [late]);
    expect(lateBodies.rows).toEqual([{ body: '[message unsent]' }]);
  });
});
