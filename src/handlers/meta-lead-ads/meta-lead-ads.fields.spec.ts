// Meta leads mapped through the form's question types, with platform, partner and consents kept.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeServer } from '../../../test/support/fake-server';
import { handlerContext } from '../../../test/support/handler-context';
import type { StoredEvent } from '../integration-handler';
import { MetaLeadAdsHandler } from './meta-lead-ads.handler';
import { formQuestionsOf, leadFromGraph, leadgenEventOf } from './meta-lead-ads.payload';

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(__dirname, 'fixtures', name), 'utf8')) as Record<string, unknown>;
const FORM = fixture('form-questions.written-for-spec.json');
const LEAD = fixture('lead-with-consents.written-for-spec.json');
const NOW = new Date('2026-11-30T12:00:00Z');
const config = { pageId: '153125381133', appSecret: 'app-secret-1', pageAccessToken: 'EAAG-tok', verifyToken: 'v' };

describe('Meta leads: every field, mapped by meaning (issue 10 point 7)', () => {
  const expected = {
    platform: 'meta',
    externalId: '1843301527654328',
    fullName: 'Marta Rocha',
    // an EMAIL question under a custom key is the email; a CUSTOM question keyed "email" is not
    email: 'marta.rocha@example.com',
    phone: '+351 913 555 010',
    customAnswers: { work_email: 'm.rocha@solarco.example', email: 'installer@roofs.example', roof_type: 'flat' },
    submittedAt: '2026-11-29T18:42:10.000Z',
    consents: [
      { key: 'marketing_opt_in', accepted: true },
      { key: 'partner_sharing', accepted: false },
    ],
    source: {
      adId: '120226305854810726',
      formId: '428591720391133',
      isOrganic: false,
      details: { platform: 'ig', partnerName: 'Acme CRM Connector' },
    },
  };

  it("maps standard fields through the form's question types, whatever their keys", () => {
    expect(leadFromGraph(LEAD, formQuestionsOf(FORM))).toEqual(expected);
  });

  it('falls back to the prefill names without the form, losing nothing', () => {
    const lead = leadFromGraph(LEAD);
    // by name, `email` is the email even though work_email comes first; the other answers are kept as named
    expect(lead).toMatchObject({ fullName: 'Marta Rocha', email: 'installer@roofs.example' });
    expect(lead?.customAnswers).toEqual({
      contact_mail_1: 'marta.rocha@example.com',
      mobile: '+351 913 555 010',
      work_email: 'm.rocha@solarco.example',
      roof_type: 'flat',
    });
  });

  it('without the form, EMAIL wins over WORK_EMAIL whatever the order; a work email alone is the email', () => {
    // Meta's field_data as GET /<lead id> answers it (fixtures/lead-retrieve-response.json), with both prefills
    const official = fixture('lead-retrieve-response.json');
    const fields = official.field_data as Array<{ name: string; values: string[] }>;
    const work = { name: 'work_email', values: ['joe@dealer.example'] };
    for (const field_data of [
      [work, ...fields],
      [...fields, work],
    ]) {
      const lead = leadFromGraph({ ...official, id: '77', field_data });
      expect(lead).toMatchObject({ fullName: 'Joe Example', email: 'joe@example.com' });
      expect(lead?.customAnswers).toMatchObject({ work_email: 'joe@dealer.example' });
    }
    const onlyWork = fields.filter((f) => f.name !== 'email').concat(work);
    expect(leadFromGraph({ ...official, id: '78', field_data: onlyWork })).toMatchObject({
      email: 'joe@dealer.example',
    });
    // an empty EMAIL answer does not keep the work email out
    const emptyEmail = fields.map((f) => (f.name === 'email' ? { ...f, values: [] } : f)).concat(work);
    expect(leadFromGraph({ ...official, id: '79', field_data: emptyEmail })?.email).toBe('joe@dealer.example');
  });

  it('takes a work email as the email only when the form asks no personal one', () => {
    const questions = formQuestionsOf({
      questions: [
        { key: 'work_email', type: 'WORK_EMAIL' },
        { key: 'work_phone', type: 'WORK_PHONE_NUMBER' },
      ],
    });
    const lead = leadFromGraph(
      {
        id: '1',
        field_data: [
          { name: 'work_email', values: ['a@corp.example'] },
          { name: 'work_phone', values: ['+1 415 555 0101'] },
        ],
      },
      questions,
    );
    expect(lead).toMatchObject({ email: 'a@corp.example', phone: '+1 415 555 0101' });
    expect(lead?.customAnswers).toBeUndefined();
  });

  describe('through the handler, against a fake Graph API', () => {
    let server: FakeServer;
    beforeAll(async () => {
      server = await FakeServer.start();
    });
    afterEach(() => server.reset());
    afterAll(() => server.close());
    const ctx = () => handlerContext(config, { metaGraph: server.url }, { now: NOW });
    const event: StoredEvent = {
      id: '1',
      eventType: 'leadgen',
      externalId: '1843301527654328',
      payload: { leadgenId: '1843301527654328', formId: '428591720391133' },
      receivedAt: NOW,
    };

    it('reads the lead, then its form questions, with appsecret_proof on both', async () => {
      server.on('GET', '/1843301527654328', () => ({ status: 200, body: LEAD }));
      server.on('GET', '/428591720391133', () => ({ status: 200, body: FORM }));
      // the form read for its questions also names the lead's form (LeadgenForm.name)
      const withFormName = { ...expected, source: { ...expected.source, formName: 'Solar quote – Instagram' } };
      expect(await new MetaLeadAdsHandler().processWebhook(event, ctx())).toEqual({ leads: [withFormName] });
      expect(server.requests.map((r) => r.path)).toEqual(['/1843301527654328', '/428591720391133']);
      expect(server.requests.every((r) => /^[0-9a-f]{64}$/.test(r.query.get('appsecret_proof') ?? ''))).toBe(true);
    });

    it('retries the event when the form read fails transiently, and degrades when Meta refuses it', async () => {
      server.on('GET', '/1843301527654328', () => ({ status: 200, body: LEAD }));
      server.on('GET', '/428591720391133', () => ({ status: 503, body: 'down' }));
      await expect(new MetaLeadAdsHandler().processWebhook(event, ctx())).rejects.toMatchObject({ kind: 'server' });
      server.on('GET', '/428591720391133', () => ({
        status: 400,
        body: { error: { message: '(#100) Missing permissions', type: 'OAuthException', code: 100 } },
      }));
      const context = ctx();
      const { leads } = await new MetaLeadAdsHandler().processWebhook(event, context);
      expect(leads[0].customAnswers).toMatchObject({ contact_mail_1: 'marta.rocha@example.com' });
      expect(context.logger.lines).toEqual([
        expect.objectContaining({ level: 'warn', obj: { formId: '428591720391133', status: 400 } }),
      ]);
    });
  });
});

