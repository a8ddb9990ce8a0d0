import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createIntegration, createSubAccount } from '../support/factories';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, postGeneric, settledEvent } from '../support/webhooks';

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
      const res = await postGeneric(t, created, {
        id: 'renamed-1',
        e_mail: 'grace@example.com',
        full_name: 'Grace Hopper',
      });
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
  describe("a template's JSON Schema defaults fill what the admin leaves out", () => {
    /** Typeform's signing as defaults: an admin sends only the mapping. */
    const TEMPLATE = {
      name: 'forms-with-defaults',
      displayName: 'Forms (defaults)',
      category: 'Forms',
      handler: 'generic-webhook',
      configSchema: {
        type: 'object',
        additionalProperties: false,
        required: ['mapping', 'externalIdPointer'],
        properties: {
          mapping: { type: 'object' },
          externalIdPointer: { type: 'string', default: '/form_response/token' },
          signatureScheme: { type: 'string', default: 'hmac-sha256-body' },
          signatureHeader: { type: 'string', default: 'Typeform-Signature' },
          signatureEncoding: { type: 'string', default: 'base64' },
        },
      },
    };
    const DEFAULTS = {
      externalIdPointer: '/form_response/token',
      signatureScheme: 'hmac-sha256-body',
      signatureHeader: 'Typeform-Signature',
      signatureEncoding: 'base64',
    };
    const mapping = { email: '/form_response/email' };
    let templateId: number;

    beforeAll(async () => {
      const res = await t.http
        .post('/api/integration-templates')
        .set('authorization', `Bearer ${t.token('SUPER_ADMIN')}`)
        .send(TEMPLATE);
      expect(res.status).toBe(201);
      templateId = res.body.id;
    });

    it('tests and stores the config with them, and deliveries are verified as they say', async () => {
      const tested = await t.http
        .post('/api/integrations/test-config')
        .set('authorization', admin)
        .send({ subAccountId: sub, integrationTemplateId: templateId, config: { mapping } });
      expect([tested.status, tested.body.success]).toEqual([200, true]);

      const created = await t.http
        .post('/api/integrations')
        .set('authorization', admin)
        .send({ subAccountId: sub, integrationTemplateId: templateId, name: 'Quote form', config: { mapping } });
      expect(created.status).toBe(201);
      expect(created.body.config).toEqual({ mapping, ...DEFAULTS });
      const stored = await t.sql.query('SELECT config FROM integrations WHERE id = $1', [created.body.id]);
      expect(stored.rows[0].config).toEqual({ mapping, ...DEFAULTS });

      await activate(t, sub, created.body.id);
      const body = JSON.stringify({ form_response: { token: 'tf-1', email: 'ada@example.com' } });
      const res = await t.http
        .post(new URL(created.body.webhookUrl).pathname)
        .set('content-type', 'application/json')
        .set(
          'typeform-signature',
          `sha256=${createHmac('sha256', created.body.webhookSecret).update(body).digest('base64')}`,
        )
        .send(body);
      expect([res.status, res.body.status]).toEqual([200, 'received']);
      expect((await settledEvent(t, res.body.eventId)).status).toBe('PROCESSED');
    });

    it('does not count defaults filled into an older stored config as a change (no return to pending)', async () => {
      const created = await t.http
        .post('/api/integrations')
        .set('authorization', admin)
        .send({ subAccountId: sub, integrationTemplateId: templateId, name: 'Older form', config: { mapping } });
      expect(created.status).toBe(201);
      await activate(t, sub, created.body.id);
      // as stored before defaults were filled
      await t.sql.query("UPDATE integrations SET config = config - 'signatureEncoding' WHERE id = $1", [
        created.body.id,
      ]);
      const patched = await t.http
        .patch(`/api/integrations/${created.body.id}`)
        .set('authorization', admin)
        .send({ config: { mapping } });
      expect(patched.status).toBe(200);
      expect(patched.body.status).toBe('active');
      const changed = await t.http
        .patch(`/api/integrations/${created.body.id}`)
        .set('authorization', admin)
        .send({ config: { mapping: { email: '/form_response/e_mail' } } });
      expect(changed.body.status).toBe('pending');
      expect(changed.body.config).toEqual({ mapping: { email: '/form_response/e_mail' }, ...DEFAULTS });
    });

    it('refuses a template whose secret has a default: every admin could read it', async () => {
      const res = await t.http
        .post('/api/integration-templates')
        .set('authorization', `Bearer ${t.token('SUPER_ADMIN')}`)
        .send({
          ...TEMPLATE,
          name: 'forms-secret-default',
          configSchema: {
            ...TEMPLATE.configSchema,
            properties: {
              ...TEMPLATE.configSchema.properties,
              signingSecret: { type: 'string', 'x-secret': true, default: 'whsec_shared_by_everyone' },
            },
          },
        });
      expect([res.status, res.body.code]).toEqual([400, 'CONFIG_SCHEMA_INVALID']);
      expect(JSON.stringify(res.body)).toContain('/signingSecret');
    });
  });
  describe('a from/to pair given upside down is a 400 naming both fields, not an empty answer', () => {
    const upsideDown = (from: string, to: string) => ({
      statusCode: 400,
      code: 'VALIDATION_FAILED',
      message: `\`${to}\` must not be before \`${from}\``,
      details: [
        { field: from, messages: [`must be on or before ${to}`] },
        { field: to, messages: [`must be on or after ${from}`] },
      ],
    });
    const get = (path: string) => t.http.get(path).set('authorization', admin);

    it('GET /api/leads createdFrom/createdTo', async () => {
      const bad = await get(`/api/leads?subAccountId=${sub}&createdFrom=2026-03-10&createdTo=2026-03-09`);
      expect(bad.status).toBe(400);
      expect(bad.body).toEqual(upsideDown('createdFrom', 'createdTo'));
      const instants = await get(
        `/api/leads?subAccountId=${sub}&createdFrom=2026-03-09T12:00:01Z&createdTo=2026-03-09T12:00:00Z`,
      );
      expect(instants.body).toEqual(upsideDown('createdFrom', 'createdTo'));
      // one day, and one instant, are ranges; a time inside the day named by a bare createdTo too
      for (const [from, to] of [
        ['2026-03-09', '2026-03-09'],
        ['2026-03-09T12:00:00Z', '2026-03-09T12:00:00Z'],
        ['2026-03-09T23:00:00Z', '2026-03-09'],
      ])
        expect((await get(`/api/leads?subAccountId=${sub}&createdFrom=${from}&createdTo=${to}`)).status).toBe(200);
    });

    it('GET /api/whatsapp/messages and /api/messages from/to', async () => {
      for (const path of ['/api/whatsapp/messages', '/api/messages']) {
        const bad = await get(`${path}?subAccountId=${sub}&from=2026-03-10&to=2026-03-09`);
        expect([path, bad.status]).toEqual([path, 400]);
        expect(bad.body).toEqual(upsideDown('from', 'to'));
        expect((await get(`${path}?subAccountId=${sub}&from=2026-03-09&to=2026-03-09`)).status).toBe(200);
      }
    });

    it('POST /api/whatsapp/bulk filter.createdFrom/createdTo, before anything else is looked up', async () => {
      const res = await t.http
        .post('/api/whatsapp/bulk')
        .set('authorization', admin)
        .send({ subAccountId: sub, filter: { createdFrom: '2026-03-10', createdTo: '2026-03-09' }, text: 'Hello' });
      expect(res.status).toBe(400);
      expect(res.body).toEqual(upsideDown('filter.createdFrom', 'filter.createdTo'));
    });

    it('analytics (and the reports and WhatsApp analytics that read ranges the same way) from/to', async () => {
      const overview = await get(`/api/analytics/overview?subAccountId=${sub}&from=2026-03-10&to=2026-03-09`);
      expect(overview.status).toBe(400);
      expect(overview.body).toEqual(upsideDown('from', 'to'));
      const whatsapp = await get(`/api/whatsapp/analytics?subAccountId=${sub}&from=2026-03-10&to=2026-03-09`);
      expect(whatsapp.body).toEqual(upsideDown('from', 'to'));
      const rebuild = await t.http
        .post('/api/analytics/rebuild')
        .set('authorization', admin)
        .send({ subAccountId: sub, from: '2026-03-10', to: '2026-03-09' });
      expect(rebuild.body).toEqual(upsideDown('from', 'to'));
    });
  });

  // two form tools sending to one sub-account both number their submissions 1, 2, 3 …: under one key per
  // sub-account, the second tool's person 1 was merged into the first tool's (name and e-mail overwritten)
  describe("generic webhook ids are the sending integration's, not the sub-account's", () => {
    const deliver = async (integration: { webhookUrl: string; webhookSecret: string }, payload: object) => {
      const res = await postGeneric(t, integration, payload);
      expect([res.status, res.body.status]).toEqual([200, 'received']);
      expect(await settledEvent(t, res.body.eventId as string)).toMatchObject({ status: 'PROCESSED' });
    };
    const leadsOf = async (subAccountId: number) =>
      (
        await t.sql.query<{ full_name: string; email: string }>(
          'SELECT full_name, email FROM leads WHERE sub_account_id = $1 ORDER BY id',
          [subAccountId],
        )
      ).rows;

    it('the same submission id from two integrations makes two people; a later one from the same integration finds its own', async () => {
      const own = await createSubAccount(t, 'MAX', 'Two form tools');
      const config = { mapping: { email: '/email', fullName: '/name' }, externalIdPointer: '/id' };
      const tally = await createIntegration(t, own, 'generic-webhook', config, 'Tally');
      const jotform = await createIntegration(t, own, 'generic-webhook', config, 'Jotform');
      await activate(t, own, tally.id);
      await activate(t, own, jotform.id);

      await deliver(tally, { id: 1, email: 'ana@example.com', name: 'Ana Tally' });
      await deliver(jotform, { id: 1, email: 'bruno@example.com', name: 'Bruno Jotform' });
      expect(await leadsOf(own)).toEqual([
        { full_name: 'Ana Tally', email: 'ana@example.com' },
        { full_name: 'Bruno Jotform', email: 'bruno@example.com' },
      ]);
      // Tally's submission 1 again (edited, a new address): Tally's person, not Jotform's
      await deliver(tally, { id: 1, email: 'ana.new@example.com', name: 'Ana T.', edited: true });
      const after = await leadsOf(own);
      expect(after).toHaveLength(2);
      expect(after[1]).toEqual({ full_name: 'Bruno Jotform', email: 'bruno@example.com' });
      expect(after[0].full_name).toBe('Ana T.');
    });

    it('the migration gives stored keys one per integration that named the id, and splits no lead', async () => {
      const own = await createSubAccount(t, 'MAX', 'Stored before');
      const integration = await createIntegration(t, own, 'generic-webhook', {
        mapping: { email: '/email' },
        externalIdPointer: '/id',
      });
      const other = await createIntegration(t, own, 'generic-webhook', {
        mapping: { email: '/email' },
        externalIdPointer: '/id',
      });
      // as stored before: one lead known by ext:generic:7, named by both integrations (already merged),
      // and a key no source row explains
      const lead = (
        await t.sql.query<{ id: string }>(
          "INSERT INTO leads (sub_account_id, email, updated_at) VALUES ($1, 'old@example.com', now()) RETURNING id::text",
          [own],
        )
      ).rows[0].id;
      for (const [integrationId, origin] of [
        [integration.id, 'event:1'],
        [other.id, 'event:2'],
      ] as const)
        await t.sql.query(
          `INSERT INTO lead_sources (lead_id, sub_account_id, integration_id, platform, external_id, origin)
           VALUES ($1, $2, $3, 'generic', '7', $4)`,
          [lead, own, integrationId, origin],
        );
      await t.sql.query(
        "INSERT INTO lead_identities (sub_account_id, key, lead_id) VALUES ($1, 'ext:generic:7', $2), ($1, 'ext:generic:orphan', $2)",
        [own, lead],
      );
      const migration = readFileSync(
        join(__dirname, '../../prisma/migrations/20261206100000_generic_identity_per_integration/migration.sql'),
        'utf8',
      );
      await t.sql.query(migration);
      const keys = await t.sql.query<{ key: string; lead_id: string }>(
        'SELECT key, lead_id::text FROM lead_identities WHERE sub_account_id = $1 ORDER BY key',
        [own],
      );
      expect(keys.rows).toEqual(
        [`ext:generic@${integration.id}:7`, `ext:generic@${other.id}:7`, 'ext:generic:orphan']
          .sort()
          .map((key) => ({ key, lead_id: lead })),
      );
    });
  });
});
