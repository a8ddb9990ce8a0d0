/**
 * The last millisecond of year 9999. A sender's stamp past it (1e20, "1e+308") is no time: a Date
 * built from it is invalid (RangeError on toISOString, refused by pg), and PostgreSQL refuses the
 * ISO text of years past 9999 anyway.
 */
export const LAST_INSTANT_MS = Date.parse('9999-12-31T23:59:59.999Z');

/** Milliseconds since the epoch when they name a time from 1970 to year 9999; otherwise undefined. */
export function instantMs(ms: number): number | undefined {
  return Number.isFinite(ms) && ms > 0 && ms <= LAST_INSTANT_MS ? ms : undefined;
}
