// Parameter values of the lead writes' statements (a provider's optional fields and times).
import { LAST_INSTANT_MS } from '../../handlers/shared/instant';

export const nul = <T>(value: T | undefined): T | null => (value === undefined ? null : value);

/** The instants a timestamptz parameter takes as ISO text: years 0001–9999 (PostgreSQL refuses year 0 and ±YYYYYY). */
const FIRST_MS = Date.parse('0001-01-01T00:00:00.000Z');

/**
 * A provider's time, or null when it is missing, not a time, or outside years 1–9999. Every time a
 * sender controls goes through here: a bad one is left out (the statement's default applies), it
 * never fails the write (a RangeError, or PostgreSQL's 22007/22008, used to fail the whole event).
 */
export const instantOrNull = (value: string | undefined): string | null => {
  const ms = value === undefined ? Number.NaN : Date.parse(value);
  return Number.isNaN(ms) || ms < FIRST_MS || ms > LAST_INSTANT_MS ? null : new Date(ms).toISOString();
};
