// Issue 16 point 4 over HTTP: POST /api/messages answers 202 and a messaging-send job sends through the page's
// PostgreSQL token bucket (shared by every process); Meta's rate limit pauses that bucket and the message is
// retried; a permanent refusal fails with Meta's code; a send never goes out twice.
import { createIntegration, createSubAccount } from '../support/factories';
import { FakeServer } from '../support/fake-server';
import { createTestApp, TestApp } from '../support/test-app';
import { messengerText, metaSignature, waitFor } from '../support/webhooks';

const PAGE = '104620412377777';
const CONFIG = {
  pageId: PAGE,
  pageAccessToken: 'EAAG-queue-token-8181',
  appSecret: 'queue-secret',
  verifyToken: 'q-v',
};
// Messenger Platform "Common Error Codes": 613 "Calls to this api have exceeded the rate limit";
// 551 "This person isn't available right now".
const THROTTLED = {
  error: { message: 'Calls to this api have exceeded the rate limit.', type: 'OAuthException', code: 613 },
};
const UNAVAILABLE = {
  error: {
    message: "(#551) This person isn't available right now.",
    type: 'OAuthException',
    code: 551,
    error_subcode: 1545041,
  },
};

describe('POST /api/messages: queued, rate-limited per page, retried', () => {
  let t: TestApp;
  let graph: FakeServer;
  let sub: number;
  let admin: string;
  let people = 0;

  beforeAll(async () => {
    graph = await FakeServer.start();
    t = await createTestApp({ env: { META_GRAPH_URL: graph.url, WEBHOOK_CACHE_TTL_MS: '0' } });
    sub = await createSubAccount(t, 'PRO', 'Queue Co');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
    const { id } = await createIntegration(t, sub, 'facebook-messenger', CONFIG);
    graph.on('GET', '/me', () => ({ status: 200, body: { id: PAGE, name: 'Queue Page' } }));
    graph.on('GET', /^\/7/, () => ({ status: 200, body: { name: 'Pat Person' } }));
    expect((await t.http.post(`/api/integrations/${id}/test`).set('authorization', admin)).body.success).toBe(true);
  });
  afterAll(async () => {
    await t.close();
    await graph.close();
  });

  /** A new person writes to the page now; their conversation id once processed. */
  const newPerson = async (): Promise<string> => {
    people += 1;
    const psid = `700000000000${String(people).padStart(4, '0')}`;
    const body = messengerText(PAGE, psid, `m_q_${psid}`, 'hi');
    const res = await t.http
      .post('/api/webhooks/facebook-messenger')
      .set('content-type', 'application/json')
      .set('x-hub-signature-256', metaSignature(body, CONFIG.appSecret))
      .send(body);
    expect(res.status).toBe(200);
    return waitFor(async () => {
      const { rows } = await t.sql.query<{ id: string }>('SELECT id::text FROM conversations WHERE contact_key = $1', [
        psid,
      ]);
      return rows[0]?.id;
    });
  };
  const send = (conversationId: string, text: string) =>
    t.http
      .post('/api/messages')
      .set('authorization', admin)
      .send({ subAccountId: sub, channel: 'messenger', conversationId, text });
  const settled = (id: string) =>
    waitFor(async () => {
      const { rows } = await t.sql.query<{
        status: string;
        wamid: string | null;
        error_code: number | null;
        error_title: string | null;
        attempts: number;
      }>("SELECT status, wamid, error_code, error_title, attempts FROM messages WHERE id = $1 AND status <> 'queued'", [
        id,
      ]);
      return rows[0];
    }, 20_000);
  const posts = () => graph.requests.filter((r) => r.method === 'POST' && r.path === `/${PAGE}/messages`);

  it('answers 202 queued at once; the job sends it through the page bucket (one row, one call)', async () => {
    const conversation = await newPerson();
    graph.on('POST', `/${PAGE}/messages`, () => ({
      status: 200,
      body: { recipient_id: 'x', message_id: 'm_queue_1' },
    }));
    const res = await send(conversation, 'Hello from the queue');
    expect(res.status).toBe(202);
    expect(res.body).toEqual({
      id: expect.any(String),
      status: 'queued',
      conversationId: conversation,
      channel: 'messenger',
      tag: null,
    });
    expect(await settled(res.body.id)).toMatchObject({ status: 'sent', wamid: 'm_queue_1', attempts: 1 });
    expect(posts()).toHaveLength(1);
    const bucket = await t.sql.query('SELECT capacity, window_ms FROM rate_limit_buckets WHERE key = $1', [
      `messenger:page:${PAGE}`,
    ]);
    // Messenger Platform rate limits: Send API 300 calls per second per Page
    expect(bucket.rows).toEqual([{ capacity: 300, window_ms: 1000 }]);
    // GET /api/messages shows it as the API reads it
    const listed = await t.http
      .get(`/api/messages?conversationId=${conversation}&direction=outbound`)
      .set('authorization', admin);
    expect(listed.body.items).toEqual([
      expect.objectContaining({ id: res.body.id, status: 'sent', wamid: 'm_queue_1', channel: 'messenger' }),
    ]);
  });

  it('replyToMessageId: a message of the same conversation is stored on the reply and quoted as reply_to; any other is 404', async () => {
    const conversation = await newPerson();
    const psid = `700000000000${String(people).padStart(4, '0')}`;
    const inbound = (
      await t.sql.query<{ id: string }>(
        "SELECT id::text FROM messages WHERE conversation_id = $1 AND direction = 'inbound'",
        [conversation],
      )
    ).rows[0].id;
    graph.requests.length = 0;
    graph.on('POST', `/${PAGE}/messages`, () => ({
      status: 200,
      body: { recipient_id: psid, message_id: 'm_queue_reply' },
    }));
    const reply = (body: object) =>
      t.http
        .post('/api/messages')
        .set('authorization', admin)
        .send({ subAccountId: sub, channel: 'messenger', conversationId: conversation, text: 'About that:', ...body });

    const elsewhere = await newPerson();
    const foreignMessage = (
      await t.sql.query<{ id: string }>('SELECT id::text FROM messages WHERE conversation_id = $1', [elsewhere])
    ).rows[0].id;
    expect((await reply({ replyToMessageId: foreignMessage })).status).toBe(404);
    const notAnId = await reply({ replyToMessageId: 'm_q_1' });
    expect(notAnId.status).toBe(400);
    expect(notAnId.body.code).toBe('VALIDATION_FAILED');

    const res = await reply({ replyToMessageId: inbound });
    expect(res.status).toBe(202);
    expect(await settled(res.body.id)).toMatchObject({ status: 'sent', wamid: 'm_queue_reply' });
    expect(posts().map((r) => r.body)).toEqual([
      {
        recipient: { id: psid },
        messaging_type: 'RESPONSE',
        message: { text: 'About that:' },
        reply_to: { mid: `m_q_${psid}` },
      },
    ]);
    const listed = await t.http
      .get(`/api/messages?conversationId=${conversation}&direction=outbound`)
      .set('authorization', admin);
    expect(listed.body.items).toEqual([expect.objectContaining({ id: res.body.id, replyToMessageId: inbound })]);
  });

  it("Meta's rate limit (613) is throttled: the page's bucket pauses, the message is retried and sent once", async () => {
    const conversation = await newPerson();
    graph.requests.length = 0;
    let calls = 0;
    graph.on('POST', `/${PAGE}/messages`, () => {
      calls += 1;
      return calls === 1
        ? { status: 400, body: THROTTLED }
        : { status: 200, body: { recipient_id: 'x', message_id: 'm_queue_2' } };
    });
    const res = await send(conversation, 'After the throttle');
    expect(res.status).toBe(202);
    // the worker writes the page's pause once Meta's answer is read (a loaded machine may take a while)
    const pausedUntil = await waitFor(async () => {
      const { rows } = await t.sql.query<{ paused_until: Date | null }>(
        'SELECT paused_until FROM rate_limit_buckets WHERE key = $1',
        [`messenger:page:${PAGE}`],
      );
      return rows[0]?.paused_until ?? undefined;
    });
    const firstCall = posts()[0].at;
    // paused for the backoff (2 s) from the refusal, not a moment
    expect(pausedUntil.getTime() - firstCall).toBeGreaterThanOrEqual(1500);
    expect(await settled(res.body.id)).toMatchObject({ status: 'sent', wamid: 'm_queue_2', attempts: 2 });
    const [first, second] = posts();
    // backed off (2 s after the first attempt), not hammered
    expect(second.at - first.at).toBeGreaterThanOrEqual(1500);
    expect(posts()).toHaveLength(2);
  });

  it("a pause another process wrote holds this process's sends too (the bucket is PostgreSQL's, not memory's)", async () => {
    const conversation = await newPerson();
    graph.requests.length = 0;
    graph.on('POST', `/${PAGE}/messages`, () => ({
      status: 200,
      body: { recipient_id: 'x', message_id: 'm_queue_3' },
    }));
    const pausedAt = Date.now();
    await t.sql.query("UPDATE rate_limit_buckets SET paused_until = now() + interval '2 seconds' WHERE key = $1", [
      `messenger:page:${PAGE}`,
    ]);
    const res = await send(conversation, 'Held');
    expect(await settled(res.body.id)).toMatchObject({ status: 'sent' });
    expect(posts()[0].at - pausedAt).toBeGreaterThanOrEqual(1800);
  });

  it("a permanent refusal fails with Meta's code, once; the API shows the error", async () => {
    const conversation = await newPerson();
    graph.requests.length = 0;
    graph.on('POST', `/${PAGE}/messages`, () => ({ status: 400, body: UNAVAILABLE }));
    const res = await send(conversation, 'Anyone there?');
    expect(res.status).toBe(202);
    expect(await settled(res.body.id)).toMatchObject({
      status: 'failed',
      error_code: 551,
      error_title: 'user_unavailable',
    });
    expect(posts()).toHaveLength(1);
    const listed = await t.http
      .get(`/api/messages?conversationId=${conversation}&status=failed`)
      .set('authorization', admin);
    expect(listed.body.items[0].error).toMatchObject({ code: 551, title: 'user_unavailable' });
  });

  it("Messenger: text over the Send API's 2000 characters is 400 before anything is stored; 2000 is taken", async () => {
    const conversation = await newPerson();
    const tooLong = await send(conversation, 'x'.repeat(2001));
    expect([tooLong.status, tooLong.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(tooLong.body.details).toEqual([expect.objectContaining({ field: 'text' })]);
    const stored = await t.sql.query("SELECT 1 FROM messages WHERE conversation_id = $1 AND direction = 'outbound'", [
      conversation,
    ]);
    expect(stored.rowCount).toBe(0);
    graph.on('POST', `/${PAGE}/messages`, () => ({
      status: 200,
      body: { recipient_id: 'r', message_id: 'm_queue_2000' },
    }));
    const longest = await send(conversation, 'x'.repeat(2000));
    expect(longest.status).toBe(202);
  });

  it("Instagram: 202, sent through the connected page on the account's bucket; over 1000 bytes is 400 before anything is stored", async () => {
    const IGID = '17841400000077777';
    const IG_PAGE = '134895793700077';
    const IGSID = '1092310252900077';
    const IG = {
      instagramAccountId: IGID,
      pageId: IG_PAGE,
      accessToken: 'EAAG-ig-queue-7373',
      appSecret: 'ig-queue-secret',
      verifyToken: 'ig-q-v',
    };
    const { id: integrationId } = await createIntegration(t, sub, 'instagram-direct', IG);
    graph.on('GET', '/me', () => ({
      status: 200,
      body: { id: IG_PAGE, name: 'Queue Page', instagram_business_account: { id: IGID, username: 'queue.co' } },
    }));
    graph.on('GET', `/${IGSID}`, () => ({ status: 200, body: { id: IGSID, name: 'Ivy Quinn', username: 'ivy.q' } }));
    const tested = await t.http.post(`/api/integrations/${integrationId}/test`).set('authorization', admin);
    expect(tested.body.success).toBe(true);
    const body = JSON.stringify({
      object: 'instagram',
      entry: [
        {
          id: IGID,
          time: Date.now(),
          messaging: [
            {
              sender: { id: IGSID },
              recipient: { id: IGID },
              timestamp: Date.now(),
              message: { mid: 'aWdfZAG1faXRlbTpxdWV1ZQZDZD', text: 'Do you ship?' },
            },
          ],
        },
      ],
    });
    const delivered = await t.http
      .post('/api/webhooks/instagram-direct')
      .set('content-type', 'application/json')
      .set('x-hub-signature-256', metaSignature(body, IG.appSecret))
      .send(body);
    expect(delivered.status).toBe(200);
    const conversation = await waitFor(async () => {
      const { rows } = await t.sql.query<{ id: string }>(
        "SELECT id::text FROM conversations WHERE contact_key = $1 AND channel = 'instagram'",
        [IGSID],
      );
      return rows[0]?.id;
    });
    graph.requests.length = 0;
    graph.on('POST', `/${IG_PAGE}/messages`, () => ({
      status: 200,
      body: { recipient_id: IGSID, message_id: 'm_ig_queue_1' },
    }));
    const igSend = (text: string) =>
      t.http
        .post('/api/messages')
        .set('authorization', admin)
        .send({ subAccountId: sub, channel: 'instagram', conversationId: conversation, text });

    // 501 two-byte characters: within the DTO's 4096 characters, over Instagram's 1000 bytes
    const tooLong = await igSend('é'.repeat(501));
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.code).toBe('VALIDATION_FAILED');
    const stored = await t.sql.query("SELECT 1 FROM messages WHERE conversation_id = $1 AND direction = 'outbound'", [
      conversation,
    ]);
    expect(stored.rowCount).toBe(0);

    const res = await igSend('Yes, worldwide');
    expect(res.status).toBe(202);
    expect(res.body).toEqual({
      id: expect.any(String),
      status: 'queued',
      conversationId: conversation,
      channel: 'instagram',
      tag: null,
    });
    expect(await settled(res.body.id)).toMatchObject({ status: 'sent', wamid: 'm_ig_queue_1', attempts: 1 });
    // through the connected page (Messenger API for Instagram), never the Messenger page of this sub-account
    const sent = graph.requests.filter((r) => r.method === 'POST');
    expect(sent.map((r) => [r.path, r.body])).toEqual([
      [
        `/${IG_PAGE}/messages`,
        { recipient: { id: IGSID }, messaging_type: 'RESPONSE', message: { text: 'Yes, worldwide' } },
      ],
    ]);
    const bucket = await t.sql.query('SELECT capacity, window_ms FROM rate_limit_buckets WHERE key = $1', [
      `instagram:account:${IGID}`,
    ]);
    expect(bucket.rows).toEqual([{ capacity: 300, window_ms: 1000 }]);
    const listed = await t.http
      .get(`/api/messages?subAccountId=${sub}&channel=instagram&direction=outbound`)
      .set('authorization', admin);
    expect(listed.body.items).toEqual([
      expect.objectContaining({ id: res.body.id, status: 'sent', channel: 'instagram', conversationId: conversation }),
    ]);
  });
});
