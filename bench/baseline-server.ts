// The baseline of bench/webhook-ingest.ts: the least a webhook receiver can do — Fastify, the raw
// body, Meta's HMAC checked in constant time, one INSERT with pg — so the app is compared with the
// floor of the same machine in the same run. Started by the benchmark as a child process:
//   PORT=… DATABASE_URL=… APP_SECRET=… [POOL_SIZE=10] node -r @swc-node/register bench/baseline-server.ts
import Fastify from 'fastify';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Pool } from 'pg';

const port = Number(process.env.PORT ?? 0);
const secret = process.env.APP_SECRET ?? '';
const pool = new Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.POOL_SIZE ?? 10),
  application_name: 'bench-baseline',
});

function signatureOk(raw: Buffer, header: string | string[] | undefined): boolean {
  if (typeof header !== 'string') return false;
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`);
  const received = Buffer.from(header);
  return received.length === expected.length && timingSafeEqual(received, expected);
}

function leadgenId(payload: unknown): string | null {
  const entry = (payload as { entry?: Array<{ changes?: Array<{ value?: { leadgen_id?: unknown } }> }> } | null)
    ?.entry?.[0];
  const id = entry?.changes?.[0]?.value?.leadgen_id;
  return typeof id === 'string' ? id : null;
}

async function main(): Promise<void> {
  await pool.query(
    'CREATE TABLE IF NOT EXISTS bench_events (id bigserial PRIMARY KEY, external_id text NOT NULL UNIQUE, payload jsonb NOT NULL, received_at timestamptz NOT NULL DEFAULT now())',
  );
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.get('/health', async () => ({ ok: true }));
  app.post('/webhook', async (req, reply) => {
    const raw = req.body as Buffer;
    if (!signatureOk(raw, req.headers['x-hub-signature-256'])) return reply.code(401).send({ error: 'bad signature' });
    const text = raw.toString('utf8');
    const id = leadgenId(JSON.parse(text));
    if (!id) return reply.code(400).send({ error: 'no leadgen_id' });
    const res = await pool.query<{ id: string }>(
      'INSERT INTO bench_events (external_id, payload) VALUES ($1, $2) RETURNING id',
      [id, text],
    );
    return { status: 'received', eventId: res.rows[0].id };
  });
  await app.listen({ port, host: '127.0.0.1' });
  const stop = (): void => {
    void app
      .close()
      .then(() => pool.end())
      .finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`baseline failed: ${String(err)}\n`);
  process.exit(1);
});
