import { connect } from 'node:net';
import type { Answer, RawDelivery } from './shared';

// ---------------------------------------------------------------- raw HTTP (framing cases)

export function rawRequest(
  path: string,
  headers: ReadonlyArray<[string, string]>,
  body: Buffer = Buffer.alloc(0),
): Buffer {
  const head = [
    `POST ${path} HTTP/1.1`,
    'Host: 127.0.0.1',
    'Connection: close',
    ...headers.map(([k, v]) => `${k}: ${v}`),
  ].join('\r\n');
  return Buffer.concat([Buffer.from(`${head}\r\n\r\n`, 'latin1'), body]);
}

/** The first response on a fresh connection, or null when the server closed it without answering. */
export function rawExchange(port: number, delivery: RawDelivery, timeoutMs = 5000): Promise<Answer | null> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(parseRawResponse(Buffer.concat(chunks)));
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (parseRawResponse(Buffer.concat(chunks), true)) finish();
    });
    socket.on('end', finish);
    socket.on('close', finish);
    socket.on('error', finish);
    socket.write(delivery.raw, () => {
      if (delivery.halfClose) socket.end();
    });
  });
}

export function parseRawResponse(data: Buffer, completeOnly = false): Answer | null {
  const split = data.indexOf('\r\n\r\n');
  if (split < 0) return null;
  const [statusLine, ...lines] = data.subarray(0, split).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  if (!status) return null;
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
  const rest = data.subarray(split + 4);
  if (completeOnly && (length === undefined || rest.length < length)) return null;
  const text = rest.subarray(0, length ?? rest.length).toString('utf8');
  let body: unknown = {};
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: asserted on below
  }
  return { status, headers, body, text };
}
