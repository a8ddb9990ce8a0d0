import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as a fake provider saw it. */
export interface FakeRequest {
  method: string;
  path: string;
  /** The request target exactly as sent (path and raw, undecoded query). */
  url: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  rawBody: string;
  body: unknown;
  at: number;
}

export interface FakeReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Delay before answering (timeouts). */
  delayMs?: number;
  /** The answer's exact text instead of `body` as JSON (HTML pages, broken JSON, raw escapes). */
  raw?: string;
}

export type FakeHandler = (req: FakeRequest) => FakeReply | Promise<FakeReply>;

interface Route {
  method: string;
  path: string | RegExp;
  handler: FakeHandler;
}

/**
 * A small provider stand-in on 127.0.0.1: routes by method and path, records every request
 * (so tests can count calls and check rates), and answers 404 like an API would otherwise.
 */
export class FakeServer {
  readonly requests: FakeRequest[] = [];
  private routes: Route[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly clock: () => number,
  ) {}

  /** `clock` stamps arrivals (`at`): a spec's virtual clock makes measured delays exact. */
  static async start(options: { clock?: () => number } = {}): Promise<FakeServer> {
    const holder: { self?: FakeServer } = {};
    const server = createServer((req, res) => {
      void holder.self?.handle(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    holder.self = new FakeServer(server, `http://127.0.0.1:${port}`, options.clock ?? Date.now);
    return holder.self;
  }

  /** Adds a route; later routes win over earlier ones for the same request. */
  on(method: string, path: string | RegExp, handler: FakeHandler): this {
    this.routes.unshift({ method: method.toUpperCase(), path, handler });
    return this;
  }

  reset(): void {
    this.routes = [];
    this.requests.length = 0;
  }

  count(method: string, path: string | RegExp): number {
    return this.requests.filter(
      (r) => r.method === method.toUpperCase() && (typeof path === 'string' ? r.path === path : path.test(r.path)),
    ).length;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    let body: unknown = rawBody;
    try {
      body = rawBody ? (JSON.parse(rawBody) as unknown) : undefined;
    } catch {
      // keep the text
    }
    const url = new URL(req.url ?? '/', 'http://fake');
    const request: FakeRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      url: req.url ?? '/',
      query: url.searchParams,
      headers: req.headers,
      rawBody,
      body,
      at: this.clock(),
    };
    this.requests.push(request);
    const route = this.routes.find(
      (r) =>
        r.method === request.method &&
        (typeof r.path === 'string' ? r.path === request.path : r.path.test(request.path)),
    );
    const reply: FakeReply = route
      ? await route.handler(request)
      : { status: 404, body: { error: { message: `no fake route for ${request.method} ${request.path}` } } };
    // unref: a reply still pending when a test ends must not keep the jest worker alive
    if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs).unref());
    if (res.destroyed) return;
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    res.end(reply.raw ?? (reply.body === undefined ? '' : JSON.stringify(reply.body)));
  }
}
