const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The upper bound of a `createdTo` filter (compared with <=). A timestamp is taken as given; a bare
 * date (YYYY-MM-DD) means the whole of that UTC day, so `createdFrom=2026-03-09&createdTo=2026-03-09`
 * lists that day's leads instead of none (a bare date alone would be its first instant).
 */
export function createdToBound(value: string): Date {
  if (!DATE_ONLY.test(value)) return new Date(value);
  return new Date(Date.parse(`${value}T00:00:00.000Z`) + 24 * 3600_000 - 1);
}
