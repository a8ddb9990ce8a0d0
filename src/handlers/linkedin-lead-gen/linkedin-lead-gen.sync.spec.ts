// LinkedIn projected responses, 426 version errors and the reconciliation sync, against a fake LinkedIn on an injected clock.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { installFakeLinkedIn } from '../../../test/support/fake-linkedin';
import { FakeServer } from '../../../test/support/fake-server';
import { handlerContext } from '../../../test/support/handler-context';
import type { LeadInput, SyncPage } from '../handler-types';
import { IntegrationSetupError, StoredEvent } from '../integration-handler';
import { LinkedInLeadGenHandler } from './linkedin-lead-gen.handler';
import { LINKEDIN_SYNC_PAGE_SIZE } from './linkedin-lead-gen.sync';

const fixtureJson = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(__dirname, 'fixtures', name), 'utf8'));
const PROJECTED = fixtureJson('lead-form-response.projected.ASSEMBLED.json');
const FORM_V1 = fixtureJson('lead-form.7234246.postman-example.json');
const TOKEN = 'AQV-li-access-token-91c2';
const AD_ACCOUNT = '1234567';
const CONFIG = { organizationId: AD_ACCOUNT, clientId: 'c', clientSecret: 'li-secret-1', accessToken: TOKEN };
const NOW = new Date('2026-11-30T12:00:00Z');
const HOUR = 3600_000;

/** Version 2 of the same form, published after the lead answered version 1: its questions read differently. */
const FORM_V2 = structuredClone(FORM_V1) as Record<string, unknown> & {
  content: { questions: Array<Record<string, unknown>> };
};
FORM_V2.versionId = 2;
FORM_V2.content.questions = FORM_V2.content.questions.map((q) =>
  q.questionId === 507234246
    ? { ...q, question: { localized: { es_ES: 'Área (v2)' } }, predefinedField: undefined }
    : q,
);
const FORMS = { '7234246,1': FORM_V1, '7234246,2': FORM_V2 };

/** A stored response as the fake keeps it: the fixture, re-identified and re-dated. */
const response = (id: string, submittedAt: number, extra: Record<string, unknown> = {}) => ({
  ...PROJECTED,
  form: undefined,
  id,
  submittedAt,
  ...extra,
});

