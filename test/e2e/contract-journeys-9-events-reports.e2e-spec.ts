// Audit 9 of API.md "WhatsApp" and "Reports" scheduling (contract-journeys-9): the template events that are no
// status, and the reports journey (a WEEKLY schedule mailed once per period; its signed link opens without a
// bearer and not once tampered with or expired). The WhatsApp journeys (templates, conversation, bulk) are in
// contract-journeys-9-whatsapp.e2e-spec.ts, the shared setup in test/support/contract-journeys-9-setup.ts.
// Failed before its fix: a message_template_status_update whose event is no status (LOCKED, UNARCHIVED) was
// stored as the template's status, so GET /api/whatsapp/templates listed "LOCKED" / "UNARCHIVED" outside
// API.md's status list, and an unarchived template stayed unsendable; such events now reconcile with Meta's
// list. The reports journey passed and stays as a guard end to end.
import { parseReportSchedule } from '../../src/modules/reports/schedule/report-schedule';
import { deriveReportLinkKey, signReportDownload } from '../../src/modules/reports/delivery/signed-link';
import { ReportScheduler } from '../../src/modules/reports/schedule/report-scheduler';
import { nextOccurrence } from '../../src/modules/reports/schedule/schedule-occurrences';
import { TEMPLATE_STATUSES } from '../../src/modules/whatsapp/dto/template.dto';
import { FakeSmtpServer } from '../support/fake-smtp';
import { FakeWhatsAppGraph } from '../support/fakes/whatsapp-graph';
import { WhatsAppWebhooks } from '../support/fakes/whatsapp-webhooks';
import { seedLeads as seedReportLeads } from '../support/report-fixtures';
import { TEST_KEY_1, TestApp } from '../support/test-app';
import { waitFor } from '../support/webhooks';
import { BulkSetup } from '../support/whatsapp-bulk';
import { DAY, HOUR, Journeys9, setupJourneys9, WABA } from '../support/contract-journeys-9-setup';

