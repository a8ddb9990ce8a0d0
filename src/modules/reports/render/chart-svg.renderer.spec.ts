// ECharts server-side SVG for bar, line and pie charts, and the shapes refused.
import { assertChartSpec, ChartSpec, renderChartSvg } from './chart-svg.renderer';

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