describe('LinkedIn lead fetch with projection, version errors and sync', () => {
  const handler = new LinkedInLeadGenHandler();
  let server: FakeServer;
  beforeAll(async () => {
    server = await FakeServer.start();
  });
  afterEach(() => server.reset());
  afterAll(() => server.close());

  const ctx = (config: Record<string, unknown> = CONFIG, now = NOW) =>
    handlerContext(config, { linkedinApi: server.url }, { now });
  const created = (responseId: string): StoredEvent => ({
    id: '1',
    eventType: 'lead.created',
    externalId: `urn:li:leadGenFormResponse:${responseId}:CREATED`,
    payload: {
      responseId,
      leadAction: 'CREATED',
      formUrn: 'urn:li:versionedLeadGenForm:(urn:li:leadGenForm:7234246,1)',
    },
    receivedAt: NOW,
  });

  describe('processWebhook', () => {
    it('maps with the form version the lead answered, and keeps consents, hidden fields and names', async () => {
      installFakeLinkedIn(server, {
        today: NOW,
        token: TOKEN,
        owners: { sponsoredAccount: [AD_ACCOUNT] },
        forms: FORMS,
        responses: [response('r-1', Date.parse('2026-11-30T10:00:00Z'))],
      });
      const { leads } = await handler.processWebhook(created('r-1'), ctx());
      expect(leads).toEqual([
        expect.objectContaining({
          externalId: 'r-1',
          firstName: 'Kevin',
          lastName: 'Johonson',
          email: 'kevjohonson@email.com',
          jobTitle: 'Senior Engineer',
          // version 1's questions, not the current form's "Área (v2)"
          customAnswers: expect.objectContaining({ Función: 'Ingeniería' }),
          consents: [{ key: '0', accepted: true, label: 'marque mi casilla de verificación personalizada!' }],
          source: {
            formId: '7234246',
            formName: 'Form with written spanish',
            campaignId: '198356826',
            campaignName: 'Spain – Q4 engineers',
            adId: '241257736',
            isOrganic: false,
            details: {
              hidden_field: 'abc678',
              campo_escondido: 'def789',
              owner: 'urn:li:sponsoredAccount:1234567',
              ownerName: 'Acme Iberia Ads',
              formVersion: 'urn:li:versionedLeadGenForm:(urn:li:leadGenForm:7234246,1)',
              leadType: 'SPONSORED',
            },
          },
        }),
      ]);
      // one call: the projection embedded the form
      expect(server.requests.map((r) => r.path)).toEqual(['/rest/leadFormResponses/r-1']);
    });

    it('fails with an integration setup error on a sunset explicit version (426), never retried', async () => {
      installFakeLinkedIn(server, { today: NOW, token: TOKEN, owners: {}, responses: [response('r-1', 1)] });
      const error = await handler
        .processWebhook(created('r-1'), ctx({ ...CONFIG, apiVersion: '202510' }))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(IntegrationSetupError);
      expect((error as Error).message).toMatch(
        /^LinkedIn no longer serves API version 202510 \(HTTP 426 NONEXISTENT_VERSION/,
      );
      expect(server.requests).toHaveLength(1);
    });

    it('falls back one month when LinkedIn skipped the derived one, and gives up after that', async () => {
      server.on('GET', /^\/rest\/leadFormResponses\//, (req) =>
        req.headers['linkedin-version'] === '202609'
          ? { status: 200, body: { ...PROJECTED, form: FORM_V1 } }
          : {
              status: 426,
              body: { status: 426, code: 'NONEXISTENT_VERSION', message: 'Requested version 202610 is not active' },
            },
      );
      const { leads } = await handler.processWebhook(created('r-1'), ctx());
      expect(leads).toHaveLength(1);
      expect(server.requests.map((r) => r.headers['linkedin-version'])).toEqual(['202610', '202609']);
      server.requests.length = 0;
      const error = await handler
        .processWebhook(created('r-1'), ctx(CONFIG, new Date('2026-12-05T00:00:00Z')))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(IntegrationSetupError);
      expect((error as Error).message).toContain('API version 202611 or 202610');
    });
  });

  describe('syncData', () => {
    const drain = async (cursor: string | null, now = NOW) => {
      const pages: SyncPage[] = [];
      let next = cursor;
      do {
        const page = await handler.syncData(ctx(CONFIG, now), next);
        pages.push(page);
        next = page.nextCursor;
      } while (next !== null && pages.length < 50);
      return { pages, leads: pages.flatMap((p): LeadInput[] => p.leads), last: pages[pages.length - 1] };
    };

    it('pulls the last week on the first run, page by page, then only what came since', async () => {
      const at = (hoursAgo: number) => NOW.getTime() - hoursAgo * HOUR;
      const responses = [
        ...Array.from({ length: 130 }, (_, i) => response(`week-${i}`, at(1 + i))),
        response('too-old', at(8 * 24)),
        response('other-account', at(2), { owner: { sponsoredAccount: 'urn:li:sponsoredAccount:999' } }),
      ];
      installFakeLinkedIn(server, {
        today: NOW,
        token: TOKEN,
        owners: { sponsoredAccount: [AD_ACCOUNT] },
        forms: FORMS,
        responses,
      });
      const first = await drain(null);
      expect(first.leads.map((l) => l.externalId).sort()).toEqual(
        responses
          .slice(0, 130)
          .map((r) => r.id)
          .sort(),
      );
      expect(first.pages.map((p) => p.fetched)).toEqual([LINKEDIN_SYNC_PAGE_SIZE, 30]);
      expect(first.leads[0]).toEqual(expect.objectContaining({ email: 'kevjohonson@email.com', platform: 'linkedin' }));
      expect(first.last).toMatchObject({ nextCursor: null, nextRunCursor: JSON.stringify({ since: NOW.getTime() }) });
      const finder = server.requests.filter((r) => r.path === '/rest/leadFormResponses');
      expect(finder[0].url).toContain('owner=(sponsoredAccount:urn%3Ali%3AsponsoredAccount%3A1234567)');
      expect(finder[0].url).toContain('leadType=(leadType:SPONSORED)');
      expect(finder[0].url).toContain(
        `submittedAtTimeRange=(start:${NOW.getTime() - 7 * 24 * HOUR},end:${NOW.getTime()})`,
      );
      expect(finder[1].query.get('start')).toBe(String(LINKEDIN_SYNC_PAGE_SIZE));

      // an hour later: two new responses; the next run starts where this one ended (minus an overlap)
      const later = new Date(NOW.getTime() + HOUR);
      responses.push(response('new-1', NOW.getTime() + 10 * 60_000), response('new-2', NOW.getTime() + 20 * 60_000));
      server.requests.length = 0;
      const second = await drain(first.last.nextRunCursor ?? null, later);
      expect(second.leads.map((l) => l.externalId).sort()).toEqual(['new-1', 'new-2', 'week-0']);
      expect(server.requests.find((r) => r.path === '/rest/leadFormResponses')?.url).toContain(
        `submittedAtTimeRange=(start:${NOW.getTime() - HOUR},end:${later.getTime()})`,
      );
    });

    it('walks every organic lead type for an organization owner', async () => {
      const org = { ...CONFIG, organizationId: '2414183', ownerType: 'organization' };
      const owner = { organization: 'urn:li:organization:2414183' };
      installFakeLinkedIn(server, {
        today: NOW,
        token: TOKEN,
        owners: { organization: ['2414183'] },
        forms: FORMS,
        responses: [
          response('event-1', NOW.getTime() - HOUR, { owner, leadType: 'EVENT' }),
          response('page-1', NOW.getTime() - HOUR, { owner, leadType: 'COMPANY' }),
        ],
      });
      const pages: SyncPage[] = [];
      let cursor: string | null = null;
      do {
        const page: SyncPage = await handler.syncData(ctx(org), cursor);
        pages.push(page);
        cursor = page.nextCursor;
      } while (cursor !== null);
      expect(pages.flatMap((p) => p.leads.map((l) => [l.externalId, l.source.isOrganic]))).toEqual([
        ['page-1', true],
        ['event-1', true],
      ]);
      const types = server.requests.map((r) => r.query.get('leadType'));
      expect(types).toEqual(['(leadType:COMPANY)', '(leadType:EVENT)', '(leadType:ORGANIZATION_PRODUCT)']);
    });

    it('stops on a sunset version with an integration setup error, and on a refused token as the pipeline expects', async () => {
      // a year later, the pinned 202511 is sunset
      installFakeLinkedIn(server, {
        today: new Date('2027-12-01T00:00:00Z'),
        token: TOKEN,
        owners: { sponsoredAccount: [AD_ACCOUNT] },
      });
      await expect(
        handler.syncData(
          ctx({ ...CONFIG, ownerType: 'sponsoredAccount', apiVersion: '202511' }, new Date('2027-12-01T00:00:00Z')),
          null,
        ),
      ).rejects.toBeInstanceOf(IntegrationSetupError);
      await expect(
        handler.syncData(ctx({ ...CONFIG, ownerType: 'sponsoredAccount', accessToken: 'revoked' }), null),
      ).rejects.toMatchObject({ name: 'OutboundError', kind: 'auth', status: 401 });
      await expect(handler.syncData(ctx(), '{"nonsense":true')).rejects.toThrow('unreadable sync cursor');
    });
  });
});
