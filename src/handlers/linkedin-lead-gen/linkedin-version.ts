/**
 * Which `LinkedIn-Version` to send. LinkedIn's Marketing API versions are monthly (`YYYYMM`) and
 * "supported and stable for a minimum of one year before sunset"; a sunset version answers
 * 426 `NONEXISTENT_VERSION` ("Requested version … is not active") to every call
 * (learn.microsoft.com/linkedin/marketing/versioning and …/integrations/migrations: 202510 sunset
 * 2026-10-15, 202511 on 2026-11-16, 202601 on 2027-01-15 …). A fixed default therefore breaks every
 * integration within a year, so the default follows the clock: last month's version, which has
 * about eleven months of support left and has been out for weeks.
 */

/** Months after which the default moves on: the previous month is released and tested by then. */
export const LINKEDIN_VERSION_LAG_MONTHS = 1;
/** LinkedIn keeps a version at least this long (versioning page); older ones answer 426. */
export const LINKEDIN_VERSION_SUPPORT_MONTHS = 12;
/**
 * Months LinkedIn released no Marketing version for (the migrations table goes 202511 → 202601).
 * A month missing here is caught at run time: a 426 on the derived version retries the month before.
 */
const UNRELEASED_VERSIONS: ReadonlySet<string> = new Set(['202512']);

export const LINKEDIN_VERSION_PATTERN = /^(\d{4})(0[1-9]|1[0-2])$/;

function format(year: number, month: number): string {
  return `${year}${String(month).padStart(2, '0')}`;
}

/** The released version `monthsBack` months before `now` (UTC), stepping over months LinkedIn skipped. */
function monthsBefore(now: Date, monthsBack: number): string {
  let index = now.getUTCFullYear() * 12 + now.getUTCMonth() - monthsBack;
  let version = format(Math.floor(index / 12), (index % 12) + 1);
  while (UNRELEASED_VERSIONS.has(version)) {
    index -= 1;
    version = format(Math.floor(index / 12), (index % 12) + 1);
  }
  return version;
}

/** The default version for a call made at `now`, then the one to fall back to if LinkedIn skipped that month. */
export function defaultLinkedInVersions(now: Date): [string, string] {
  const first = monthsBefore(now, LINKEDIN_VERSION_LAG_MONTHS);
  const index = Number(first.slice(0, 4)) * 12 + Number(first.slice(4)) - 1;
  const previous = monthsBefore(new Date(Date.UTC(Math.floor(index / 12), index % 12, 15)), 1);
  return [first, previous];
}

export function linkedInVersionFor(now: Date): string {
  return defaultLinkedInVersions(now)[0];
}

/** How many whole months old a `YYYYMM` version is at `now`; undefined when it is not one. */
export function linkedInVersionAgeMonths(version: string, now: Date): number | undefined {
  const match = LINKEDIN_VERSION_PATTERN.exec(version);
  if (!match) return undefined;
  return now.getUTCFullYear() * 12 + now.getUTCMonth() - (Number(match[1]) * 12 + Number(match[2]) - 1);
}
