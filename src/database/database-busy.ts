/**
 * SQLSTATEs that say the database was busy or briefly away, not that the work was wrong (PostgreSQL
 * manual, Appendix A "PostgreSQL Error Codes"): the same statement succeeds once the other writer
 * has committed or the server is back.
 * - 40001 serialization_failure, 40P01 deadlock_detected: the victim of another transaction (13.3.4).
 * - 55P03 lock_not_available: a lock wait ran out (lock_timeout).
 * - 53300 too_many_connections.
 * - 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now: a server stopping or starting.
 * - Class 08, connection exceptions.
 */
const BUSY_SQLSTATES = new Set(['40001', '40P01', '55P03', '53300', '57P01', '57P02', '57P03']);

/**
 * Prisma's codes for the same (prisma.io/docs/orm/reference/error-reference; the adapter-pg mapping
 * in node_modules/@prisma/adapter-pg): P2034 write conflict or deadlock, P2037 too many connections,
 * P1001 server not reachable, P1002 and P1008 timed out, P1017 connection closed, P2024 no pool
 * connection in time, P2028 a transaction that could not start or ran out of time.
 */
const BUSY_PRISMA_CODES = new Set(['P2034', 'P2037', 'P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028']);

/** node-postgres's own errors for a connection lost or never had (they carry no code). */
const LOST_CONNECTION = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
];

/** A socket that could not reach the server, or lost it (node-postgres and adapter-pg pass these on). */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE']);

const codeOf = (err: object, key: 'code' | 'originalCode'): string | null => {
  const value = (err as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : null;
};

/**
 * Whether `err` says the database was busy or briefly away (a deadlock's victim, a lost connection, a
 * server restarting), as opposed to anything about the work itself. Such a failure says nothing about
 * the event or request that met it: the caller may run the work again soon without counting it as a
 * failed attempt. Looks through Prisma's wrappers (`cause`, `meta`, `driverAdapterError`) a few levels deep. An HTTP client's
 * "fetch failed" is never one, whatever socket error it wraps: that is a provider, not the database.
 */
export function isDatabaseBusy(err: unknown, depth = 0): boolean {
  if (depth > 4 || typeof err !== 'object' || err === null) return false;
  const message = (err as { message?: unknown }).message;
  if (message === 'fetch failed') return false;
  const code = codeOf(err, 'code') ?? codeOf(err, 'originalCode');
  if (code !== null) {
    if (BUSY_SQLSTATES.has(code) || /^08[0-9A-Z]{3}$/.test(code)) return true;
    if (BUSY_PRISMA_CODES.has(code) || SOCKET_CODES.has(code)) return true;
  }
  if (typeof message === 'string' && LOST_CONNECTION.some((m) => message.startsWith(m))) return true;
  const { cause, meta, driverAdapterError } = err as { cause?: unknown; meta?: unknown; driverAdapterError?: unknown };
  return [cause, meta, driverAdapterError].some((inner) => isDatabaseBusy(inner, depth + 1));
}