describe('Meta leads: field_data values of odd shapes (audit 22)', () => {
  it('fills a contact field with its first value and keeps all of them as the answer, never "a, b"', () => {
    const lead = leadFromGraph({
      id: '22040002',
      field_data: [
        { name: 'full_name', values: ['  ', 'Bea Lima'] },
        { name: 'email', values: ['bea@audit22.example', 'other@audit22.example'] },
        { name: 'phone_number', values: ['+14155550123', '+14155550124'] },
        { name: 'which_services', values: ['roof', 'gutters'] },
      ],
    });
    expect(lead).toMatchObject({
      fullName: 'Bea Lima',
      email: 'bea@audit22.example',
      phone: '+14155550123',
      customAnswers: {
        email: 'bea@audit22.example, other@audit22.example',
        phone_number: '+14155550123, +14155550124',
        which_services: 'roof, gutters',
      },
    });
    expect(lead?.customAnswers).not.toHaveProperty('full_name');
  });

  it('reads a bare value where Graph writes a list as a list of one; drops what is no text', () => {
    const lead = leadFromGraph({
      id: '22040003',
      field_data: [
        { name: 'city', values: 'Lisbon' },
        { name: 'budget', values: 12000 },
        { name: 'nothing', values: null },
        { name: 'object', values: [{ nested: true }] },
      ],
    });
    expect(lead).toMatchObject({ city: 'Lisbon', customAnswers: { budget: '12000' } });
    expect(lead?.customAnswers).not.toHaveProperty('nothing');
    expect(lead?.customAnswers).not.toHaveProperty('object');
  });
});

describe('Meta leads: ids of 0 name no object (audit 22)', () => {
  it('drops 0 ids from the change and from the Graph lead, keeps real ones', () => {
    expect(leadgenEventOf({ leadgen_id: '5', ad_id: '0', adgroup_id: 0, form_id: '00' }, '9')).toEqual({
      leadgenId: '5',
      pageId: '9',
      formId: undefined,
      adId: undefined,
      adgroupId: undefined,
      createdTime: undefined,
    });
    const lead = leadFromGraph({
      id: '5',
      ad_id: '0',
      campaign_id: '0',
      adset_id: '0',
      form_id: '428591720391133',
      field_data: [{ name: 'email', values: ['a@b.example'] }],
    });
    expect(lead?.source).toEqual({ formId: '428591720391133' });
  });
});
