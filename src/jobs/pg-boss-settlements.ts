import { Logger } from '@nestjs/common';
import { createRequire } from 'node:module';

type Settle = (this: unknown, ...args: unknown[]) => Promise<unknown>;
interface ManagerPrototype {
  complete: Settle;
  fail: Settle;
}

const logger = new Logger('JobsService');
let guarded = false;

/** pg-boss's Manager class (no types for its internals; the package has no `exports` map). */
export function pgBossManagerPrototype(): ManagerPrototype {
  const manager = createRequire(__filename)('pg-boss/src/manager') as { prototype: ManagerPrototype };
  return manager.prototype;
}

/**
 * pg-boss 10.4's worker completes or fails a fetched batch without awaiting it (src/manager.js,
 * `onFetch`: `this.complete(name, jobIds, …)` / `this.fail(name, jobIds, err)`). When that query cannot
 * run (the job pool ended at shutdown, a connection timeout, a database blip) its rejection was
 * unhandled, and Node ends a process on an unhandled rejection: CI saw it fail a spec's teardown. The
 * job stays active and pg-boss retries it after its lease (handlers are idempotent), so the failure is
 * logged instead. Callers that await keep the rejection.
 */
export function guardUnawaitedSettlements(): void {
  if (guarded) return;
  guarded = true;
  const proto = pgBossManagerPrototype();
  for (const name of ['complete', 'fail'] as const) {
    const original = proto[name];
    const guardedSettle = function (this: unknown, ...args: unknown[]): Promise<unknown> {
      const settled = original.apply(this, args);
      settled.catch((err: unknown) =>
        logger.warn(
          { queue: args[0], reason: err instanceof Error ? err.message : String(err) },
          `job ${name} failed; the jobs are retried after their lease`,
        ),
      );
      return settled;
    };
    // PgBoss exposes the manager's methods under their function names (index.js #promoteFunctions)
    Object.defineProperty(guardedSettle, 'name', { value: name });
    proto[name] = guardedSettle;
  }
}
