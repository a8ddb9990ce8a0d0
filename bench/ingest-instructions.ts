// Instructions per webhook delivery, counted by valgrind's callgrind: the app (APP_ROLE=api) and the
// group-commit baseline under the same signed Meta leadgen load. An instruction count moves far less
// than req/s with what else the machine is doing, but deliveries arriving together share one INSERT,
// so the load generator's pace still shifts it: alternate two builds several times (bench/README.md).
// It counts the Node process only (not PostgreSQL, not the kernel). See bench/README.md.
//
//   npm run bench:ingest-instructions [-- --warmup 5000 --measure 3000 --connections 16 --no-build --no-baseline]
import autocannon from 'autocannon';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { META_CONFIG } from '../test/support/factories';
import { FakeServer } from '../test/support/fake-server';
import { metaLeadgen, metaSignature } from '../test/support/webhooks';
import { Api, createActiveIntegration } from './support/api';
import { machineLine } from './support/cpu';
import { createDatabase } from './support/database';
import { onCleanup, runBench } from './support/lifecycle';
import { build, Child, freePort, startApp, startChild, waitHttp } from './support/processes';

const { values: args } = parseArgs({
  options: {
    warmup: { type: 'string', default: '5000' },
    measure: { type: 'string', default: '3000' },
    connections: { type: 'string', default: '16' },
    'no-build': { type: 'boolean', default: false },
    'no-baseline': { type: 'boolean', default: false },
  },
});
const WARMUP = Number(args.warmup);
const MEASURE = Number(args.measure);
const CONNECTIONS = Number(args.connections);

let nextLeadgenId = 9_300_000_000_000;

/** Sends `amount` signed deliveries; resolves with how many were answered 200. */
async function send(url: string, path: string, amount: number): Promise<number> {
  let ok = 0;
  await autocannon({
    url,
    connections: CONNECTIONS,
    amount,
    timeout: 60,
    requests: [
      {
        method: 'POST',
        path,
        setupRequest: (request) => {
          const body = metaLeadgen(META_CONFIG.pageId, [String(nextLeadgenId++)]);
          return {
            ...request,
            body,
            headers: {
              'content-type': 'application/json',
              'x-hub-signature-256': metaSignature(body, META_CONFIG.appSecret),
            },
          };
        },
        onResponse: (status) => {
          if (status === 200) ok++;
        },
      },
    ],
  });
  return ok;
}

interface Counted {
  instructions: number;
  answered: number;
}

/**
 * Runs `args` under callgrind with collection off, warms it up, then counts the instructions of
 * MEASURE deliveries only (callgrind_control switches collection on and dumps).
 */
async function counted(
  name: string,
  nodeArgs: string[],
  env: NodeJS.ProcessEnv,
  ready: string,
  url: string,
  path: string,
): Promise<Counted> {
  const dir = mkdtempSync(join(tmpdir(), `hub-callgrind-${name}-`));
  onCleanup(async () => rmSync(dir, { recursive: true, force: true }));
  const prefix = join(dir, 'vgdb');
  // vgdb finds the process by a file named after USER and HOST: the same values on both sides
  const user = process.env.USER ?? 'bench';
  const child: Child = startChild(
    name,
    'valgrind',
    [
      '--tool=callgrind',
      '--instr-atstart=no',
      '--vgdb=yes',
      `--vgdb-prefix=${prefix}`,
      `--callgrind-out-file=${join(dir, 'callgrind.out.%p')}`,
      process.execPath,
      ...nodeArgs,
    ],
    { ...env, USER: user },
  );
  await waitHttp(ready, child, 600_000);
  await send(url, path, WARMUP);
  const control = (...options: string[]): void => {
    const controlEnv: NodeJS.ProcessEnv = { ...process.env, USER: user, HOST: env.HOST };
    if (env.HOST === undefined) delete controlEnv.HOST;
    execFileSync('callgrind_control', [`--vgdb-prefix=${prefix}`, ...options, String(child.pid)], {
      stdio: 'ignore',
      env: controlEnv,
    });
  };
  control('-i', 'on');
  const answered = await send(url, path, MEASURE);
  control('-d');
  await child.stop(60_000);
  let instructions = 0;
  // the dump `-d` asked for (callgrind.out.<pid>.1), not the file written at exit (the shutdown)
  for (const file of readdirSync(dir).filter((f) => /^callgrind\.out\.\d+\.\d+$/.test(f))) {
    const totals = /^totals:\s+(\d+)/m.exec(readFileSync(join(dir, file), 'utf8'));
    if (totals) instructions += Number(totals[1]);
  }
  return { instructions, answered };
}

async function main(): Promise<boolean> {
  if (spawnSync('valgrind', ['--version']).status !== 0) {
    process.stdout.write('valgrind is not installed (Debian: apt-get install valgrind)\n');
    return false;
  }
  process.stdout.write(
    `ingest-instructions: ${WARMUP} deliveries of warm-up, ${MEASURE} counted, ${CONNECTIONS} connections; ${machineLine()}\n`,
  );
  build(args['no-build']);
  const db = await createDatabase();
  const graph = await FakeServer.start();
  graph.on('GET', '/me', () => ({ status: 200, body: { id: META_CONFIG.pageId, name: 'Bench page' } }));
  // migrate, seed and connect the integration without valgrind; then run the same deployment under it
  const setup = await startApp({ role: 'api', databaseUrl: db.url, env: { META_GRAPH_URL: graph.url } });
  await createActiveIntegration(Api.forApp(setup), 'meta-lead-ads', META_CONFIG);
  await setup.child.stop();
  await graph.close();

  const appPort = await freePort();
  const appBase = `http://127.0.0.1:${appPort}`;
  const app = await counted(
    'app',
    ['dist/main.js'],
    { ...setup.env, MIGRATE_ON_START: 'false', PORT: String(appPort), PUBLIC_BASE_URL: appBase },
    `${appBase}/api/health/ready`,
    appBase,
    '/api/webhooks/meta-lead-ads',
  );
  const rows: Array<[string, Counted]> = [['app', app]];
  if (!args['no-baseline']) {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const group = await counted(
      'group',
      ['-r', '@swc-node/register', 'bench/baseline-server.ts'],
      {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_ENV: 'production',
        PORT: String(port),
        DATABASE_URL: db.url,
        APP_SECRET: META_CONFIG.appSecret,
        POOL_SIZE: '10',
        GROUP_COMMIT: '1',
        TABLE: 'bench_group_events',
      },
      `${base}/health`,
      base,
      '/webhook',
    );
    rows.push(['group-commit baseline', group]);
  }
  process.stdout.write('\nside                   answered 200   instructions   per delivery\n');
  for (const [side, c] of rows)
    process.stdout.write(
      `${side.padEnd(22)} ${String(c.answered).padStart(12)}   ${String(c.instructions).padStart(12)}   ${(
        c.instructions /
        Math.max(1, c.answered) /
        1e6
      ).toFixed(3)} M\n`,
    );
  if (rows.length === 2)
    process.stdout.write(
      `app / group-commit baseline: ${(app.instructions / app.answered / (rows[1][1].instructions / rows[1][1].answered)).toFixed(2)}× the instructions per delivery\n`,
    );
  return rows.every(([, c]) => c.answered === MEASURE);
}

runBench(main);
