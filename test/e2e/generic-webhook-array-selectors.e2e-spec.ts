import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSubAccount } from '../support/factories';
import { createTestApp, TestApp } from '../support/test-app';
import { settledEvent } from '../support/webhooks';

/** Typeform's payload shape (src/handlers/generic-webhook/fixtures/README.md). */
const FIXTURE = JSON.parse(
  readFileSync(
    join(__dirname, '../../src/handlers/generic-webhook/fixtures/form-response.typeform-shape.json'),
    'utf8',
  ),
);

/** What a super-admin writes for Typeform (API.md "Integration templates"): no code, the signing pinned. */
const TYPEFORM_TEMPLATE = {
  name: 'typeform',
  displayName: 'Typeform',
  category: 'Forms',
  handler: 'generic-webhook',
  configSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['mapping', 'externalIdPointer', 'signatureScheme', 'signatureHeader', 'signatureEncoding'],
    properties: {
      mapping: { type: 'object' },
      externalIdPointer: { const: '/form_response/token' },
      eventTypePointer: { const: '/event_type' },
      signatureScheme: { const: 'hmac-sha256-body' },
      signatureHeader: { const: 'Typeform-Signature' },
      signatureEncoding: { const: 'base64' },
    },
  },
};

const byRef = (ref: string, value: string) => ({
  pointer: '/form_response/answers',
  where: { '/field/ref': ref },
  value,
});

const CONFIG = {
  mapping: {
    fullName: byRef('full_name', '/text'),
    email: byRef('email', '/email'),
    phone: byRef('phone', '/phone_number'),
    campaignName: '/form_response/hidden/utm_campaign',
  },
  externalIdPointer: '/form_response/token',
  eventTypePointer: '/event_type',
  signatureScheme: 'hmac-sha256-body',
  signatureHeader: 'Typeform-Signature',
  signatureEncoding: 'base64',
};

describe('generic webhook: a Typeform template mapping answers by field.ref', () => {
  let t: TestApp;
  let sub: number;
  let admin: string;
  let templateId: number;

  beforeAll(async () => {
    t = await createTestApp();
    sub = await createSubAccount(t, 'PRO', 'Boiler Co');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
    const created = await t.http
      .post('/api/integration-templates')
      .set('authorization', `Bearer ${t.token('SUPER_ADMIN')}`)
      .send(TYPEFORM_TEMPLATE);
    expect(created.status).toBe(201);
    templateId = created.body.id;
  });
  afterAll(async () => {
    await t.close();
  });

  const create = (config: unknown) =>
    t.http
      .post('/api/integrations')
      .set('authorization', admin)
      .send({ subAccountId: sub, integrationTemplateId: templateId, name: 'Quote form', config });

  it('refuses a template pinning ("const") a value the handler would refuse in every integration', async () => {
    const su = `Bearer ${t.token('SUPER_ADMIN')}`;
    const schema = TYPEFORM_TEMPLATE.configSchema;
    const res = await t.http
      .post('/api/integration-templates')
      .set('authorization', su)
      .send({
        ...TYPEFORM_TEMPLATE,
        name: 'typeform-pinned',
        configSchema: {
          ...schema,
          properties: {
            ...schema.properties,
            mapping: {
              const: { email: { pointer: '/form_response/answers', where: { '/field/ref': 'email' }, value: 'email' } },
            },
            externalIdPointer: { const: 'form_response/token' },
          },
        },
      });
    expect([res.status, res.body.code]).toEqual([400, 'CONFIG_SCHEMA_INVALID']);
    expect(res.body.details).toEqual([
      expect.stringMatching(
        /^the "const" of \/properties\/mapping .*: \/mapping\/email\/value "email" is not a JSON Pointer/,
      ),
      expect.stringMatching(
        /^the "const" of \/properties\/externalIdPointer .*: \/externalIdPointer "form_response\/token" is not a JSON Pointer/,
      ),
    ]);
  });

  it('refuses a malformed selector with the pointer of its bad part', async () => {
    const res = await create({
      ...CONFIG,
      mapping: { email: { pointer: '/form_response/answers', where: { 'field/ref': 'email' }, value: '/email' } },
    });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('CONFIG_SCHEMA_INVALID');
    expect(res.body.details).toEqual([
      { pointer: '/mapping/email/where/field~1ref', message: expect.stringContaining('e.g. "/field/ref"') },
    ]);
  });

  it('maps a delivery with reordered answers to the same lead, e-mail, phone and name included', async () => {
    const created = await create(CONFIG);
    expect(created.status).toBe(201);
    const { id, webhookUrl, webhookSecret } = created.body as { id: number; webhookUrl: string; webhookSecret: string };
    expect((await t.http.post(`/api/integrations/${id}/test`).set('authorization', admin)).status).toBe(200);

    const deliver = async (payload: unknown) => {
      const body = JSON.stringify(payload);
      // Typeform-Signature: sha256=<base64 HMAC-SHA256(secret, raw body)> (typeform.com/developers/webhooks/secure-your-webhooks)
      const signature = `sha256=${createHmac('sha256', webhookSecret).update(body).digest('base64')}`;
      const res = await t.http
        .post(new URL(webhookUrl).pathname)
        .set('content-type', 'application/json')
        .set('typeform-signature', signature)
        .send(body);
      expect([res.status, res.body.status]).toEqual([200, 'received']);
      expect((await settledEvent(t, res.body.eventId)).status).toBe('PROCESSED');
    };
    const leads = async () =>
      (await t.http.get(`/api/leads?subAccountId=${sub}`).set('authorization', admin)).body.items as Array<
        Record<string, unknown>
      >;

    await deliver(FIXTURE);
    const [first] = await leads();
    expect(first).toEqual(
      expect.objectContaining({ fullName: 'Ines Duarte', email: 'ines.duarte@example.com', phone: '+351912000111' }),
    );

    // the form was edited: the phone question now comes first and a question was added before the e-mail
    const edited = structuredClone(FIXTURE);
    const [name, email, phone, age] = FIXTURE.form_response.answers;
    edited.form_response.answers = [phone, age, { type: 'text', text: 'x', field: { ref: 'notes' } }, email, name];
    await deliver(edited);
    const after = await leads();
    expect(after).toHaveLength(1);
    expect(after[0]).toEqual(
      expect.objectContaining({
        id: first.id,
        fullName: 'Ines Duarte',
        email: 'ines.duarte@example.com',
        phone: '+351912000111',
      }),
    );

    // another submission of the edited form: its own values, read from their new places
    const next = structuredClone(edited);
    next.form_response.token = 'r7x0sb7x03k0c9vr8ee2h1bd3k0c9vr8';
    next.form_response.answers[0].phone_number = '+351913000222';
    next.form_response.answers[3].email = 'rui.costa@example.com';
    next.form_response.answers[4].text = 'Rui Costa';
    await deliver(next);
    expect((await leads()).find((lead) => lead.id !== first.id)).toEqual(
      expect.objectContaining({ fullName: 'Rui Costa', email: 'rui.costa@example.com', phone: '+351913000222' }),
    );
  });
});
