/** SQLSTATE 40P01 deadlock_detected (a raw statement), or Prisma's P2034 (write conflict or deadlock). */
export function isDeadlock(err: unknown): boolean {
  if (typeof err !== 'object' || err === null || !('code' in err)) return false;
  return err.code === '40P01' || err.code === 'P2034';
}

/** How often a statement PostgreSQL aborted as a deadlock's victim runs again before its error is the caller's. */
export const DEADLOCK_ATTEMPTS = 5;

/**
 * Runs `work` again when PostgreSQL chose it as a deadlock's victim. PostgreSQL manual, 13.3.4
 * "Deadlocks": it detects a deadlock and resolves it by aborting one of the transactions involved,
 * letting the others complete. A deadlock comes from two writers meeting in opposite orders, i.e. from
 * load, not from the data: the victim's rerun, once the other has committed, succeeds. Only for work
 * that is a transaction of its own (never inside one: the outer transaction is aborted) and that has
 * no effect outside the database.
 */
export async function retryDeadlocks<T>(work: () => Promise<T>, attempts = DEADLOCK_ATTEMPTS): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (!isDeadlock(err) || attempt >= attempts) throw err;
      // a little apart, so that the two who met do not meet again at once
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt + Math.random() * 50));
    }
  }
}
