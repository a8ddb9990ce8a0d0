import { createIntegration, createSubAccount } from '../support/factories';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, genericSignature, settledEvent } from '../support/webhooks';

describe('core residuals', () => {
  let t: TestApp;
  let sub: number;
  let admin: string;

  beforeAll(async () => {
    t = await createTestApp({ env: { WEBHOOK_CACHE_TTL_MS: '0' } });
    sub = await createSubAccount(t, 'MAX', 'Residuals Co');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
  });
  afterAll(async () => {
    await t.close();
  });

  describe('generic webhook: a delivery in which the mapping finds no e-mail, phone or name', () => {
    it('fails at once with what was looked for, is listed as FAILED, and a replay after the fix makes the lead', async () => {
      const created = await createIntegration(t, sub, 'generic-webhook', {
        mapping: { email: '/email', fullName: '/name' },
        externalIdPointer: '/id',
      });
      await activate(t, sub, created.id);
      // the form tool renamed its fields: "email" → "e_mail", "name" → "full_name"
      const body = JSON.stringify({ id: 'renamed-1', e_mail: 'grace@example.com', full_name: 'Grace Hopper' });
      const ts = Math.floor(Date.now() / 1000);
      const res = await t.http
        .post(new URL(created.webhookUrl).pathname)
        .set('content-type', 'application/json')
        .set('x-webhook-timestamp', String(ts))
        .set('x-webhook-signature', genericSignature(body, created.webhookSecret, ts))
        .send(body);
      expect([res.status, res.body.status]).toEqual([200, 'received']);
      const eventId = res.body.eventId as string;

      const message =
        'the mapping found no email, phone or name in the delivery (pointers email /email, fullName /name)';
      // not retried: one attempt, FAILED
      expect(await settledEvent(t, eventId)).toEqual({ status: 'FAILED', last_error: message, attempts: 1 });
      const leads = await t.sql.query('SELECT 1 FROM leads WHERE sub_account_id = $1', [sub]);
      expect(leads.rowCount).toBe(0);
      const failed = await t.http
        .get(`/api/integrations/${created.id}/events?status=FAILED`)
        .set('authorization', admin);
      expect(failed.status).toBe(200);
      expect(failed.body.items).toEqual([
        expect.objectContaining({ id: eventId, status: 'FAILED', attempts: 1, lastError: message }),
      ]);

      // the admin fixes the mapping (a config change: pending until tested again), tests, and replays
      const fixed = await t.http
        .patch(`/api/integrations/${created.id}`)
        .set('authorization', admin)
        .send({ config: { mapping: { email: '/e_mail', fullName: '/full_name' } } });
      expect(fixed.status).toBe(200);
      expect((await t.http.post(`/api/integrations/${created.id}/test`).set('authorization', admin)).status).toBe(200);
      const replay = await t.http.post(`/api/webhook-events/${eventId}/replay`).set('authorization', admin);
      expect(replay.status).toBe(202);
      expect((await settledEvent(t, eventId)).status).toBe('PROCESSED');
      const lead = await t.sql.query<{ email: string; full_name: string }>(
        'SELECT email, full_name FROM leads WHERE sub_account_id = $1',
        [sub],
      );
      expect(lead.rows).toEqual([{ email: 'grace@example.com', full_name: 'Grace Hopper' }]);
    });
  });
});
