// A TEAM report shows GET /api/analytics/team's per-agent figures for its period (PDF and Excel), with
// leads assigned and converted and calls logged through the API; and every Excel report carries a
// Summary sheet and the PDF's tables after its unchanged lead list.
import ExcelJS from 'exceljs';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSubAccount } from '../support/factories';
import { pdfText } from '../support/pdf-text';
import { createTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/webhooks';
import { binaryBody } from '../support/binary-body';

interface TeamMember {
  userId: string;
  userName: string | null;
  leadsAssigned: number;
  callsMade: number;
  callsAnswered: number;
  leadsConverted: number;
  conversionRate: number;
}

interface ReportBody {
  id: string;
  status: string;
  fileType: string;
}

const day = (offset: number): string => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

describe('TEAM reports', () => {
  let t: TestApp;
  let storage: string;
  let sub: number;
  let quiet: number;
  let admin: string;
  // the sub-account is in UTC: the three local days around now hold every assignment, call and conversion
  const from = day(-1);
  const to = day(1);

  beforeAll(async () => {
    storage = mkdtempSync(join(tmpdir(), 'hub-reports-team-'));
    t = await createTestApp({ env: { REPORT_STORAGE_DIR: storage } });
    sub = await createSubAccount(t, 'PRO', 'Team A');
    quiet = await createSubAccount(t, 'PRO', 'Team quiet');
    admin = `Bearer ${t.token('ADMIN', [sub, quiet])}`;
    const agent = `Bearer ${t.token('AGENT', [sub], 'agent-1')}`;
    const leads: string[] = [];
    for (const name of ['Łukasz Kowalski', 'Мария Иванова', 'Σοφία Παπαδοπούλου', 'José Álvarez', 'Walk In']) {
      const res = await t.http
        .post('/api/leads')
        .set('authorization', agent)
        .send({
          subAccountId: sub,
          fullName: name,
          email: `${leads.length}@team.example`,
          source: { platform: 'manual' },
        });
      expect(res.status).toBe(201);
      leads.push(res.body.id as string);
    }
    const patch = async (id: string, body: Record<string, unknown>): Promise<void> => {
      const res = await t.http.patch(`/api/leads/${id}`).set('authorization', agent).send(body);
      expect(res.status).toBe(200);
    };
    // Ana: two leads, one converted; Bruno: two leads, both converted; Carla only calls an unassigned lead
    await patch(leads[0], { assignedUserId: 'ana', assignedUserName: 'Ana Souza' });
    await patch(leads[1], { assignedUserId: 'ana', assignedUserName: 'Ana Souza' });
    await patch(leads[2], { assignedUserId: 'bruno', assignedUserName: 'Bruno Lima' });
    await patch(leads[3], { assignedUserId: 'bruno', assignedUserName: 'Bruno Lima' });
    for (const id of [leads[0], leads[2], leads[3]]) await patch(id, { status: 'CONVERTED' });
    const calls: Array<[string, string, string, string]> = [
      [leads[0], 'ana', 'Ana Souza', 'ANSWERED'],
      [leads[1], 'ana', 'Ana Souza', 'NO_ANSWER'],
      [leads[1], 'ana', 'Ana Souza', 'BUSY'],
      [leads[2], 'bruno', 'Bruno Lima', 'ANSWERED'],
      [leads[4], 'carla', 'Carla Dias', 'NO_ANSWER'],
    ];
    for (const [id, userId, userName, outcome] of calls) {
      const res = await t.http
        .post(`/api/leads/${id}/activities`)
        .set('authorization', agent)
        .send({ type: 'CALL', outcome, userId, userName, durationSeconds: 30 });
      expect(res.status).toBe(201);
    }
  });
  afterAll(async () => {
    await t.close();
    await rm(storage, { recursive: true, force: true });
  });

  async function generate(subAccountId: number, format: 'PDF' | 'EXCEL'): Promise<Buffer> {
    const created = await t.http
      .post('/api/report-templates')
      .set('authorization', admin)
      .send({
        subAccountId,
        name: 'Team weekly',
        type: 'TEAM',
        config: {
          metrics: ['newLeads', 'convertedLeads'],
          groupBy: [],
          dateRange: { from, to },
          chartTypes: ['bar', 'pie', 'table'],
        },
        format,
      });
    expect(created.status).toBe(201);
    const templateId = created.body.id as number;
    const res = await t.http.post(`/api/report-templates/${templateId}/generate`).set('authorization', admin).send({});
    expect(res.status).toBe(202);
    const report = await waitFor(
      async () => {
        const list = await t.http.get(`/api/reports?templateId=${templateId}`).set('authorization', admin);
        const r = (list.body.items as ReportBody[]).find((x) => x.id === res.body.reportId);
        return r && (r.status === 'ready' || r.status === 'failed') ? r : undefined;
      },
      30_000,
      'the report',
    );
    expect(report.status).toBe('ready');
    const file = await t.http
      .get(`/api/reports/${report.id}/download`)
      .set('authorization', admin)
      .buffer(true)
      .parse(binaryBody);
    expect(file.status).toBe(200);
    return file.body as Buffer;
  }

  async function team(subAccountId: number): Promise<TeamMember[]> {
    const res = await t.http
      .get(`/api/analytics/team?subAccountId=${subAccountId}&from=${from}&to=${to}`)
      .set('authorization', admin);
    expect(res.status).toBe(200);
    return res.body as TeamMember[];
  }

  it('shows the team endpoint’s figures per agent, most conversions first, in the PDF and the Excel file', async () => {
    const api = await team(sub);
    // the dashboard's figures this report must agree with (ordered by user id there)
    expect(api.map((m) => [m.userId, m.leadsAssigned, m.callsMade, m.callsAnswered, m.leadsConverted])).toEqual([
      ['ana', 2, 3, 1, 1],
      ['bruno', 2, 1, 1, 2],
      ['carla', 0, 1, 0, 0],
    ]);
    const byConversions = ['bruno', 'ana', 'carla'].map((id) => api.find((m) => m.userId === id) as TeamMember);

    const pdfPath = join(storage, 'team.pdf');
    writeFileSync(pdfPath, await generate(sub, 'PDF'));
    const flat = (await pdfText(pdfPath)).text.replace(/\s+/g, ' ');
    expect(flat).toContain('Team performance');
    // the per-agent table right under the summary, then the template's bar and pie drawn per agent
    expect(flat.indexOf('Team performance')).toBeLessThan(flat.indexOf('Leads assigned and converted by agent'));
    expect(flat).toContain('Leads converted by agent');
    expect(flat).not.toContain('Leads that entered each status');
    expect(flat).toContain('Agent Leads assigned Calls made Calls answered Leads converted Conversion rate');
    const lines = byConversions.map(
      (m) =>
        `${m.userName} ${m.leadsAssigned} ${m.callsMade} ${m.callsAnswered} ${m.leadsConverted} ${(m.conversionRate * 100).toFixed(2)}%`,
    );
    expect(lines).toEqual(['Bruno Lima 2 1 1 2 100.00%', 'Ana Souza 2 3 1 1 50.00%', 'Carla Dias 0 1 0 0 0.00%']);
    expect(flat).toContain(lines.join(' '));

    const xlsxPath = join(storage, 'team.xlsx');
    writeFileSync(xlsxPath, await generate(sub, 'EXCEL'));
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(xlsxPath);
    expect(workbook.worksheets.map((s) => s.name)).toEqual(['Leads', 'Summary', 'Team performance', 'Status changes']);
    const sheet = workbook.getWorksheet('Team performance') as ExcelJS.Worksheet;
    const rows: unknown[][] = [];
    sheet.eachRow((r) => rows.push((r.values as unknown[]).slice(1)));
    expect(rows).toEqual([
      ['Agent', 'Leads assigned', 'Calls made', 'Calls answered', 'Leads converted', 'Conversion rate'],
      ...byConversions.map((m) => [
        m.userName,
        m.leadsAssigned,
        m.callsMade,
        m.callsAnswered,
        m.leadsConverted,
        m.conversionRate,
      ]),
    ]);
    expect(sheet.getCell('F2').numFmt).toBe('0.00%');
    expect(sheet.getCell('B2').numFmt).toBe('#,##0');
    const summary = workbook.getWorksheet('Summary') as ExcelJS.Worksheet;
    expect([summary.getCell('A1').value, summary.getCell('B1').value]).toEqual(['Report', 'Team weekly']);
    expect([summary.getCell('A4').value, summary.getCell('B4').value]).toEqual(['Time zone', 'UTC']);
  }, 90_000);

  it('says so when no agent did anything in the period', async () => {
    expect(await team(quiet)).toEqual([]);
    const pdfPath = join(storage, 'quiet.pdf');
    writeFileSync(pdfPath, await generate(quiet, 'PDF'));
    const flat = (await pdfText(pdfPath)).text.replace(/\s+/g, ' ');
    expect(flat).toContain('No agent activity in this period');
    expect(flat).not.toContain('Team performance');
  }, 60_000);
});
