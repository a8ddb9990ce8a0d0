// WhatsApp bulk throughput (issue 12 point 9): N recipients at messagesPerSecond 80, three worker
// processes (APP_ROLE=worker) and one API process against the fake Graph API, which enforces 80
// messages/s with 130429 and logs every send. The fake's log decides: the achieved rate over the run
// within 5 % of 80/s, never above 80 in any one-second window (sliding), zero duplicates, zero lost.
//
//   npm run bench:whatsapp-bulk [-- --recipients 10000 --workers 3 --rate 80 --no-build --keep-db --cpu-prof]
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { WHATSAPP_CONFIG } from '../test/support/factories';
import { FakeWhatsAppGraph } from '../test/support/fakes/whatsapp-graph';
import { approvedTemplate, phoneOf, seedLeads } from '../test/support/whatsapp-bulk';
import { Api } from './support/api';
import { createDatabase } from './support/database';
import { runBench } from './support/lifecycle';
import { build, Child, sleep, startApp, startChild } from './support/processes';
import { newProfileDir } from './support/profile';
import { Check, printChecks, table } from './support/report';

const { values: args } = parseArgs({
  options: {
    recipients: { type: 'string', default: '10000' },
    workers: { type: 'string', default: '3' },
    rate: { type: 'string', default: '80' },
    timeout: { type: 'string', default: '600' },
    'no-build': { type: 'boolean', default: false },
    'keep-db': { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
  },
});
const N = Number(args.recipients);
const WORKERS = Number(args.workers);
const RATE = Number(args.rate);
const TIMEOUT_MS = Number(args.timeout) * 1000;

interface BulkView {
  status: string;
  counts: Record<string, number>;
  etaSeconds: number | null;
}

async function main(): Promise<boolean> {
  build(args['no-build']);
  const db = await createDatabase(args['keep-db']);
  const fake = await FakeWhatsAppGraph.start({
    accessToken: WHATSAPP_CONFIG.accessToken,
    appSecret: WHATSAPP_CONFIG.appSecret,
    messagesPerSecond: RATE,
  });
  const shared = {
    META_GRAPH_URL: fake.url,
    ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    JWT_SECRET: randomBytes(32).toString('base64'),
    // three workers and the API on one server: stay well inside max_connections
    DB_POOL_SIZE: '10',
    JOBS_POOL_SIZE: '2',
  };
  const app = await startApp({ role: 'api', databaseUrl: db.url, env: shared });
  // the workers share the API's secrets (JWT, encryption keys): the token is signed with the one passed in
  const api = Api.forApp({ ...app, jwtSecret: shared.JWT_SECRET });

  const sub = await api.call<{ id: number }>('POST', '/api/sub-accounts', { name: 'Bench WhatsApp', tier: 'MAX' });
  const templates = await api.call<{ items: Array<{ id: number; handler: string }> }>(
    'GET',
    '/api/integration-templates?pageSize=200',
  );
  const template = templates.items.find((t) => t.handler === 'whatsapp-cloud');
  if (!template) throw new Error('no whatsapp-cloud integration template');
  const integration = await api.call<{ id: number }>('POST', '/api/integrations', {
    subAccountId: sub.id,
    integrationTemplateId: template.id,
    name: 'bench whatsapp',
    config: { ...WHATSAPP_CONFIG, messagesPerSecond: RATE },
  });
  // the fake does not serve the connection test's phone-number read: switch it on as a passed test would
  await db.sql.query("UPDATE integrations SET status = 'active', is_active = true WHERE id = $1", [integration.id]);
  const templateId = await approvedTemplate(db.sql, fake, sub.id, integration.id);
  const leadIds = await seedLeads(db.sql, sub.id, N);

  const workers: Child[] = [];
  const profileDir = args['cpu-prof'] ? newProfileDir() : undefined;
  const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  if (profileDir) process.stdout.write(`workers' CPU profiles in ${profileDir}\n`);
  for (let i = 0; i < WORKERS; i++) {
    workers.push(
      startChild(`worker-${i + 1}`, process.execPath, [...nodeArgs, 'dist/main.js'], {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_ENV: 'production',
        APP_ROLE: 'worker',
        DATABASE_URL: db.url,
        MIGRATE_ON_START: 'false',
        LOG_LEVEL: 'warn',
        ...shared,
      }),
    );
  }
  await sleep(3000); // the workers connect and start polling

  const started = Date.now();
  const created = await api.call<{ id: string; recipients: number }>(
    'POST',
    '/api/whatsapp/bulk',
    {
      subAccountId: sub.id,
      integrationId: integration.id,
      leadIds,
      template: { id: templateId },
      parameters: { '1': '{{lead.firstName}}' },
    },
    [202],
  );
  process.stdout.write(`bulk ${created.id}: ${created.recipients} recipients, ${WORKERS} workers, ${RATE}/s\n`);
  let bulk: BulkView;
  for (;;) {
    bulk = await api.call<BulkView>('GET', `/api/whatsapp/bulk/${created.id}`);
    if (bulk.status !== 'running' && bulk.status !== 'queued') break;
    if (Date.now() - started > TIMEOUT_MS)
      throw new Error(`bulk not done after ${TIMEOUT_MS} ms: ${JSON.stringify(bulk)}`);
    for (const w of workers) if (w.exited()) throw new Error(`${w.name} exited:\n${w.tail()}`);
    process.stdout.write(`  ${JSON.stringify(bulk.counts)} eta ${String(bulk.etaSeconds)} s\n`);
    await sleep(5000);
  }
  const wallSeconds = (Date.now() - started) / 1000;
  await Promise.all(workers.map((w) => w.stop()));

  const accepted = fake.accepted();
  const refused = fake.sends.filter((s) => s.outcome !== 'accepted');
  const times = accepted.map((s) => s.at).sort((a, b) => a - b);
  const spanSeconds = (times[times.length - 1] - times[0]) / 1000;
  const achieved = spanSeconds > 0 ? (accepted.length - 1) / spanSeconds : 0;
  const ratio = achieved / RATE;
  const histogram = fake.perSecond();
  const maxWindow = fake.maxInAnyWindow(1000);
  const duplicates = fake.duplicates();
  // sends go to the contact's wa_id once known, else its E.164 phone (the single-send core's request)
  const digits = (phone: string) => phone.replace(/[^0-9]/g, '');
  const expected = new Set(Array.from({ length: N }, (_, i) => digits(phoneOf(i))));
  const got = new Set(accepted.map((s) => digits(s.to)));
  const lost = [...expected].filter((p) => !got.has(p)).length;

  process.stdout.write('\nper-second histogram (accepted sends per whole second since the first):\n');
  for (let i = 0; i < histogram.length; i += 10)
    process.stdout.write(
      `  ${String(i).padStart(4)}s  ${histogram
        .slice(i, i + 10)
        .map((n) => String(n).padStart(3))
        .join(' ')}\n`,
    );
  process.stdout.write(
    `\n${table(
      [
        'recipients',
        'accepted',
        'refused (130429 …)',
        'span s',
        'achieved/s',
        'configured/s',
        'ratio',
        'max in any 1 s',
        'wall s',
      ],
      [
        [
          N,
          accepted.length,
          refused.length,
          spanSeconds.toFixed(1),
          achieved.toFixed(2),
          RATE,
          ratio.toFixed(3),
          maxWindow,
          wallSeconds.toFixed(1),
        ],
      ],
    )}\n`,
  );
  process.stdout.write(`ledger counts: ${JSON.stringify(bulk.counts)}\n`);

  const checks: Check[] = [
    { name: 'bulk completed', ok: bulk.status === 'completed', detail: bulk.status },
    {
      name: 'achieved rate within 5 % of configured',
      ok: ratio >= 0.95 && ratio <= 1.0,
      detail: `ratio ${ratio.toFixed(3)}`,
    },
    { name: `never above ${RATE} in any 1 s window`, ok: maxWindow <= RATE, detail: `max ${maxWindow}` },
    { name: 'zero duplicates', ok: duplicates.length === 0, detail: `${duplicates.length}` },
    { name: 'zero lost', ok: lost === 0 && accepted.length === N, detail: `${lost} lost, ${accepted.length} accepted` },
    {
      name: 'ledger agrees',
      ok: bulk.counts.sent === N && bulk.counts.pending === 0,
      detail: `sent ${bulk.counts.sent}`,
    },
  ];
  await fake.close();
  return printChecks(checks);
}

runBench(main);
