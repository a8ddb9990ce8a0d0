// The font every PDF report is set in: DejaVu Sans, TrueType files shipped by the `dejavu-fonts-ttf`
// npm package (Bitstream Vera licence + public-domain DejaVu changes: free to embed). It covers
// Latin (Łukasz, José), Cyrillic (Мария) and Greek (Σοφία); pdfkit embeds the subset it uses, so
// the file renders the same on any reader. Resolved from node_modules, so no system font is needed.
//
// DejaVu has no Chinese, Japanese or Korean glyphs: a campaign named 春季促销 printed as empty boxes.
// Text in those scripts is set in Droid Sans Fallback (Apache-2.0, Google; Debian's
// `fonts-droid-fallback`), read from the system when installed: the runtime image needs that
// package, and without it the text falls back to DejaVu as before (boxes, never a failed report).

import { readFileSync } from 'node:fs';

export const REPORT_FONT = 'ReportSans';
export const REPORT_FONT_BOLD = 'ReportSans-Bold';
/** Chinese, Japanese and Korean text (one weight: the fallback font has no bold). */
export const REPORT_FONT_CJK = 'ReportSansCJK';

export const CJK_FONT_PATHS = [
  '/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf',
  '/usr/share/fonts-droid-fallback/truetype/DroidSansFallback.ttf',
];

// Han, kana, CJK punctuation and full-width forms (and the supplementary ideograph planes): what
// Droid Sans Fallback draws. It has no Hangul (Korean still shows boxes) nor the dashes and quotes
// of Latin text, which stay in DejaVu: a string is set in runs of one font or the other.
const CJK_CHAR =
  /[\u2E80-\u2FDF\u3000-\u303F\u3040-\u30FF\u3100-\u312F\u31F0-\u31FF\u3200-\u32FF\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFFEF\u{20000}-\u{3FFFF}]/u;
const CJK = new RegExp(CJK_CHAR.source, 'u');

export interface ReportFontFiles {
  readonly regular: Buffer;
  readonly bold: Buffer;
  /** The CJK fallback, or null when it is not installed. */
  readonly cjk: Buffer | null;
}

let cached: ReportFontFiles | undefined;

/** The regular, bold and CJK fallback TTF bytes, read once per process. */
export function reportFontFiles(): ReportFontFiles {
  cached ??= {
    regular: readFileSync(require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf')),
    bold: readFileSync(require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf')),
    cjk: firstReadable(CJK_FONT_PATHS),
  };
  return cached;
}

/** Whether `text` holds a character DejaVu Sans cannot draw but the CJK fallback can. */
export function needsCjkFont(text: string): boolean {
  return CJK.test(text);
}

export interface FontRun {
  readonly text: string;
  readonly font: string;
}

/**
 * `text` cut into runs, each with the registered font that draws it: CJK characters in the fallback
 * (when installed), everything else in DejaVu. A space joins the run before it.
 */
export function reportFontRuns(text: string, bold: boolean): FontRun[] {
  const main = bold ? REPORT_FONT_BOLD : REPORT_FONT;
  if (!needsCjkFont(text) || !reportFontFiles().cjk) return [{ text, font: main }];
  const runs: { text: string; font: string }[] = [];
  for (const char of text) {
    const font = CJK_CHAR.test(char)
      ? REPORT_FONT_CJK
      : char === ' ' && runs.length > 0
        ? runs[runs.length - 1].font
        : main;
    const last = runs[runs.length - 1];
    if (last?.font === font) last.text += char;
    else runs.push({ text: char, font });
  }
  return runs;
}

function firstReadable(paths: readonly string[]): Buffer | null {
  for (const path of paths) {
    try {
      return readFileSync(path);
    } catch {
      // not installed here: try the next one
    }
  }
  return null;
}
