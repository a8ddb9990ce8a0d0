// Part of one customer's day (header in journey.e2e-spec.ts, which plays tests 1 to 5): B's own lead, the day's
// analytics in São Paulo, a rebuild, the CONVERSION and TEAM reports, and B's isolation (8a, 6 to 8), on the
// story of tests 1 to 5 as the setup plays it (test/support/journey-setup.ts).
import { binaryBody } from '../support/binary-body';
import ExcelJS from 'exceljs';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pdfText } from '../support/pdf-text';
import { TestApp } from '../support/test-app';
import { waitFor, waitForJob } from '../support/webhooks';
import {
  AGENT_ID,
  Body,
  EMAIL,
  HOUR,
  JourneyFixture,
  journeyHelpers,
  localDate,
  Page,
  playStoryToStop,
  setupJourney,
  WA_ID,
  ZONE,
} from '../support/journey-setup';

describe('one customer’s day, end to end', () => {
  let fx: JourneyFixture;
  let t: TestApp;
  let storage: string;
  let subA: number;
  let subB: number;
  let admin: string;
  let adminB: string;
  let today: string;
  let yesterday: string;
  let midnight: number;
  let metaId: number;
  let whatsappId: number;
  let leadId = '';
  let leadB = '';
  let conversationId = '';
  let reportId = '';
  const { get, send, range } = journeyHelpers(() => fx);
  const lead = () => get<Body & { sourceTracking: Body; interactions: Body[] }>(`/api/leads/${leadId}`);

  beforeAll(async () => {
    fx = await setupJourney();
    ({ t, storage, subA, subB, admin, adminB, today, yesterday, midnight } = fx);
    // tests 1 to 5 of journey.e2e-spec.ts, which asserts each step
    ({ metaId, whatsappId, leadId, conversationId } = await playStoryToStop(fx));
  });
  afterAll(() => fx?.close());

  it('8a. sub-account B has its own lead with the same e-mail, converted today; it never merges into A', async () => {
    const created = await send('post', '/api/leads', adminB, {
      subAccountId: subB,
      fullName: 'Maria Souza (B)',
      email: EMAIL,
      phone: `+${WA_ID}`,
    });
    expect(created.status).toBe(201);
    leadB = created.body.id as string;
    expect(leadB).not.toBe(leadId);
    const converted = await send('patch', `/api/leads/${leadB}`, adminB, { status: 'CONVERTED' });
    expect(converted.status).toBe(200);
    expect((await get<Page<Body>>(`/api/leads?subAccountId=${subA}`)).total).toBe(1);
  });

  it('6. the day’s analytics in São Paulo agree with the story', async () => {
    const overview = await get<Body & { totals: Body; bySource: Body[]; byStatus: Body }>(
      `/api/analytics/overview?${range(subA)}`,
    );
    expect(overview.timezone).toBe(ZONE);
    expect(overview.totals).toEqual({
      totalLeads: 1,
      newLeads: 1,
      convertedLeads: 1,
      lostLeads: 0,
      conversionRate: 1,
    });
    expect(overview.byStatus).toMatchObject({ NEW: 0, CONTACTED: 0, QUALIFIED: 0, CONVERTED: 1 });
    expect(overview.bySource).toEqual([
      expect.objectContaining({ platform: 'meta', integrationId: metaId, leads: 1, converted: 1, conversionRate: 1 }),
    ]);

    // the same day given as instants (local midnight to the next) answers the same totals
    const instants = await get<{ totals: Body }>(
      `/api/analytics/overview?subAccountId=${subA}&from=${encodeURIComponent(
        new Date(midnight).toISOString(),
      )}&to=${encodeURIComponent(new Date(midnight + 24 * HOUR - 1).toISOString())}`,
    );
    expect(instants.totals).toEqual(overview.totals);

    const compared = await get<{ previous: { totals: Body } }>(
      `/api/analytics/overview?${range(subA)}&compare=previous`,
    );
    expect(compared.previous.totals).toMatchObject({ totalLeads: 0, newLeads: 0, convertedLeads: 0 });

    const funnel = await get<{ stages: Body[] }>(`/api/analytics/funnel?${range(subA)}`);
    expect(funnel.stages.map((s) => [s.stage, s.count, s.percentage, s.dropOff])).toEqual([
      ['NEW', 1, 1, 0],
      ['CONTACTED', 1, 1, 0],
      ['QUALIFIED', 1, 1, 0],
      ['CONVERTED', 1, 1, 0],
    ]);

    const snapshots = await get<Array<{ date: string; metrics: Body }>>(
      `/api/analytics/snapshots?subAccountId=${subA}&from=${yesterday}&to=${today}&period=DAILY`,
    );
    expect(snapshots.map((s) => [s.date, s.metrics.newLeads, s.metrics.convertedLeads, s.metrics.totalLeads])).toEqual([
      [yesterday, 0, 0, 0],
      [today, 1, 1, 1],
    ]);
    expect(snapshots[1].metrics.leadsBySource).toEqual({ meta: 1 });

    const team = await get<Body[]>(`/api/analytics/team?${range(subA)}`);
    expect(team).toEqual([
      expect.objectContaining({
        userId: AGENT_ID,
        leadsAssigned: 1,
        callsMade: 1,
        callsAnswered: 1,
        leadsConverted: 1,
        conversionRate: 1,
      }),
    ]);

    // the lead's local hour, with São Paulo's offset
    const createdAt = Date.parse((await lead()).createdAt as string);
    const hour = `${localDate(createdAt)}T${new Date(createdAt - 3 * HOUR).toISOString().slice(11, 13)}:00-03:00`;
    const hours = await get<{ series: Array<{ points: Body[] }> }>(
      `/api/analytics/timeseries?${range(subA)}&granularity=hour&metric=newLeads`,
    );
    expect(hours.series[0].points).toHaveLength(24);
    expect(hours.series[0].points.filter((p) => p.value !== 0)).toEqual([{ bucket: hour, value: 1 }]);

    // yesterday (local) holds only the unanswered call made just before midnight
    const teamYesterday = await get<Body[]>(
      `/api/analytics/team?subAccountId=${subA}&from=${yesterday}&to=${yesterday}`,
    );
    expect(teamYesterday).toEqual([
      expect.objectContaining({
        userId: AGENT_ID,
        leadsAssigned: 0,
        callsMade: 1,
        callsAnswered: 0,
        leadsConverted: 0,
      }),
    ]);

    const days = `subAccountId=${subA}&from=${yesterday}&to=${today}&granularity=day`;
    // messagesSent: the reply Meta accepted, not the one it refused (WhatsApp analytics' `sent` below)
    for (const metric of ['newLeads', 'convertedLeads', 'messagesSent']) {
      const series = await get<{ timezone: string; series: Body[] }>(
        `/api/analytics/timeseries?${days}&metric=${metric}`,
      );
      expect([metric, series.series]).toEqual([
        metric,
        [
          {
            key: 'total',
            points: [
              { bucket: yesterday, value: 0 },
              { bucket: today, value: 1 },
            ],
          },
        ],
      ]);
    }

    const whatsapp = await get(`/api/whatsapp/analytics?${range(subA)}`);
    expect(whatsapp).toMatchObject({
      sent: 1,
      delivered: 1,
      failed: 1,
      inbound: 2,
      conversations: 1,
      linkedConversations: 1,
      // the contact was a lead before it wrote: linked, not captured from the conversation
      conversationToLeadRate: 0,
      optOuts: 1,
    });
  });

  it('6b. a rebuild of the aggregates from the facts answers the same figures', async () => {
    const paths = [
      `/api/analytics/overview?${range(subA)}&compare=previous`,
      `/api/analytics/funnel?${range(subA)}`,
      `/api/analytics/team?subAccountId=${subA}&from=${yesterday}&to=${today}`,
      `/api/analytics/timeseries?subAccountId=${subA}&from=${yesterday}&to=${today}&metric=convertedLeads&groupBy=source`,
      `/api/analytics/snapshots?subAccountId=${subA}&from=${yesterday}&to=${today}&period=DAILY`,
    ];
    const before = await Promise.all(paths.map(async (p) => JSON.stringify(await get(p))));
    const res = await send('post', '/api/analytics/rebuild', admin, { subAccountId: subA });
    expect(res.status).toBe(202);
    await waitForJob(t.sql, res.body.jobId, 'the rebuild', 20_000);
    expect(await Promise.all(paths.map(async (p) => JSON.stringify(await get(p))))).toEqual(before);
  });

  /** Generates a report of a new template for the story's day; answers its list item and its file. */
  const generated = async (
    name: string,
    type: string,
    format: 'PDF' | 'EXCEL',
    metrics: string[],
  ): Promise<{ report: Body; path: string }> => {
    const created = await send('post', '/api/report-templates', admin, {
      subAccountId: subA,
      name,
      type,
      format,
      config: { metrics, dateRange: { from: today, to: today } },
    });
    expect(created.status).toBe(201);
    const generate = await send('post', `/api/report-templates/${created.body.id}/generate`, admin, {});
    expect(generate.status).toBe(202);
    const id = generate.body.reportId as string;
    const report = await waitFor(
      async () => {
        const list = await get<Page<Body>>(`/api/reports?subAccountId=${subA}`);
        const item = list.items.find((r) => r.id === id);
        return item && (item.status === 'ready' || item.status === 'failed') ? item : undefined;
      },
      30_000,
      `the report ${name}`,
    );
    expect(report).toMatchObject({ status: 'ready', fileType: format });
    const file = await t.http
      .get(`/api/reports/${id}/download`)
      .set('authorization', admin)
      .buffer(true)
      .parse(binaryBody);
    expect(file.status).toBe(200);
    const path = join(storage, `${id}.${format === 'PDF' ? 'pdf' : 'xlsx'}`);
    writeFileSync(path, file.body as Buffer);
    return { report, path };
  };

  it('7. a CONVERSION report of the day is ready and shows the overview’s figures', async () => {
    const overview = await get<{ totals: Body }>(`/api/analytics/overview?${range(subA)}`);
    const { report, path } = await generated('Journey day', 'CONVERSION', 'PDF', ['newLeads', 'convertedLeads']);
    reportId = report.id as string;
    expect(report.rows).toBe(1);
    const flat = (await pdfText(path)).text.replace(/\s+/g, ' ');
    const totals = overview.totals;
    expect(flat).toContain(`Period: ${today} (${ZONE})`);
    expect(flat).toContain(`New leads ${String(totals.newLeads)} Converted leads ${String(totals.convertedLeads)}`);
    expect(flat).toContain(
      `${today} ${String(totals.newLeads)} ${String(totals.convertedLeads)} ${String(totals.lostLeads)} 100.00%`,
    );
    expect(flat).not.toContain('Maria Souza (B)');
  });

  it('7b. a TEAM report in Excel shows the team endpoint’s figures and only A’s lead', async () => {
    const team = await get<Body[]>(`/api/analytics/team?${range(subA)}`);
    const { path } = await generated('Journey team', 'TEAM', 'EXCEL', ['newLeads', 'convertedLeads']);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(path);
    const rowsOf = (sheet: string): unknown[][] => {
      const rows: unknown[][] = [];
      (workbook.getWorksheet(sheet) as ExcelJS.Worksheet).eachRow((r) => rows.push((r.values as unknown[]).slice(1)));
      return rows;
    };
    expect(rowsOf('Team performance').slice(1)).toEqual(
      team.map((m) => [m.userName, m.leadsAssigned, m.callsMade, m.callsAnswered, m.leadsConverted, m.conversionRate]),
    );
    const leads = rowsOf('Leads');
    expect(leads.slice(1).map((r) => [String(r[0]), r[2], r[5], r[6]])).toEqual([
      [leadId, 'Maria Souza', 'CONVERTED', 'meta'],
    ]);
    const summary = rowsOf('Summary');
    expect(summary).toContainEqual(['Time zone', ZONE]);
  });

  it('8. sub-account B’s admin sees none of A’s records, and B’s figures are only B’s', async () => {
    for (const path of [
      `/api/leads/${leadId}`,
      `/api/leads/${leadId}/history`,
      `/api/whatsapp/conversations/${conversationId}`,
      `/api/integrations/${whatsappId}`,
      `/api/reports/${reportId}/download`,
    ])
      expect([path, (await t.http.get(path).set('authorization', adminB)).status]).toEqual([path, 404]);
    expect((await send('patch', `/api/leads/${leadId}`, adminB, { status: 'LOST' })).status).toBe(404);
    expect(
      (await send('post', `/api/whatsapp/conversations/${conversationId}/link`, adminB, { leadId: leadB })).status,
    ).toBe(404);
    for (const path of [
      `/api/leads?subAccountId=${subA}`,
      `/api/whatsapp/conversations?subAccountId=${subA}`,
      `/api/whatsapp/opt-outs?subAccountId=${subA}`,
      `/api/reports?subAccountId=${subA}`,
      `/api/analytics/overview?${range(subA)}`,
      `/api/analytics/team?${range(subA)}`,
      `/api/whatsapp/analytics?${range(subA)}`,
    ])
      expect([path, (await t.http.get(path).set('authorization', adminB)).status]).toEqual([path, 403]);
    const leadsB = await get<Page<Body>>('/api/leads', adminB);
    expect(leadsB.items.map((l) => l.id)).toEqual([leadB]);
    expect((await get<Page<Body>>(`/api/whatsapp/conversations?subAccountId=${subB}`, adminB)).total).toBe(0);
    expect((await get<Page<Body>>(`/api/whatsapp/opt-outs?subAccountId=${subB}`, adminB)).total).toBe(0);
    expect((await get<Page<Body>>(`/api/reports?subAccountId=${subB}`, adminB)).total).toBe(0);
    const overviewB = await get<{ totals: Body; bySource: Body[] }>(`/api/analytics/overview?${range(subB)}`, adminB);
    expect(overviewB.totals).toMatchObject({ newLeads: 1, convertedLeads: 1 });
    expect(overviewB.bySource.map((s) => s.platform)).toEqual(['manual']);
    expect(await get(`/api/analytics/team?${range(subB)}`, adminB)).toEqual([]);
  });
});
