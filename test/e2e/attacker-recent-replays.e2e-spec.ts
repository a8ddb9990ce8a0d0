// Attacks on the recent features, part 3: webhook event replays and A's token against B's records. The rest
// is in attacker-recent.e2e-spec.ts and attacker-recent-inbound.e2e-spec.ts; the setup in test/support/attacker-recent-setup.ts.
import { WebhookEventsRepository } from '../../src/modules/webhooks/webhook-events.repository';
import { FakeWhatsAppGraph } from '../support/fakes/whatsapp-graph';
import { WhatsAppWebhooks } from '../support/fakes/whatsapp-webhooks';
import { countRows } from '../support/security';
import { TestApp } from '../support/test-app';
import { googleLead, jobsOfEvent } from '../support/webhooks';
import {
  AttackFixture,
  CONTACT,
  PHONE_A,
  PHONE_B,
  attackHelpers,
  bAnswersItsContact,
  setupAttackerRecent,
} from '../support/attacker-recent-setup';

describe('attacks on the recent features', () => {
  let fx: AttackFixture;
  let t: TestApp;
  let fake: FakeWhatsAppGraph;
  let hooksA: WhatsAppWebhooks;
  let hooksB: WhatsAppWebhooks;
  let subA: number;
  let subB: number;
  let waB: number;
  let googleA: { id: number; webhookUrl: string };
  let adminA: string;
  let managerA: string;
  let agentA: string;
  let adminB: string;
  const { post, get, idle, received, inbound } = attackHelpers(() => fx);

  beforeAll(async () => {
    fx = await setupAttackerRecent();
    ({ t, fake, hooksA, hooksB, subA, subB, waB, googleA, adminA, managerA, agentA, adminB } = fx);
    // the A's-token attack names B's outbound message, which the inbound-kinds part sends in its own app
    await bAnswersItsContact(fx);
  });
  afterAll(() => fx.close());

  describe('webhook event replays', () => {
    let eventB: string;

    beforeAll(async () => {
      eventB = await received(hooksB, inbound(PHONE_B, { type: 'text', text: { body: 'B secret words' } }));
      await idle();
    });

    it("answers 404 for B's event and integration, never revealing them, and replays nothing of B", async () => {
      await t.sql.query(
        "UPDATE webhook_events SET status = 'FAILED', processed_at = NULL, last_error = 'B failure detail' WHERE id = $1",
        [eventB],
      );
      const replay = await post(`/api/webhook-events/${eventB}/replay`, adminA);
      expect([replay.status, replay.body.code]).toEqual([404, 'NOT_FOUND']);
      const failed = await post(`/api/integrations/${waB}/events/replay-failed`, adminA);
      expect([failed.status, failed.body.code]).toEqual([404, 'NOT_FOUND']);
      const list = await get(`/api/integrations/${waB}/events`, adminA);
      expect([list.status, list.body.code]).toEqual([404, 'NOT_FOUND']);
      const health = await get(`/api/integrations/${waB}/health`, adminA);
      expect([health.status, health.body.code]).toEqual([404, 'NOT_FOUND']);
      const limits = await get(`/api/integrations/limits?subAccountId=${subB}`, adminA);
      expect([limits.status, limits.body.code]).toEqual([403, 'FORBIDDEN']);
      // the answer for B's event is the answer for an id nobody has
      const none = await post('/api/webhook-events/9223372036854775807/replay', adminA);
      expect({ ...replay.body, message: undefined }).toEqual({ ...none.body, message: undefined });
      expect(replay.body.message).toBe(none.body.message);
      for (const body of [replay.body, failed.body, list.body])
        expect(JSON.stringify(body)).not.toMatch(/B failure|B secret|Tenant B/);
      const row = await t.sql.query<{ status: string; last_error: string }>(
        'SELECT status, last_error FROM webhook_events WHERE id = $1',
        [eventB],
      );
      expect(row.rows[0]).toEqual({ status: 'FAILED', last_error: 'B failure detail' });
      // B's own admin may
      const own = await post(`/api/webhook-events/${eventB}/replay`, adminB);
      expect(own.status).toBe(202);
      await idle();
    });

    it('answers 400 for ids that are not digits and 404 for ids no row can have, never 5xx', async () => {
      const outcomes: string[] = [];
      for (const id of [
        'abc',
        '-1',
        '1e3',
        '0x10',
        '%20%31',
        '1.0',
        '١٢',
        '99999999999999999999',
        '9223372036854775808',
        '0',
        '00000000000000000001',
      ]) {
        const res = await post(`/api/webhook-events/${id}/replay`, adminA);
        outcomes.push(`${id}: ${res.status} ${res.body.code}`);
      }
      expect(outcomes).toEqual([
        'abc: 400 VALIDATION_FAILED',
        '-1: 400 VALIDATION_FAILED',
        '1e3: 400 VALIDATION_FAILED',
        '0x10: 400 VALIDATION_FAILED',
        '%20%31: 400 VALIDATION_FAILED',
        '1.0: 400 VALIDATION_FAILED',
        '١٢: 400 VALIDATION_FAILED',
        '99999999999999999999: 400 VALIDATION_FAILED',
        '9223372036854775808: 404 NOT_FOUND',
        '0: 404 NOT_FOUND',
        '00000000000000000001: 400 VALIDATION_FAILED',
      ]);
      for (const id of ['abc', '99999999999', '0x10']) {
        const res = await post(`/api/integrations/${id}/events/replay-failed`, adminA);
        expect(res.status === 400 || res.status === 404).toBe(true);
      }
    });

    it('a replay racing processing queues the event once: 202 once, then 409 while it is queued', async () => {
      const eventA = await received(hooksA, inbound(PHONE_A, { type: 'text', text: { body: 'race' } }));
      await idle();
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => post(`/api/webhook-events/${eventA}/replay`, managerA)),
      );
      const statuses = answers.map((a) => a.status).sort();
      expect(statuses.filter((s) => s === 202).length).toBeGreaterThanOrEqual(1);
      expect(statuses.every((s) => s === 202 || s === 409)).toBe(true);
      await idle();
      // replayed, the message is not stored twice
      expect(await countRows(t, "messages WHERE text = 'race'")).toBe(1);
    });

    it('a replay whose event a worker finished between its reopen and its re-read is reopened (202), not refused naming PROCESSED', async () => {
      const ingest = await t.http
        .post(new URL(googleA.webhookUrl).pathname)
        .set('content-type', 'application/json')
        .send(googleLead('attack-google-key-01', 'attack-lead-finished', { name: 'Fin', email: 'fin@example.com' }));
      expect(ingest.status).toBe(200);
      const eventId = ingest.body.eventId as string;
      await idle();
      // the race, made certain: the reopen finds it PROCESSING; by the re-read the worker has finished it
      await t.sql.query("UPDATE webhook_events SET status = 'PROCESSING', processed_at = NULL WHERE id = $1", [
        eventId,
      ]);
      const events = t.app.get(WebhookEventsRepository);
      const reopen = events.reopenForReplay.bind(events);
      const raced = jest.spyOn(events, 'reopenForReplay').mockImplementationOnce(async (id) => {
        const reopened = await reopen(id);
        await t.sql.query("UPDATE webhook_events SET status = 'PROCESSED', processed_at = now() WHERE id = $1", [id]);
        return reopened;
      });
      const jobsOf = () => jobsOfEvent(t, eventId);
      const jobsBefore = await jobsOf();
      const replay = await post(`/api/webhook-events/${eventId}/replay`, managerA);
      const reopens = raced.mock.calls.length;
      raced.mockRestore();
      expect([replay.status, replay.body, reopens]).toEqual([202, { eventId, status: 'PENDING' }, 2]);
      expect(await jobsOf()).toBe(jobsBefore + 1);
      await idle();
      expect((await t.sql.query('SELECT status FROM webhook_events WHERE id = $1', [eventId])).rows[0].status).toBe(
        'PROCESSED',
      );
      expect(await countRows(t, "leads WHERE email = 'fin@example.com'")).toBe(1);
    });

    it('a replay of an event of a disconnected integration is refused 409 INTEGRATION_NOT_ACTIVE; of a deleted one 404', async () => {
      const lead = googleLead('attack-google-key-01', 'attack-lead-1', {
        name: 'Dana Replay',
        email: 'dana@example.com',
      });
      const ingest = await t.http
        .post(new URL(googleA.webhookUrl).pathname)
        .set('content-type', 'application/json')
        .send(lead);
      expect(ingest.status).toBe(200);
      const eventId = ingest.body.eventId as string;
      await idle();
      const disconnected = await post(`/api/integrations/${googleA.id}/disconnect`, adminA);
      expect(disconnected.status).toBe(200);
      await t.sql.query("UPDATE webhook_events SET status = 'FAILED', processed_at = NULL WHERE id = $1", [eventId]);
      const replay = await post(`/api/webhook-events/${eventId}/replay`, managerA);
      expect([replay.status, replay.body.code]).toEqual([409, 'INTEGRATION_NOT_ACTIVE']);
      const all = await post(`/api/integrations/${googleA.id}/events/replay-failed`, managerA);
      expect([all.status, all.body.code]).toEqual([409, 'INTEGRATION_NOT_ACTIVE']);
      expect((await t.sql.query('SELECT status FROM webhook_events WHERE id = $1', [eventId])).rows[0].status).toBe(
        'FAILED',
      );

      const deleted = await t.http.delete(`/api/integrations/${googleA.id}`).set('authorization', adminA);
      expect(deleted.status).toBe(204);
      const gone = await post(`/api/webhook-events/${eventId}/replay`, managerA);
      expect([gone.status, gone.body.code]).toEqual([404, 'NOT_FOUND']);
      const goneAll = await post(`/api/integrations/${googleA.id}/events/replay-failed`, managerA);
      expect([goneAll.status, goneAll.body.code]).toEqual([404, 'NOT_FOUND']);
    });
  });

  describe("A's token against B's records", () => {
    it("answers 404 for B's records and 403 for B's sub-account id on the WhatsApp routes", async () => {
      // B's outbound message, sent in the inbound-kinds attack above, or a new one
      const bMessage = (
        await t.sql.query<{ id: string }>(
          "SELECT id FROM messages WHERE sub_account_id = $1 AND direction = 'outbound' LIMIT 1",
          [subB],
        )
      ).rows[0]?.id;
      expect(bMessage).toBeDefined();
      const before = { messages: await countRows(t, 'messages'), sends: fake.sends.length };
      const cases: Array<[string, Promise<{ status: number; body: { code?: string } }>, number]> = [
        [
          'send as B',
          post('/api/whatsapp/messages', agentA, { subAccountId: subB, to: `+${CONTACT}`, text: 'x' }),
          403,
        ],
        [
          "send on B's number",
          post('/api/whatsapp/messages', agentA, {
            subAccountId: subA,
            integrationId: waB,
            to: `+${CONTACT}`,
            text: 'x',
          }),
          404,
        ],
        [
          "reply to B's message",
          post('/api/whatsapp/messages', agentA, {
            subAccountId: subA,
            to: `+${CONTACT}`,
            text: 'x',
            replyToMessageId: bMessage,
          }),
          404,
        ],
        ["sync B's templates", post('/api/whatsapp/templates/sync', adminA, { integrationId: waB }), 404],
        ["list B's templates", get(`/api/whatsapp/templates?subAccountId=${subB}`, adminA), 403],
        ["list B's messages", get(`/api/whatsapp/messages?subAccountId=${subB}`, adminA), 403],
        ["B's sync runs", get(`/api/integrations/${waB}/sync-runs`, adminA), 404],
      ];
      const outcomes: string[] = [];
      for (const [what, res, status] of cases) {
        const answer = await res;
        outcomes.push(`${what}: ${answer.status} ${answer.body.code}`);
        void status;
      }
      expect(outcomes).toEqual(
        cases.map(([what, , status]) => `${what}: ${status} ${status === 403 ? 'FORBIDDEN' : 'NOT_FOUND'}`),
      );
      expect(await countRows(t, 'messages')).toBe(before.messages);
      expect(fake.sends.length).toBe(before.sends);
    });

    it('refuses a key naming an Object.prototype member anywhere in a body instead of dropping it', async () => {
      const leads = await countRows(t, 'leads');
      for (const key of ['constructor', 'toString', 'valueOf', 'hasOwnProperty']) {
        const lead = await post('/api/leads', agentA, { subAccountId: subA, fullName: 'Proto Type', [key]: 'x' });
        expect([lead.status, lead.body.code]).toEqual([400, 'VALIDATION_FAILED']);
        expect(lead.body.details).toEqual([{ field: key, messages: [expect.stringContaining(`a key named ${key}`)] }]);
      }
      const nested = await post('/api/leads', agentA, {
        subAccountId: subA,
        fullName: 'Proto Type',
        source: { platform: 'manual', toString: 'x' },
      });
      expect([nested.status, nested.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      expect(await countRows(t, 'leads')).toBe(leads);
    });
  });
});
