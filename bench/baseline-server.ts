// The baselines of bench/webhook-ingest.ts: the least a webhook receiver can do — Fastify, the raw
// body, Meta's HMAC checked in constant time, then either one INSERT per request with pg, or
// (GROUP_COMMIT=1) group commit: the deliveries that arrive while a write is in flight are written
// together by the next multi-row INSERT, each answered after its commit — so the app is compared with
// the floor of the same machine in the same run. Started by the benchmark as a child process:
//   PORT=… DATABASE_URL=… APP_SECRET=… [POOL_SIZE=10] [GROUP_COMMIT=1] [TABLE=bench_events] node -r @swc-node/register bench/baseline-server.ts
import Fastify from 'fastify';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Pool } from 'pg';

const port = Number(process.env.PORT ?? 0);
const groupCommit = process.env.GROUP_COMMIT === '1';
const table = /^[a-z_]+$/.test(process.env.TABLE ?? '') ? String(process.env.TABLE) : 'bench_events';
/** Group commit: writes in flight at once (each takes every delivery waiting when it starts), and the largest group. */
const WRITERS = 2;
const MAX_GROUP = 500;
const secret = process.env.APP_SECRET ?? '';
const pool = new Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.POOL_SIZE ?? 10),
  application_name: process.env.GROUP_COMMIT === '1' ? 'bench-group' : 'bench-baseline',
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

interface Waiting {
  id: string;
  text: string;
  done: (err: unknown, rowId?: string) => void;
}

const waiting: Waiting[] = [];
let writing = 0;

/** Takes every delivery waiting now into one INSERT; more writers start while deliveries wait. */
function pump(): void {
  while (writing < WRITERS && waiting.length > 0) {
    const group = waiting.splice(0, MAX_GROUP);
    writing += 1;
    pool
      .query<{ id: string; external_id: string }>(
        `INSERT INTO ${table} (external_id, payload) SELECT * FROM unnest($1::text[], $2::jsonb[]) RETURNING id, external_id`,
        [group.map((w) => w.id), group.map((w) => w.text)],
      )
      .then(
        (res) => {
          const ids = new Map(res.rows.map((r) => [r.external_id, r.id]));
          for (const w of group) w.done(null, ids.get(w.id));
        },
        (err: unknown) => {
          for (const w of group) w.done(err);
        },
      )
      .finally(() => {
        writing -= 1;
        pump();
      });
  }
}

function insertGrouped(id: string, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    waiting.push({
      id,
      text,
      done: (err, rowId) => {
        if (rowId !== undefined && !err) resolve(rowId);
        else reject(err instanceof Error ? err : new Error(`delivery ${id} was not written`));
      },
    });
    pump();
  });
}

async function insertOne(id: string, text: string): Promise<string> {
  const res = await pool.query<{ id: string }>(
    `INSERT INTO ${table} (external_id, payload) VALUES ($1, $2) RETURNING id`,
    [id, text],
  );
  return res.rows[0].id;
}

async function main(): Promise<void> {
  await pool.query(
    `CREATE TABLE IF NOT EXISTS ${table} (id bigserial PRIMARY KEY, external_id text NOT NULL UNIQUE, payload jsonb NOT NULL, received_at timestamptz NOT NULL DEFAULT now())`,
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
    const eventId = await (groupCommit ? insertGrouped(id, text) : insertOne(id, text));
    return { status: 'received', eventId };
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
