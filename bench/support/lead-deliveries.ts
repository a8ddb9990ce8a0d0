// Signed Google Ads lead deliveries for the lead benchmarks (lead-e2e, backlog-drain): a reproducible
// list of people with a share of repeats that must merge, and the senders that deliver them as a
// platform would (keep-alive connections, retries after a failure).
import { Agent, request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { googleLead } from '../../test/support/webhooks';
import type { BenchDatabase } from './database';
import type { Check } from './report';
import { sleep } from './processes';

export interface Person {
  name: string;
  email: string;
  phone: string;
}

export interface Delivery {
  body: string;
  person: number;
}

/** mulberry32: a small seeded PRNG, so a run is reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * N deliveries with distinct lead ids. Exactly floor(N × ratio) of them, spread evenly, are a new
 * lead id for a person sent earlier, naming them by e-mail and phone, by e-mail only or by phone only
 * (in turn), so they must merge into that person's lead by either key.
 */
export function deliveries(
  googleKey: string,
  n: number,
  repeatRatio: number,
  seed: number,
): { list: Delivery[]; people: Person[]; repeatedPeople: number } {
  const N = n;
  const REPEAT_RATIO = repeatRatio;
  const random = prng(seed);
  const people: Person[] = [];
  const list: Delivery[] = [];
  const repeated = new Set<number>();
  const runTag = randomBytes(3).toString('hex');
  for (let i = 0; i < N; i++) {
    const leadId = `TeSter-${runTag}-${String(i).padStart(7, '0')}`;
    const isRepeat = Math.floor((i + 1) * REPEAT_RATIO) > Math.floor(i * REPEAT_RATIO) && people.length > 0;
    if (!isRepeat) {
      const n = people.length;
      const subscriber = String(2_000_000 + n * 53); // (415) 2xx-xxxx: valid, distinct US numbers
      const person = {
        name: `Bench Person ${n}`,
        email: `person${n}@bench.example.com`,
        phone: `(415) ${subscriber.slice(0, 3)}-${subscriber.slice(3)}`,
      };
      people.push(person);
      list.push({ body: googleLead(googleKey, leadId, person), person: n });
      continue;
    }
    const n = Math.floor(random() * people.length);
    const p = people[n];
    const kind = repeated.size % 3;
    repeated.add(n);
    const named =
      kind === 0
        ? p
        : kind === 1
          ? { name: p.name, email: p.email.toUpperCase() }
          : { name: p.name, phone: `+1 ${p.phone}` };
    list.push({ body: googleLead(googleKey, leadId, named), person: n });
  }
  return { list, people, repeatedPeople: repeated.size };
}

export interface SendStats {
  latenciesMs: number[];
  received: number;
  duplicate: number;
  non2xx: Map<number, number>;
  networkErrors: number;
  retries: number;
  samples: string[];
  lastAckAt: number;
}

function post(agent: Agent, base: URL, path: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: base.hostname,
        port: base.port,
        path,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

/** CONCURRENCY senders over keep-alive connections; a failed delivery is retried, as a platform would. */
export async function sendAll(base: string, path: string, list: Delivery[], concurrency: number): Promise<SendStats> {
  const CONCURRENCY = concurrency;
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const url = new URL(base);
  const stats: SendStats = {
    latenciesMs: [],
    received: 0,
    duplicate: 0,
    non2xx: new Map(),
    networkErrors: 0,
    retries: 0,
    samples: [],
    lastAckAt: 0,
  };
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const index = next++;
      if (index >= list.length) return;
      for (let attempt = 0; ; attempt++) {
        if (attempt > 0) {
          stats.retries++;
          await sleep(Math.min(2000, 50 * 2 ** attempt));
        }
        const started = performance.now();
        try {
          const res = await post(agent, url, path, list[index].body);
          if (res.status === 200) {
            stats.latenciesMs.push(performance.now() - started);
            if (res.text.includes('"received"')) stats.received++;
            else stats.duplicate++;
            stats.lastAckAt = Date.now();
            break;
          }
          stats.non2xx.set(res.status, (stats.non2xx.get(res.status) ?? 0) + 1);
          if (stats.samples.length < 5) stats.samples.push(`${res.status} ${res.text.slice(0, 200)}`);
          if (attempt >= 10) throw new Error(`delivery ${index}: ${res.status} ${res.text}`);
        } catch (err) {
          if (err instanceof Error && err.message.startsWith('delivery ')) throw err;
          stats.networkErrors++;
          if (attempt >= 10) throw err;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  agent.destroy();
  return stats;
}

export interface Progress {
  processed: number;
  failed: number;
  total: number;
}

/** The events stored so far, of one integration when given (lead-e2e's warm-up has its own). */
export async function progress(db: BenchDatabase, integrationId?: number): Promise<Progress> {
  const res = await db.sql.query<{ processed: string; failed: string; total: string }>(
    "SELECT count(*) FILTER (WHERE status = 'PROCESSED') AS processed, count(*) FILTER (WHERE status = 'FAILED') AS failed, count(*) AS total FROM webhook_events WHERE $1::int IS NULL OR integration_id = $1",
    [integrationId ?? null],
  );
  const r = res.rows[0];
  return { processed: Number(r.processed), failed: Number(r.failed), total: Number(r.total) };
}

/** What the run left in the sub-account, preloaded leads (bench/lead-e2e --preload) excluded. */
export interface LeadOutcome {
  leads: number;
  distinctEmails: number;
  sources: number;
  /** leads with more than one source: repeats merged into their person */
  merged: number;
  badPhones: number;
}

export async function leadOutcome(db: BenchDatabase, subAccountId: number): Promise<LeadOutcome> {
  const count = async (q: string): Promise<number> =>
    Number((await db.sql.query<{ n: string }>(q, [subAccountId])).rows[0].n);
  // the preloaded leads (e-mails @preload.example.com, sources of origin 'preload') are not the run's
  const runLeads = "sub_account_id = $1 AND email NOT LIKE '%@preload.example.com'";
  const runSources = "sub_account_id = $1 AND origin <> 'preload'";
  return {
    leads: await count(`SELECT count(*) AS n FROM leads WHERE ${runLeads}`),
    distinctEmails: await count(`SELECT count(DISTINCT email) AS n FROM leads WHERE ${runLeads}`),
    sources: await count(`SELECT count(*) AS n FROM lead_sources WHERE ${runSources}`),
    merged: await count(
      `SELECT count(*) AS n FROM (SELECT lead_id FROM lead_sources WHERE ${runSources} GROUP BY lead_id HAVING count(*) > 1) m`,
    ),
    badPhones: await count(`SELECT count(*) AS n FROM leads WHERE ${runLeads} AND (phone IS NULL OR NOT phone_valid)`),
  };
}

/** Exactly-once effects: every event processed, one lead per person, one source per delivery, repeats merged. */
export function outcomeChecks(
  outcome: LeadOutcome,
  expected: { deliveries: number; people: number; repeatedPeople: number },
  last: Progress,
): Check[] {
  const { leads, distinctEmails, sources, merged, badPhones } = outcome;
  const n = expected.deliveries;
  return [
    {
      name: 'every event PROCESSED, none FAILED',
      ok: last.total === n && last.processed === n && last.failed === 0,
      detail: `${last.processed}/${last.total} processed, ${last.failed} failed`,
    },
    {
      name: 'leads = distinct people',
      ok: leads === expected.people && distinctEmails === expected.people,
      detail: `${leads} leads (${distinctEmails} distinct e-mails), expected ${expected.people}`,
    },
    { name: 'lead_sources = deliveries', ok: sources === n, detail: `${sources}, expected ${n}` },
    {
      name: 'repeats merged into their person',
      ok: merged === expected.repeatedPeople && badPhones === 0,
      detail: `${merged} leads with >1 source (expected ${expected.repeatedPeople}); ${badPhones} leads without a valid phone`,
    },
  ];
}
