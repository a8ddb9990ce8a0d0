// Extracts a PDF's text with pdf-parse in a child process, for tests: `await pdfText(filePath)`.
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');

// pdf-parse (pdf.js) sets up its worker with a dynamic import(), which Jest's module loader refuses
// without --experimental-vm-modules; a plain Node child process runs it as in production.
const SCRIPT = `
const { PDFParse } = require('pdf-parse');
const { readFileSync } = require('node:fs');
(async () => {
  const parser = new PDFParse({ data: new Uint8Array(readFileSync(process.argv[1])) });
  try {
    const result = await parser.getText();
    process.stdout.write(JSON.stringify({ text: result.text, pages: result.total }));
  } finally {
    await parser.destroy();
  }
})().catch((error) => { process.stderr.write(String(error && error.stack || error)); process.exit(1); });
`;

/** The text pdf-parse extracts from a PDF file, and its page count. */
export function pdfText(filePath: string): Promise<{ text: string; pages: number }> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      process.execPath,
      ['-e', SCRIPT, filePath],
      { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`pdf-parse failed: ${stderr || error.message}`));
        else resolvePromise(JSON.parse(stdout) as { text: string; pages: number });
      },
    );
  });
}
