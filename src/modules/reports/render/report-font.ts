// The font every PDF report is set in: DejaVu Sans, TrueType files shipped by the `dejavu-fonts-ttf`
// npm package (Bitstream Vera licence + public-domain DejaVu changes: free to embed). It covers
// Latin (Łukasz, José), Cyrillic (Мария) and Greek (Σοφία); pdfkit embeds the subset it uses, so
// the file renders the same on any reader. Resolved from node_modules, so no system font is needed.

import { readFileSync } from 'node:fs';

export const REPORT_FONT = 'ReportSans';
export const REPORT_FONT_BOLD = 'ReportSans-Bold';

export interface ReportFontFiles {
  readonly regular: Buffer;
  readonly bold: Buffer;
}

let cached: ReportFontFiles | undefined;

/** The regular and bold TTF bytes, read once per process. */
export function reportFontFiles(): ReportFontFiles {
  cached ??= {
    regular: readFileSync(require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf')),
    bold: readFileSync(require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf')),
  };
  return cached;
}
