// PDF reports: text extracted with pdf-parse holds the figures, chart labels and names in four scripts.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pdfText } from '../../../../test/support/pdf-text';
import { columnWidths, PdfReportInput, ReportTable, writePdfReport } from './pdf-report.renderer';
import { reportFontFiles } from './report-font';

const AGENTS = ['Łukasz Kowalski', 'Мария Иванова', 'Σοφία Παπαδοπούλου', 'José Álvarez'];

function report(filePath: string, extraRows = 0): PdfReportInput {
  return {
    filePath,
    title: 'Conversion report',
    subtitle: 'Acme Imóveis',
    periodLabel: '2024-03-01 – 2024-03-31',
    timezone: 'America/Sao_Paulo',
    generatedAt: new Date('2024-04-01T11:00:00Z'),
    summary: {
      columns: [
        { header: 'Metric', weight: 2 },
        { header: 'Value', align: 'right' },
      ],
      rows: [
        ['Total leads', '1,234'],
        ['Converted', '123'],
        ['Conversion rate', '9.97 %'],
        ['Spend', '4,567.89 BRL'],
        ['Cost per lead', '3.70 BRL'],
      ],
    },
    charts: [
      {
        type: 'bar',
        title: 'Leads by source',
        categories: ['Facebook', 'Google Ads', 'WhatsApp'],
        series: [{ name: 'Leads', values: [700, 400, 134] }],
      },
      {
        type: 'line',
        title: 'New leads per day',
        categories: ['03-01', '03-02', '03-03'],
        series: [{ name: 'New leads', values: [31, 45, 28] }],
      },
      {
        type: 'pie',
        title: 'Conversions by agent',
        categories: AGENTS,
        series: [{ name: 'Converted', values: [45, 38, 25, 15] }],
      },
    ],
    tables: [
      {
        title: 'Team performance',
        columns: [
          { header: 'Agent', weight: 2 },
          { header: 'Converted', align: 'right' },
        ],
        rows: [
          ...AGENTS.map((name, i) => [name, String([45, 38, 25, 15][i])]),
          ...Array.from({ length: extraRows }, (_, i) => [`Agent ${i + 1}`, String(i)]),
        ],
      },
    ],
  };
}

describe('writePdfReport', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pdf-report-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a PDF whose text holds the title, period, figures, chart labels and names in four scripts', async () => {
    const filePath = join(dir, 'report.pdf');
    const result = await writePdfReport(report(filePath));
    const bytes = await readFile(filePath);
    expect(result.bytes).toBe(bytes.length);
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');

    const { text, pages } = await pdfText(filePath);
    expect(pages).toBe(result.pages);
    for (const expected of [
      'Conversion report',
      'Acme Imóveis',
      'Period: 2024-03-01 – 2024-03-31 (America/Sao_Paulo)',
      'Total leads',
      '1,234',
      '9.97 %',
      '4,567.89 BRL',
      '3.70 BRL',
      'Leads by source', // chart titles and axis labels are SVG text placed by svg-to-pdfkit
      'Google Ads',
      'New leads per day',
      '03-02',
      'Conversions by agent',
      'Team performance',
      'Generated 2024-04-01 08:00 -03:00',
      `Page 1 of ${pages}`,
      ...AGENTS,
    ])
      expect(text).toContain(expected);
    // The Unicode font is embedded (subset), not referenced.
    expect(bytes.includes('DejaVuSans')).toBe(true);
    expect(bytes.includes('/FontFile2')).toBe(true);
    expect(await readdir(dir)).toEqual(['report.pdf']);
  });

  it('breaks long tables across pages and numbers every page', async () => {
    const filePath = join(dir, 'long.pdf');
    const result = await writePdfReport(report(filePath, 120));
    expect(result.pages).toBeGreaterThanOrEqual(4);
    const { text, pages } = await pdfText(filePath);
    expect(pages).toBe(result.pages);
    expect(text).toContain('Agent 120');
    expect(text).toContain(`Page ${pages} of ${pages}`);
  });

  it('never breaks a figure or a header word across lines in a table of long names', async () => {
    // what a recipient saw: "24212.55 / BRL" on two lines and a header "Conversio / n rate"
    const byCampaign: ReportTable = {
      title: 'By source and campaign',
      columns: [
        { header: 'Source', weight: 2 },
        { header: 'Campaign', weight: 2 },
        { header: 'New leads', align: 'right' },
        { header: 'Converted', align: 'right' },
        { header: 'Lost', align: 'right' },
        { header: 'Conversion rate', align: 'right' },
        { header: 'Spend', align: 'right' },
      ],
      rows: [
        [
          'meta',
          'Black Friday 2024 – Brasil – Lookalike 3% – Formulário v2 (criativos em português)',
          '12',
          '2',
          '2',
          '16.67%',
          '24212.55 BRL',
        ],
        ['google', 'Search – Brand – São Paulo', '12', '3', '3', '25.00%', '19889.60 BRL'],
      ],
    };
    const filePath = join(dir, 'wide.pdf');
    await writePdfReport({ ...report(filePath), charts: [], tables: [byCampaign] });
    const lines = (await pdfText(filePath)).text.split('\n');
    expect(lines.some((l) => l.includes('Conversion rate'))).toBe(true);
    expect(lines.some((l) => l.includes('24212.55 BRL'))).toBe(true);
    expect(lines.some((l) => l.includes('19889.60 BRL'))).toBe(true);

    const widths = columnWidths(byCampaign, 515, (text) => text.length * 5);
    expect(widths.reduce((a, b) => a + b, 0)).toBeCloseTo(515);
    expect(widths[6]).toBeGreaterThanOrEqual('24212.55 BRL'.length * 5);
    expect(widths[5]).toBeGreaterThanOrEqual('Conversion'.length * 5);
    // the name columns keep more room than the figure columns
    expect(widths[1]).toBeGreaterThan(widths[2]);
  });

  it('prints the notice of an empty period under its summary', async () => {
    const filePath = join(dir, 'empty.pdf');
    const notice = 'No leads were created, converted or lost in this period.';
    await writePdfReport({ ...report(filePath), charts: [], tables: [], notice });
    expect((await pdfText(filePath)).text.replace(/\s+/g, ' ')).toContain(notice);
  });

  // what a recipient saw: a campaign named 春季促销 as a row of empty boxes in the table and the legend
  (reportFontFiles().cjk ? it : it.skip)(
    'sets Chinese and Japanese names in the CJK fallback font, Latin dashes in DejaVu',
    async () => {
      const filePath = join(dir, 'cjk.pdf');
      const names = ['春季促销 – 上海 (Q1)', '田中 花子', 'Tokyo 東京 office'];
      await writePdfReport({
        ...report(filePath),
        charts: [
          { type: 'pie', title: 'By campaign', categories: names, series: [{ name: 'Leads', values: [3, 2, 1] }] },
        ],
        tables: [
          { columns: [{ header: 'Campaign' }, { header: 'Leads', align: 'right' }], rows: names.map((n) => [n, '1']) },
        ],
      });
      const bytes = await readFile(filePath);
      expect(bytes.includes('DroidSansFallback')).toBe(true);
      const text = (await pdfText(filePath)).text;
      for (const name of names) expect(text).toContain(name);
    },
  );

  it('leaves no file behind when the content is invalid', async () => {
    const filePath = join(dir, 'broken.pdf');
    const input = report(filePath);
    const broken = { ...input, summary: { ...input.summary, rows: [['only one cell']] } };
    await expect(writePdfReport(broken)).rejects.toThrow(RangeError);
    expect((await readdir(dir)).filter((f) => f.startsWith('broken'))).toEqual([]);
  });
});
