// Parameter values of the lead writes' statements (a provider's optional fields and times).
export const nul = <T>(value: T | undefined): T | null => (value === undefined ? null : value);
export const isoOrNull = (value: string | undefined): string | null => (value ? new Date(value).toISOString() : null);
/** A provider's time, or null when it is missing or not a time (a booking's times are optional). */
export const instantOrNull = (value: string | undefined): string | null => {
  const ms = value === undefined ? Number.NaN : Date.parse(value);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
};
