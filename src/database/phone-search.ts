import { CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js';
import type { SubAccountScope } from '../common/auth/sub-account-scope';
import type { Db } from './db';
import { scopeWhere } from './scope-where';

// A list's `q` that reads as a phone, as people write one in their country, for the lists that search
// stored phones (leads, conversations of every channel).

/** Only the characters a written phone number has, and at least one digit. */
export const isPhoneLike = (q: string): boolean => /^[\d\s+().-]+$/.test(q) && /\d/.test(q);

/**
 * What `q` looks for in a stored E.164 phone: the digits of a phone however it is written
 * ("(415) 555-0100"); any other text as it is, so that the digits of an e-mail or a name
 * ("bob77@example.com") do not match every record whose phone holds them.
 */
export function phoneSearch(q: string): string {
  return isPhoneLike(q) ? q.replace(/[^\d+]/g, '') : q;
}

/**
 * More of what a `q` that reads as a phone finds, as people write a number in their country: its digits after a
 * trunk or international prefix of zeros ("07911 123456", "0044 7911 …" hold +44 7911 123456's
 * "7911123456"), and the whole number read in each region searched ("8 912 345-67-89" is +79123456789
 * in RU). The E.164 stored holds neither prefix, so the digits alone found no such record.
 */
export function nationalPhoneSearches(q: string, regions: readonly string[]): string[] {
  const unprefixed = q.replace(/\D/g, '').replace(/^0+/, '');
  const whole = [undefined, ...regions].map((region) => {
    const parsed = parsePhoneNumberFromString(q, region as CountryCode | undefined);
    return parsed?.isValid() ? parsed.number : null;
  });
  const found = [unprefixed.length >= 4 && /^[\s(]*0/.test(q) ? unprefixed : null, ...whole];
  return [...new Set(found.filter((s): s is string => s !== null && s !== phoneSearch(q)))];
}

/** The regions national phones are read in, of the sub-accounts a list searches. */
export async function searchRegions(db: Db, scope: SubAccountScope): Promise<string[]> {
  const rows = await db.prisma.subAccount.findMany({
    where: scopeWhere(scope, 'id'),
    select: { defaultRegion: true },
    distinct: ['defaultRegion'],
  });
  return rows.map((row) => row.defaultRegion);
}

/** `nationalPhoneSearches` of a `q` read in the regions of the scope searched; none for text that is not a phone. */
export async function nationalPhonesOf(db: Db, scope: SubAccountScope, q: string | undefined): Promise<string[]> {
  return q && isPhoneLike(q) ? nationalPhoneSearches(q, await searchRegions(db, scope)) : [];
}
