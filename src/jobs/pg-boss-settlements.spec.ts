import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');

/**
 * In a child Node process (Jest keeps unhandled rejections from a test's own listeners): pg-boss's
 * Manager on a database that refuses every query, as an ended pool does, completes and fails a job
 * without awaiting, as its worker does. Prints one line per unhandled rejection, then "done".
 */
function run(guard: boolean): string[] {
  const script = `
    const { guardUnawaitedSettlements, pgBossManagerPrototype } = require('./src/jobs/pg-boss-settlements.ts');
    process.on('unhandledRejection', (reason) => console.log('unhandled: ' + reason.message));
    if (${guard}) guardUnawaitedSettlements();
    const manager = Object.create(pgBossManagerPrototype());
    manager.db = { executeSql: () => Promise.reject(new Error('timeout exceeded when trying to connect')) };
    manager.completeJobsCommand = manager.failJobsCommand = 'SELECT 1';
    const id = '00000000-0000-4000-8000-000000000001';
    manager.complete('q', id);
    manager.fail('q', id, new Error('handler failed'));
    manager.complete('q', id).catch((err) => console.log('awaited: ' + err.message));
    // PgBoss promotes the manager's methods by function name: boss.complete / boss.fail must stay
    console.log('names: ' + pgBossManagerPrototype().complete.name + ' ' + pgBossManagerPrototype().fail.name);
    setTimeout(() => console.log('done'), 100);
  `;
  const out = execFileSync(process.execPath, ['-r', '@swc-node/register', '-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return out.split('\n').filter((line) => /^(unhandled|awaited|done|names)/.test(line));
}

describe('pg-boss settlements its worker does not await', () => {
  it('a completion or failure that cannot reach the database is logged, not an unhandled rejection (which ends the process)', () => {
    // pg-boss's own methods: both rejections go unhandled
    expect(run(false).sort()).toEqual([
      'awaited: timeout exceeded when trying to connect',
      'done',
      'names: complete fail',
      'unhandled: timeout exceeded when trying to connect',
      'unhandled: timeout exceeded when trying to connect',
    ]);
    // guarded: logged; a caller that awaits still sees the rejection
    expect(run(true).sort()).toEqual([
      'awaited: timeout exceeded when trying to connect',
      'done',
      'names: complete fail',
    ]);
  }, 30_000);
});