describe('API.md journeys: WhatsApp and scheduled reports (audit 9)', () => {
  let t: TestApp;
  let fake: FakeWhatsAppGraph;
  let smtp: FakeSmtpServer;
  let s: BulkSetup;
  let hooks: WhatsAppWebhooks;
  let manager: string;
  let post: Journeys9['post'];
  let get: Journeys9['get'];
  let hook: Journeys9['hook'];
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ t, fake, smtp, s, hooks, manager, post, get, hook, close } = await setupJourneys9());
  });
  afterAll(async () => close?.());

  it("Meta's template events that are no status (LOCKED, UNARCHIVED) never put a status outside API.md's list", async () => {
    const body = { type: 'BODY', text: 'Hi {{1}}, back again', example: { body_text: [['Ana']] } };
    const created = await post('/api/whatsapp/templates', manager, {
      integrationId: s.integrationId,
      name: 'j9_archive',
      language: 'en_US',
      category: 'UTILITY',
      components: [body],
    });
    expect(created.status).toBe(201);
    const externalId = fake.templates.find(WABA, 'j9_archive', 'en_US')?.id ?? '';
    const event = (name: string) =>
      hook(hooks.templateStatus({ event: name, templateId: externalId, name: 'j9_archive', language: 'en_US' }));
    const status = async () =>
      (
        (await get(`/api/whatsapp/templates?subAccountId=${s.subAccountId}&q=j9_archive`, manager)).body
          .items as Array<{
          status: string;
        }>
      )[0]?.status;
    fake.templates.setStatus(WABA, 'j9_archive', 'en_US', 'APPROVED');
    await event('APPROVED');
    // LOCKED: the template can no longer be edited; Meta's list still says APPROVED
    await event('LOCKED');
    expect(await status()).toBe('APPROVED');
    fake.templates.setStatus(WABA, 'j9_archive', 'en_US', 'ARCHIVED');
    await event('ARCHIVED');
    expect(await status()).toBe('ARCHIVED');
    // UNARCHIVED: restored; what it is now is what Meta lists
    fake.templates.setStatus(WABA, 'j9_archive', 'en_US', 'APPROVED');
    await event('UNARCHIVED');
    await waitFor(async () => (await status()) === 'APPROVED', 20_000, 'the unarchived template reconciled');
    const listed = (await get(`/api/whatsapp/templates?subAccountId=${s.subAccountId}&pageSize=200`, manager)).body
      .items as Array<{ status: string }>;
    for (const item of listed) expect(TEMPLATE_STATUSES).toContain(item.status);
  });

  it('reports: a WEEKLY schedule mailed once per period; the signed link opens without a bearer, not tampered or expired', async () => {
    const admin = `Bearer ${t.token('ADMIN', [s.subAccountId])}`;
    await seedReportLeads(t.sql, s.subAccountId, [
      { at: new Date(Date.now() - DAY).toISOString(), name: 'Week Lead', status: 'NEW', platform: 'meta' },
    ]);
    const local = new Date(Date.now() + DAY / 2);
    const time = `${String(local.getUTCHours()).padStart(2, '0')}:${String(local.getUTCMinutes()).padStart(2, '0')}`;
    // ISO weekday (1 = Monday … 7 = Sunday), as the schedule reads it
    const dayOfWeek = local.getUTCDay() || 7;
    const created = await post('/api/report-templates', admin, {
      subAccountId: s.subAccountId,
      name: 'Weekly leads',
      type: 'SOURCE',
      config: { metrics: ['newLeads'], dateRange: 'LAST_7_DAYS', chartTypes: ['table'] },
      format: 'EXCEL',
      schedule: { frequency: 'WEEKLY', dayOfWeek, time, recipients: ['boss@example.com'] },
    });
    expect(created.status).toBe(201);
    const rule = parseReportSchedule({ frequency: 'WEEKLY', dayOfWeek, time }, 'UTC');
    const first = nextOccurrence(rule, new Date());
    const scheduler = t.app.get(ReportScheduler);
    expect(await scheduler.runDue(first.fireAt)).toBe(1);
    // later the same week: nothing more
    expect(await scheduler.runDue(new Date(first.fireAt.getTime() + 3 * DAY))).toBe(0);
    await waitFor(async () => smtp.count === 1, 30_000, 'the weekly mail');
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.count).toBe(1);
    const text = smtp.messages[0].parsed.text ?? '';
    const link = /https:\/\/hub\.example\.test(\/api\/reports\/\d+\/download\?expires=(\d+)&signature=([\w-]+))/.exec(
      text,
    );
    expect(link).not.toBeNull();
    const [, path, expires, signature] = link ?? ['', '', '0', ''];
    expect(Number(expires) * 1000 - Date.now()).toBeLessThanOrEqual(7 * DAY + 60_000);
    const open = await t.http.get(path);
    expect(open.status).toBe(200);
    expect(open.headers['content-disposition']).toMatch(/attachment/);
    const tampered = await t.http.get(path.replace(`expires=${expires}`, `expires=${Number(expires) + 1}`));
    expect([401, 403]).toContain(tampered.status);
    const badSig = await t.http.get(path.replace(signature, `${signature.slice(0, -2)}xx`));
    expect([401, 403]).toContain(badSig.status);
    // the same link signed with the hub's key but an hour past its expiry: 401, the message says expired
    const reportId = /\/api\/reports\/(\d+)\//.exec(path)?.[1] ?? '';
    const past = new Date(Math.floor((Date.now() - HOUR) / 1000) * 1000);
    const expiredSig = signReportDownload(
      reportId,
      past,
      deriveReportLinkKey(Buffer.from(TEST_KEY_1.slice(3), 'base64')),
    );
    const expired = await t.http.get(
      `/api/reports/${reportId}/download?expires=${past.getTime() / 1000}&signature=${expiredSig}`,
    );
    expect([expired.status, expired.body.code]).toEqual([401, 'UNAUTHENTICATED']);
    expect(expired.body.message).toMatch(/expired/);

    // the next week fires once more
    expect(await scheduler.runDue(new Date(first.fireAt.getTime() + 7 * DAY))).toBe(1);
    await waitFor(async () => smtp.count === 2, 30_000, 'the second weekly mail');
  });
});
