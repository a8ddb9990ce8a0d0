// Phone numbers of WhatsApp contacts and leads, made comparable. A WhatsApp `wa_id` is the number
// as WhatsApp registered it, which in several countries differs from how the lead's form wrote it:
//   Brazil     +55 DD 9XXXX-XXXX (mobiles got a ninth digit in 2012–2016), but accounts created before
//              keep wa_id 55DDXXXXXXXX (no 9): `5511987654321` vs `551187654321`.
//   Mexico     wa_id keeps the old mobile prefix `521` (52 1 + 10 digits), dropped from dialling in 2019:
//              `5215512345678` vs `+525512345678`.
//   Argentina  mobiles are `+54 9` + area + number internationally; written without the 9 (or with the
//              local `15`) on forms: `5491123456789` vs `+541123456789`.
// The conversation keeps wa_id, user id and E.164 apart; leads are looked up by every key this returns.
//
//   phoneMatchKeys('551187654321')          // ['+551187654321', '+5511987654321']
//   normalizePhone('(11) 98765-4321', 'BR') // '+5511987654321'
//   canonicalPhone('+5215512345678')        // '+525512345678'
//
// Sources: libphonenumber (Google's metadata, via libphonenumber-js) for parsing and validity; the
// ninth-digit wa_id mismatch is a long-standing report by WhatsApp API users (e.g. github.com/
// devlikeapro/waha#238, canove/whaticket-community#306); Mexico's 2019 removal of the "1" and
// Argentina's "9" are in libphonenumber's own metadata (MX parses 52 1 as invalid; AR maps 15 → 9).
// Meta does not document any of these variants for wa_id (UNCONFIRMED by an official Meta source).
import { CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js';

const DIGITS = /^[0-9]{8,15}$/;

/** E.164 from a wa_id (international digits, no plus); null when it is not one (a business-scoped user id …). */
export function waIdToE164(waId: string): string | null {
  const digits = waId.trim().replace(/^\+/, '');
  return DIGITS.test(digits) ? `+${digits}` : null;
}

/**
 * A phone as a lead or an agent typed it → E.164, read in `defaultRegion` when it has no country
 * code; Mexico's old `+52 1` mobile prefix is dropped. Null when libphonenumber cannot make a valid number.
 */
export function normalizePhone(raw: string, defaultRegion?: string): string | null {
  const trimmed = raw.trim();
  if (trimmed === '') return null;
  const mexican = /^\+?521([0-9]{10})$/.exec(trimmed.replace(/[\s().-]/g, ''));
  const input = mexican ? `+52${mexican[1]}` : trimmed;
  const parsed = parsePhoneNumberFromString(input, defaultRegion?.toUpperCase() as CountryCode | undefined);
  return parsed?.isValid() ? parsed.number : null;
}

/**
 * A send's `to` (E.164, a national number, or a wa_id) → E.164. A run of digits is a wa_id (international
 * digits) unless it cannot be one: it starts with 0 (no country code does, ITU-T E.164), or it is no
 * valid international number while it is one read in `region` ('4155550123' in a US sub-account is
 * +14155550123, not +41 55 550123). A wa_id libphonenumber does not know either way is kept as given.
 */
export function recipientPhone(raw: string, region: string): string | null {
  if (!DIGITS.test(raw)) return normalizePhone(raw, region);
  if (!raw.startsWith('0') && normalizePhone(`+${raw}`)) return waIdToE164(raw);
  return normalizePhone(raw, region) ?? (raw.startsWith('0') ? null : waIdToE164(raw));
}

interface Variant {
  country: string;
  /** The national number in the other form, or null when this number has none. */
  other(national: string): string | null;
  /** Whether `national` is the form the country dials today (canonical). */
  current(national: string): boolean;
}

const VARIANTS: readonly Variant[] = [
  {
    // DDD (2 digits) + 9 + 8-digit mobile whose first digit is 6–9 (landlines start 2–5 and have no 9)
    country: '55',
    other: (n) => {
      if (/^[1-9][0-9]9[6-9][0-9]{7}$/.test(n)) return n.slice(0, 2) + n.slice(3);
      if (/^[1-9][0-9][6-9][0-9]{7}$/.test(n)) return `${n.slice(0, 2)}9${n.slice(2)}`;
      return null;
    },
    current: (n) => n.length === 11,
  },
  {
    country: '52',
    other: (n) => (/^1[0-9]{10}$/.test(n) ? n.slice(1) : /^[0-9]{10}$/.test(n) ? `1${n}` : null),
    current: (n) => n.length === 10,
  },
  {
    country: '54',
    other: (n) => (/^9[0-9]{10}$/.test(n) ? n.slice(1) : /^[1-9][0-9]{9}$/.test(n) ? `9${n}` : null),
    current: (n) => n.length === 11,
  },
];

function split(e164: string): { variant: Variant; national: string } | null {
  const digits = e164.slice(1);
  const variant = VARIANTS.find((v) => digits.startsWith(v.country));
  return variant ? { variant, national: digits.slice(variant.country.length) } : null;
}

/** The form a number is dialled in today: Brazil with the ninth digit, Mexico without `1`, Argentina with `9`. */
export function canonicalPhone(e164: string): string {
  const found = split(e164);
  if (!found || found.variant.current(found.national)) return e164;
  const other = found.variant.other(found.national);
  return other ? `+${found.variant.country}${other}` : e164;
}

/** Only the characters a written phone number has ("+55 (11) 98765-4321", "11 98765 4321"). */
const PHONE_SEARCH = /^\+?[0-9(][0-9 ().\-/]*$/;

/**
 * A list search (`q`) that reads as a phone number, as people write one: its digits (at least 4, to
 * match inside stored numbers) and, when they make a whole number, every canonical form of it (the
 * lead's `+5511987654321` finds the contact whose wa_id is `551187654321`). Null for any other text.
 */
export function phoneSearchOf(q: string): { digits: string; canonical: string[] } | null {
  const trimmed = q.trim();
  if (!PHONE_SEARCH.test(trimmed)) return null;
  const digits = trimmed.replace(/[^0-9]/g, '');
  if (digits.length < 4) return null;
  return { digits, canonical: [...new Set(phoneMatchKeys(`+${digits}`).map(canonicalPhone))] };
}

/**
 * Every E.164 form a number may be stored under, the given one first. Input: an E.164 number or a
 * wa_id (digits). Empty for something that is not a phone number (a username's user id).
 */
export function phoneMatchKeys(phoneOrWaId: string): string[] {
  const e164 = phoneOrWaId.trim().startsWith('+') ? phoneOrWaId.trim() : waIdToE164(phoneOrWaId);
  if (!e164 || !/^\+[0-9]{8,15}$/.test(e164)) return [];
  const found = split(e164);
  const other = found ? found.variant.other(found.national) : null;
  return other ? [e164, `+${found?.variant.country}${other}`] : [e164];
}
