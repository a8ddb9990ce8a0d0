// Report charts as SVG strings, drawn by Apache ECharts' server-side renderer (`renderer: 'svg',
// ssr: true`, then `renderToSVGString()`): no browser, no canvas, no native module. The PDF renderer
// places the SVG with svg-to-pdfkit, mapping the font family named here to the embedded Unicode font.
//
// Usage: renderChartSvg({ type: 'bar', title, categories, series: [{ name, values }] }, { width, height })

import * as echarts from 'echarts';

export const CHART_TYPES = ['bar', 'line', 'pie'] as const;
export type ChartType = (typeof CHART_TYPES)[number];

export interface ChartSeries {
  readonly name: string;
  readonly values: readonly number[];
}

export interface ChartSpec {
  readonly type: ChartType;
  readonly title: string;
  /** x-axis labels (bar, line) or slice names (pie). */
  readonly categories: readonly string[];
  /** One or more series for bar and line; exactly one for pie. */
  readonly series: readonly ChartSeries[];
}

export interface ChartSize {
  readonly width: number;
  readonly height: number;
}

const MAX_CATEGORIES = 100;
const MAX_SERIES = 12;
// A palette that stays distinguishable in print and for the common colour-vision deficiencies (Okabe–Ito).
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000'];

/** Checks a chart's shape; throws RangeError naming the problem. */
export function assertChartSpec(spec: ChartSpec): void {
  if (!(CHART_TYPES as readonly string[]).includes(spec.type)) throw new RangeError(`Unknown chart type ${spec.type}`);
  if (spec.categories.length === 0 || spec.categories.length > MAX_CATEGORIES)
    throw new RangeError(`A chart needs 1 to ${MAX_CATEGORIES} categories`);
  if (spec.series.length === 0 || spec.series.length > MAX_SERIES)
    throw new RangeError(`A chart needs 1 to ${MAX_SERIES} series`);
  if (spec.type === 'pie' && spec.series.length !== 1) throw new RangeError('A pie chart has exactly one series');
  for (const s of spec.series) {
    if (s.values.length !== spec.categories.length)
      throw new RangeError(`Series "${s.name}" has ${s.values.length} values for ${spec.categories.length} categories`);
    if (!s.values.every(Number.isFinite)) throw new RangeError(`Series "${s.name}" has a value that is not a number`);
    if (spec.type === 'pie' && s.values.some((v) => v < 0))
      throw new RangeError('A pie chart cannot show negative values');
  }
}

/** The chart as a standalone SVG document. */
export function renderChartSvg(spec: ChartSpec, size: ChartSize, fontFamily = 'ReportSans'): string {
  assertChartSpec(spec);
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: size.width, height: size.height });
  try {
    chart.setOption(options(spec, fontFamily));
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

function options(spec: ChartSpec, fontFamily: string): echarts.EChartsCoreOption {
  const base = {
    animation: false,
    color: PALETTE,
    backgroundColor: '#ffffff',
    textStyle: { fontFamily },
    title: { text: spec.title, left: 'center', top: 6, textStyle: { fontFamily, fontSize: 14, fontWeight: 'bold' } },
  };
  if (spec.type === 'pie') {
    const [series] = spec.series;
    return {
      ...base,
      legend: { type: 'plain', orient: 'vertical', left: 8, top: 'middle', textStyle: { fontFamily, fontSize: 10 } },
      series: [
        {
          type: 'pie',
          name: series.name,
          radius: ['0%', '62%'],
          center: ['64%', '55%'],
          // No white text halo: svg-to-pdfkit ignores paint-order and would paint it over the text.
          label: { formatter: '{d}%', fontFamily, fontSize: 10, textBorderColor: 'transparent' },
          data: spec.categories.map((name, i) => ({ name, value: series.values[i] })),
        },
      ],
    };
  }
  const many = spec.series.length > 1;
  return {
    ...base,
    legend: many ? { bottom: 4, textStyle: { fontFamily, fontSize: 10 } } : undefined,
    grid: { left: 12, right: 16, top: 40, bottom: many ? 36 : 12, containLabel: true },
    xAxis: {
      type: 'category',
      data: [...spec.categories],
      axisLabel: { fontFamily, fontSize: 10, hideOverlap: true, rotate: spec.categories.length > 8 ? 35 : 0 },
    },
    yAxis: { type: 'value', axisLabel: { fontFamily, fontSize: 10 } },
    series: spec.series.map((s) => ({
      type: spec.type,
      name: s.name,
      data: [...s.values],
      ...(spec.type === 'line' ? { symbolSize: 5, lineStyle: { width: 2 } } : { barMaxWidth: 36 }),
    })),
  };
}
