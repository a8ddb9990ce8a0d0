/**
 * Contract audit 18, generic webhook (API.md "Standard handler configuration", generic-webhook row,
 * and "Webhooks (public, signed)"): what a sender that signs correctly but sends unusual, valid JSON
 * gets back.
 */
import { createIntegration, createSubAccount, CreatedIntegration } from '../support/factories';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, postGeneric, settledEvent } from '../support/webhooks';

const CONFIG = {
  mapping: { email: '/contact/email', fullName: '/contact/name', tags: '/score' },
  externalIdPointer: '/id',
  eventTypePointer: '/event_type',
};

describe('contract audit 18: generic webhook', () => {
  let t: TestApp;
  let sub: number;
  let admin: string;
  let generic: CreatedIntegration;

  beforeAll(async () => {
    t = await createTestApp({
      env: { WEBHOOK_RATE_PER_IP_PER_MINUTE: '100000', WEBHOOK_RATE_PER_INTEGRATION_PER_MINUTE: '100000' },
    });
    sub = await createSubAccount(t, 'MAX');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
    generic = await createIntegration(t, sub, 'generic-webhook', CONFIG);
    await activate(t, sub, generic.id);
  });
  afterAll(async () => {
    await t.close();
  });

  it('accepts an event type whose 100th UTF-16 unit is half of an emoji, and stores it cut before the emoji', async () => {
    // valid JSON, valid UTF-8: "Never 5xx [or a refusal] for anything a sender controls"; cutting the
    // event type at 100 code units must not leave half a surrogate pair that PostgreSQL cannot store
    const eventType = `${'a'.repeat(99)}\u{1F600}`;
    const res = await postGeneric(t, generic, {
      id: 'emoji-type-1',
      event_type: eventType,
      contact: { email: 'emoji@example.org', name: 'Emo Ji' },
    });
    expect([res.status, res.body.status]).toEqual([200, 'received']);
    expect((await settledEvent(t, res.body.eventId)).status).toBe('PROCESSED');
    const events = await t.http.get(`/api/integrations/${generic.id}/events`).set('authorization', admin);
    expect(events.status).toBe(200);
    const stored = (events.body.items as Array<{ id: string; eventType: string }>).find(
      (e) => e.id === res.body.eventId,
    );
    expect(stored?.eventType).toBe('a'.repeat(99));
  });

  it('takes a tags pointer to one number as that tag, as every mapped number is taken as text', async () => {
    // the handler's config schema: "Numbers are taken as text"; a form's score field is a number
    const res = await postGeneric(t, generic, { id: 'score-1', score: 42, contact: { email: 'score@example.org' } });
    expect([res.status, res.body.status]).toEqual([200, 'received']);
    expect((await settledEvent(t, res.body.eventId)).status).toBe('PROCESSED');
    const leads = await t.http.get(`/api/leads?subAccountId=${sub}`).set('authorization', admin);
    const lead = (leads.body.items as Array<{ email: string; tags: string[] }>).find(
      (l) => l.email === 'score@example.org',
    );
    expect(lead?.tags).toEqual(['42']);
  });
});
