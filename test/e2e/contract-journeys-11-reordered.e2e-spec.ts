// Part of audit 11 (header in contract-journeys-11.e2e-spec.ts): section 5, reordered GoHighLevel deliveries, a
// replay of an event waiting for its retry, and a delivery bridging two leads. It ran after the figures of
// section 4 so as not to change them; on its own app here, it reads no lead the other parts make.
import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createIntegration, GHL_CONFIG, CreatedIntegration } from '../support/factories';
import { WebhookEventsRepository } from '../../src/modules/webhooks/webhook-events.repository';
import { TestApp } from '../support/test-app';
import {
  activate,
  eventsSettled,
  googleLead,
  jobsOfEvent,
  postGeneric,
  settledEvent,
  waitFor,
} from '../support/webhooks';
import {
  GOOGLE_KEY,
  Journeys11Fixture,
  journeys11Helpers,
  Json,
  setupJourneys11,
} from '../support/contract-journeys-11-setup';

describe('API.md journeys: webhooks, leads and analytics in a local time zone (audit 11)', () => {
  let fx: Journeys11Fixture;
  let t: TestApp;
  let sub: number;
  let manager: string;
  let attacker: string;
  let google: CreatedIntegration;
  let generic: CreatedIntegration;
  const { get, post, pathOf, leadsOf, expectError } = journeys11Helpers(() => fx);

  beforeAll(async () => {
    fx = await setupJourneys11();
    ({ t, sub, manager, attacker, google, generic } = fx);
  });
  afterAll(() => fx?.close());

  describe('reordered and bridging deliveries (after the figures above)', () => {
    it("GoHighLevel: a ContactUpdate before its ContactCreate is one lead with the update's values; a redelivery is a duplicate; the attacker sees none of it", async () => {
      const ed = generateKeyPairSync('ed25519');
      const ghl = await createIntegration(t, sub, 'gohighlevel', {
        ...GHL_CONFIG,
        webhookEd25519PublicKey: ed.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      });
      await activate(t, sub, ghl.id);
      const fixture = (file: string) =>
        JSON.parse(readFileSync(join(__dirname, '../../src/handlers/gohighlevel/fixtures', file), 'utf8')) as Json;
      const deliver = (event: Json) => {
        const body = JSON.stringify(event);
        return post('/api/webhooks/gohighlevel', body, {
          'x-ghl-signature': sign(null, Buffer.from(body), ed.privateKey).toString('base64'),
        });
      };
      const contact = {
        locationId: GHL_CONFIG.locationId,
        id: 'ghl-c11',
        phone: '+14155550111',
        email: 'dan@example.com',
      };
      const at = Date.now();
      const update = {
        ...fixture('ContactUpdate.json'),
        ...contact,
        webhookId: 'wh-11-2',
        timestamp: new Date(at).toISOString(),
        city: 'Porto', // the contact as changed
      };
      const create = {
        ...fixture('ContactCreate.json'),
        ...contact,
        webhookId: 'wh-11-1',
        timestamp: new Date(at - 60_000).toISOString(),
        city: 'Lisbon', // the contact as added
      };
      expect((await deliver(update)).body.status).toBe('received');
      const created = await deliver(create);
      expect(created.body.status).toBe('received');
      expect((await deliver(create)).body).toEqual({ status: 'duplicate', eventId: created.body.eventId });
      await eventsSettled(t);
      const found = await leadsOf(`subAccountId=${sub}&source=gohighlevel`);
      expect(found.total).toBe(1);
      // the late create is older than the update: it fills nothing the update set (it put Lisbon back before)
      expect(found.items[0]).toMatchObject({ phone: '+14155550111', email: 'dan@example.com', city: 'Porto' });
      expect((await leadsOf('q=dan@example.com', attacker)).total).toBe(0);
      expectError(await get(`/api/leads/${String(found.items[0].id)}`, attacker), 404, 'NOT_FOUND');
    });

    it('replays an event waiting for its retry now (202); one a worker is running is 409 with its status', async () => {
      const delivered = await post(
        pathOf(google),
        googleLead(GOOGLE_KEY, 'g11-retry', { name: 'Rita', email: 'rita@example.com' }),
      );
      const id = delivered.body.eventId as string;
      await waitFor(async () => (await settledEvent(t, id)).status === 'PROCESSED');
      // as the processor leaves a transient failure: PENDING, its next attempt an hour away
      await t.sql.query(
        `UPDATE webhook_events SET status = 'PENDING', attempts = 3, last_error = 'HTTP 503', processed_at = NULL,
                next_attempt_at = now() + interval '1 hour' WHERE id = $1`,
        [id],
      );
      const replay = () => t.http.post(`/api/webhook-events/${id}/replay`).set('authorization', manager);
      const jobs = () => jobsOfEvent(t, id);
      const jobsBefore = await jobs();
      // the worker's claim waits until every replay is answered: on a loaded machine it could otherwise
      // finish the event in the middle of the burst, and a replay after that is a new replay (a second job)
      const events = t.app.get(WebhookEventsRepository);
      const claim = events.claim.bind(events);
      let release = (): void => undefined;
      const answered = new Promise<void>((resolve) => (release = resolve));
      const held = jest.spyOn(events, 'claim').mockImplementation(async (eventId) => {
        await answered;
        return claim(eventId);
      });
      // it answered 409 "already queued" and the event waited its hour; concurrent replays queue one job
      const answers = await Promise.all(Array.from({ length: 6 }, replay)).finally(release);
      held.mockRestore();
      // 202 while it waits or is queued, each answer as it is now
      expect(answers.map((a) => [a.status, a.body])).toEqual(
        Array.from({ length: 6 }, () => [202, { eventId: id, status: 'PENDING' }]),
      );
      expect(await jobs()).toBe(jobsBefore + 1);
      await waitFor(async () => (await settledEvent(t, id)).status === 'PROCESSED');
      const row = await t.sql.query('SELECT attempts, last_error, next_attempt_at FROM webhook_events WHERE id = $1', [
        id,
      ]);
      expect(row.rows[0]).toEqual({ attempts: 1, last_error: null, next_attempt_at: null });
      await t.sql.query("UPDATE webhook_events SET status = 'PROCESSING', processed_at = NULL WHERE id = $1", [id]);
      const running = await replay();
      expect([running.status, running.body.code, running.body.details]).toEqual([
        409,
        'CONFLICT',
        [{ eventId: id, status: 'PROCESSING' }],
      ]);
      await t.sql.query("UPDATE webhook_events SET status = 'PROCESSED', processed_at = now() WHERE id = $1", [id]);
      expect((await leadsOf(`subAccountId=${sub}&q=rita@example.com`)).total).toBe(1);
    });
    it('a delivery naming one lead by e-mail and another by phone creates no third lead', async () => {
      const before = (await leadsOf(`subAccountId=${sub}`)).total;
      expect((await postGeneric(t, generic, { id: 'f11-mia', email: 'mia@example.com', name: 'Mia' })).status).toBe(
        200,
      );
      const phoneOnly = googleLead(GOOGLE_KEY, 'g11-mia', { name: 'Mia W', phone: '+1 650 555 0333' });
      expect((await post(pathOf(google), phoneOnly)).body.status).toBe('received');
      await eventsSettled(t);
      expect((await leadsOf(`subAccountId=${sub}`)).total).toBe(before + 2);
      const both = await postGeneric(t, generic, { id: 'f11-mia-2', email: 'MIA@example.com', phone: '650 555 0333' });
      expect(both.body.status).toBe('received');
      await eventsSettled(t);
      expect((await leadsOf(`subAccountId=${sub}`)).total).toBe(before + 2);
    });
  });
});
