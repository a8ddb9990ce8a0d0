/** A supertest parser that keeps a download's bytes (`.buffer(true).parse(binaryBody)`): PDFs, xlsx files. */
export function binaryBody(
  res: { on(event: string, cb: (chunk?: Buffer) => void): void },
  done: (err: Error | null, body: Buffer) => void,
): void {
  const chunks: Buffer[] = [];
  res.on('data', (chunk) => chunks.push(chunk as Buffer));
  res.on('end', () => done(null, Buffer.concat(chunks)));
}
