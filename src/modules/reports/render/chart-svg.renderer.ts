// Report charts as SVG strings, drawn by Apache ECharts' server-side renderer (`renderer: 'svg',
// ssr: true`, then `renderToSVGString()`): no browser, no canvas, no native module. The PDF renderer
// places the SVG with svg-to-pdfkit, mapping the font family named here to the embedded Unicode font.
//
// Usage: renderChartSvg({ type: 'bar', title, categories, series: [{ name, values }] }, { width, height })

import * as echarts from 'echarts';
import PDFDocument from 'pdfkit';
import { needsCjkFont, REPORT_FONT_CJK, reportFontFiles, reportFontRuns } from './report-font';

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
const LABEL_SIZE = 10;
// Longest axis label and legend entry, in characters: the tables beside the chart carry the full names.
const MAX_AXIS_LABEL = 22;
const MAX_LEGEND_LABEL = 28;
const LEGEND_ICON = 25; // ECharts' default item width (itemWidth) plus the gap before the text
const LEGEND_GAP = 10;
const LEGEND_ROW = 20;
const ROTATE = 35;

let measurer: InstanceType<typeof PDFDocument> | undefined;

/**
 * Text widths in the embedded font the PDF draws with. Without a canvas ECharts guesses widths from a
 * table of Helvetica-like glyphs, narrower than DejaVu Sans: it then hid most category labels as
 * "overlapping", cut the first rotated one at the edge and wrapped legends over the axis labels.
 */
export function measureChartText(text: string, font = `${LABEL_SIZE}px sans-serif`): number {
  if (!measurer) {
    const files = reportFontFiles();
    measurer = new PDFDocument({ autoFirstPage: false });
    measurer.registerFont('regular', files.regular);
    measurer.registerFont('bold', files.bold);
    if (files.cjk) measurer.registerFont('cjk', files.cjk);
  }
  const size = Number(/(\d+(?:\.\d+)?)px/.exec(font)?.[1] ?? LABEL_SIZE);
  const bold = /\bbold\b|\b[6-9]00\b/.test(font);
  const doc = measurer;
  return reportFontRuns(text, bold).reduce(
    (sum, run) =>
      sum +
      doc
        .font(run.font === REPORT_FONT_CJK ? 'cjk' : bold ? 'bold' : 'regular')
        .fontSize(size)
        .widthOfString(run.text),
    0,
  );
}

echarts.setPlatformAPI({ measureText: (text, font) => ({ width: measureChartText(text, font) }) });

/** `text` cut to `max` characters (whole code points) with an ellipsis. */
export function shorten(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max
    ? text
    : `${chars
        .slice(0, max - 1)
        .join('')
        .trimEnd()}…`;
}

/** How many rows a plain horizontal legend of these names takes across `width`. */
function legendRows(names: readonly string[], width: number): number {
  let rows = 1;
  let x = 0;
  for (const name of names) {
    const item = LEGEND_ICON + measureChartText(shorten(name, MAX_LEGEND_LABEL)) + LEGEND_GAP;
    if (x > 0 && x + item > width) {
      rows++;
      x = 0;
    }
    x += item;
  }
  return rows;
}

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
    chart.setOption(options(spec, size, fontFamily));
    return withCjkFont(chart.renderToSVGString());
  } finally {
    chart.dispose();
  }
}

/** Sets the CJK characters of each text element in the fallback font (a tspan per run). */
function withCjkFont(svg: string): string {
  if (!reportFontFiles().cjk) return svg;
  return svg.replace(/<text([^>]*)>([^<]*)<\/text>/g, (element, attributes: string, text: string) => {
    if (!needsCjkFont(text)) return element;
    const runs = reportFontRuns(text, false).map((run) =>
      run.font === REPORT_FONT_CJK ? `<tspan style="font-family:${REPORT_FONT_CJK};">${run.text}</tspan>` : run.text,
    );
    return `<text${attributes}>${runs.join('')}</text>`;
  });
}

function options(spec: ChartSpec, size: ChartSize, fontFamily: string): echarts.EChartsCoreOption {
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
      legend: {
        type: 'plain',
        orient: 'vertical',
        left: 8,
        top: 'middle',
        formatter: (name: string) => shorten(name, MAX_LEGEND_LABEL),
        textStyle: { fontFamily, fontSize: LABEL_SIZE },
      },
      series: [
        {
          type: 'pie',
          name: series.name,
          // right of the legend, with room for the slice labels between them
          radius: ['0%', '58%'],
          center: ['68%', '55%'],
          // No white text halo: svg-to-pdfkit ignores paint-order and would paint it over the text.
          label: {
            formatter: (p: { percent?: number }) => `${(p.percent ?? 0).toFixed(1)}%`,
            fontFamily,
            fontSize: 10,
            textBorderColor: 'transparent',
          },
          data: spec.categories.map((name, i) => ({ name, value: series.values[i] })),
        },
      ],
    };
  }
  const many = spec.series.length > 1;
  const labels = spec.categories.map((c) => shorten(c, MAX_AXIS_LABEL));
  // every category named when they can be; rotated when they do not fit side by side
  const slot = (size.width - 60) / labels.length;
  const rotate = Math.max(...labels.map((l) => measureChartText(l))) + 6 > slot ? ROTATE : 0;
  // rotated labels sit one line-height apart across the axis: skip some when the slots are narrower
  const interval = rotate ? Math.ceil((LABEL_SIZE * 1.5) / Math.sin((ROTATE * Math.PI) / 180) / slot) - 1 : 0;
  // a rotated label hangs left of its tick; ECharts' containLabel does not count that for the first one
  const hang = rotate ? Math.cos((ROTATE * Math.PI) / 180) * measureChartText(labels[0]) - slot / 2 : 0;
  const rows = many
    ? legendRows(
        spec.series.map((s) => s.name),
        size.width - 20,
      )
    : 0;
  return {
    ...base,
    legend: many
      ? {
          bottom: 4,
          itemGap: LEGEND_GAP,
          formatter: (name: string) => shorten(name, MAX_LEGEND_LABEL),
          textStyle: { fontFamily, fontSize: LABEL_SIZE },
        }
      : undefined,
    // room below the axis labels for every legend row, and on the left for a rotated first label
    grid: {
      left: Math.max(12, Math.ceil(hang)),
      right: 16,
      top: 40,
      bottom: 12 + rows * LEGEND_ROW,
      containLabel: true,
    },
    xAxis: {
      type: 'category',
      data: [...spec.categories],
      axisLabel: {
        fontFamily,
        fontSize: LABEL_SIZE,
        interval,
        rotate,
        formatter: (value: string) => shorten(value, MAX_AXIS_LABEL),
      },
    },
    // the series are counts of leads: no 0.5-lead gridlines on small numbers
    yAxis: { type: 'value', minInterval: 1, axisLabel: { fontFamily, fontSize: LABEL_SIZE } },
    series: spec.series.map((s) => ({
      type: spec.type,
      name: s.name,
      data: [...s.values],
      ...(spec.type === 'line' ? { symbolSize: 5, lineStyle: { width: 2 } } : { barMaxWidth: 36 }),
    })),
  };
}
