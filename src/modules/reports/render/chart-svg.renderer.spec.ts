// ECharts server-side SVG for bar, line and pie charts, and the shapes refused.
import { assertChartSpec, ChartSpec, measureChartText, renderChartSvg, shorten } from './chart-svg.renderer';

const size = { width: 500, height: 260 };
const bar: ChartSpec = {
  type: 'bar',
  title: 'Leads by source',
  categories: ['Facebook', 'Google Ads', 'WhatsApp'],
  series: [
    { name: 'Leads', values: [540, 320, 210] },
    { name: 'Converted', values: [60, 40, 12] },
  ],
};

describe('renderChartSvg', () => {
  it.each<ChartSpec>([
    bar,
    {
      type: 'line',
      title: 'New leads per day',
      categories: ['03-01', '03-02', '03-03'],
      series: [{ name: 'New', values: [3, 0, 7] }],
    },
    {
      type: 'pie',
      title: 'By agent',
      categories: ['Łukasz', 'Мария', 'Σοφία'],
      series: [{ name: 'Converted', values: [5, 3, 2] }],
    },
  ])('draws a $type chart as SVG with its title, labels and the font family asked for', (spec) => {
    const svg = renderChartSvg(spec, size, 'ReportSans');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain(`width="${size.width}"`);
    expect(svg).toContain(spec.title);
    for (const category of spec.categories) expect(svg).toContain(category);
    expect(svg).toContain('font-family:ReportSans');
    // svg-to-pdfkit ignores paint-order: a text halo would be painted over the text.
    expect(svg).not.toContain('paint-order');
  });

  it('draws one bar per value of each series', () => {
    const svg = renderChartSvg(bar, size);
    const bars = svg.match(/<path d="M[^"]*Z" [^>]*fill="#(0072B2|E69F00)"/gi) ?? [];
    expect(bars.length).toBeGreaterThanOrEqual(6); // 3 categories × 2 series (legend icons may add more)
  });

  // what a recipient saw on the ROI and CUSTOM PDFs: one campaign named under seven bars (the rest
  // hidden as "overlapping"), the first label cut at the edge, and a wrapped legend over the axis labels
  const CAMPAIGNS = [
    'Search – Brand – São Paulo',
    'B2B Decision makers Q1',
    'Black Friday 2024 – Brasil – Lookalike 3% – Formulário v2 (criativos em português)',
    'Кампания: Весна — Москва',
    'Click-to-WhatsApp Ελλάδα',
    'Walk-ins',
    'Retargeting – Visitantes do site – 30 dias',
  ];
  const texts = (svg: string): { text: string; x: number; y: number; rotated: boolean }[] =>
    [
      ...svg.matchAll(
        /<text[^>]*?transform="(?:translate\(([\d.-]+) ([\d.-]+)\)|matrix\(([^)]*)\))"[^>]*>([^<]*)<\/text>/g,
      ),
    ].map((m) => {
      const matrix = m[3]?.split(/[ ,]+/).map(Number);
      return matrix
        ? { text: m[4], x: matrix[4], y: matrix[5], rotated: true }
        : { text: m[4], x: Number(m[1]), y: Number(m[2]), rotated: false };
    });

  it('names every bar of a chart of long campaign names, shortened, and keeps full names out of the axis', () => {
    const svg = renderChartSvg(
      {
        type: 'bar',
        title: 'New leads by campaign',
        categories: CAMPAIGNS,
        series: [{ name: 'New leads', values: [12, 13, 13, 12, 13, 13, 13] }],
      },
      { width: 515, height: 250 },
    );
    const shown = texts(svg).map((t) => t.text.replace(/&amp;/g, '&'));
    for (const campaign of CAMPAIGNS) expect(shown).toContain(shorten(campaign, 22));
    expect(shorten(CAMPAIGNS[2], 22)).toHaveLength(22);
    // rotated labels end at their tick: none may start left of the chart's edge
    const rotated = texts(svg).filter((t) => t.rotated);
    expect(rotated).toHaveLength(CAMPAIGNS.length);
    for (const label of rotated)
      expect(label.x - Math.cos((35 * Math.PI) / 180) * measureChartText(label.text)).toBeGreaterThanOrEqual(0);
  });

  it('spaces the rotated labels of a month of days so they do not print over each other', () => {
    const days = Array.from({ length: 31 }, (_, i) => `2024-03-${String(i + 1).padStart(2, '0')}`);
    const svg = renderChartSvg(
      {
        type: 'line',
        title: 'New leads by day',
        categories: days,
        series: [{ name: 'New leads', values: days.map((_, i) => i % 4) }],
      },
      { width: 515, height: 250 },
    );
    const shown = texts(svg).filter((t) => t.rotated);
    expect(shown.length).toBeGreaterThanOrEqual(8);
    expect(shown[0].text).toBe('2024-03-01');
    for (let i = 1; i < shown.length; i++)
      // parallel slanted lines: their distance across the slant is the step times sin(35°)
      expect((shown[i].x - shown[i - 1].x) * Math.sin((35 * Math.PI) / 180)).toBeGreaterThanOrEqual(12);
  });

  it('steps the value axis of small counts by whole leads', () => {
    // what a recipient saw: gridlines at 0.5, 1.5 and 2.5 leads
    const svg = renderChartSvg(
      {
        type: 'bar',
        title: 'New leads by source',
        categories: ['meta', 'google'],
        series: [{ name: 'New leads', values: [3, 1] }],
      },
      { width: 515, height: 250 },
    );
    const ticks = texts(svg)
      .filter((t) => /^[\d.,]+$/.test(t.text))
      .map((t) => t.text);
    expect(ticks).toContain('3');
    expect(ticks.filter((t) => t.includes('.'))).toEqual([]);
  });

  it('puts a legend of many series below the axis labels, not over them', () => {
    const series = CAMPAIGNS.map((name, i) => ({ name, values: [i, 2 * i, 3, 4, 5, 6] }));
    const categories = ['google', 'linkedin', 'manual', 'meta', 'unknown', 'whatsapp'];
    const svg = renderChartSvg(
      { type: 'line', title: 'By source and campaign', categories, series },
      { width: 515, height: 250 },
    );
    const all = texts(svg);
    const axisBottom = Math.max(...all.filter((t) => categories.includes(t.text)).map((t) => t.y));
    const legendTop = Math.min(...all.filter((t) => CAMPAIGNS.some((c) => shorten(c, 28) === t.text)).map((t) => t.y));
    expect(all.filter((t) => categories.includes(t.text))).toHaveLength(categories.length);
    expect(legendTop).toBeGreaterThan(axisBottom + 8);
  });

  it('refuses charts that cannot be drawn honestly', () => {
    const bad: ChartSpec[] = [
      { ...bar, categories: [] },
      { ...bar, series: [{ name: 'Leads', values: [1, 2] }] },
      { ...bar, series: [{ name: 'Leads', values: [1, Number.NaN, 3] }] },
      { type: 'pie', title: 'p', categories: ['a', 'b'], series: [{ name: 'x', values: [1, -1] }] },
      {
        type: 'pie',
        title: 'p',
        categories: ['a'],
        series: [
          { name: 'x', values: [1] },
          { name: 'y', values: [1] },
        ],
      },
      { ...bar, type: 'radar' as never },
    ];
    for (const spec of bad) expect(() => assertChartSpec(spec)).toThrow(RangeError);
  });
});
