import { CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js';
import type { LeadInput } from '../../handlers/handler-types';

export interface NormalizedContact {
  email: string | null;
  phone: string | null;
  phoneValid: boolean;
  /** The name given, or first and last name together. */
  fullName: string | null;
  /**
   * Only a first or only a last name, when no full name was given: it names a new lead, or one with
   * no full name yet, but never replaces a stored full name ("Ann" must not turn "Ann Smith" into "Ann").
   */
  partialName: string | null;
  firstName: string | null;
  lastName: string | null;
}

export const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function clean(value: string | undefined, max = 500): string | null {
  const trimmed = value?.trim();
  return trimmed ? trimmed.slice(0, max) : null;
}

/**
 * An e-mail as leads are matched by it: lower-cased, in Unicode NFC, so an address typed with combining
 * accents ("e" + U+0301) and the same address precomposed ("é"), canonically equivalent strings, are one
 * identity key (RFC 6532 section 3.1: internationalized addresses SHOULD be in normalization form NFC).
 */
export function normalizeEmail(email: string): string {
  return email.normalize('NFC').toLowerCase();
}

/** Emails trimmed, NFC and lower-cased; phones to E.164 (the sub-account's region for national numbers), else kept raw and flagged. */
export function normalizeContact(lead: LeadInput, defaultRegion: string): NormalizedContact {
  const rawEmail = clean(lead.email, 320);
  const email = rawEmail === null ? null : normalizeEmail(rawEmail);
  const rawPhone = clean(lead.phone, 64);
  let phone: string | null = null;
  let phoneValid = true;
  if (rawPhone) {
    const parsed = parsePhoneNumberFromString(rawPhone, defaultRegion as CountryCode);
    if (parsed?.isValid()) phone = parsed.number;
    else {
      phone = rawPhone;
      phoneValid = false;
    }
  }
  const firstName = clean(lead.firstName, 200);
  const lastName = clean(lead.lastName, 200);
  const given = clean(lead.fullName, 400);
  const fullName = given ?? (firstName && lastName ? `${firstName} ${lastName}` : null);
  const partialName = given === null && fullName === null ? (firstName ?? lastName) : null;
  return {
    email: email && EMAIL.test(email) ? email : email,
    phone,
    phoneValid,
    fullName,
    partialName,
    firstName,
    lastName,
  };
}

/**
 * The identity key of a platform id: `ext:<platform>:<id>`, or `ext:<platform>@<integration>:<id>`
 * for ids unique only within the integration that sent them (LeadInput.externalIdScope).
 */
export function externalKey(platform: string, externalId: string, integrationId?: number | null): string {
  return integrationId === undefined || integrationId === null
    ? `ext:${platform}:${externalId}`
    : `ext:${platform}@${integrationId}:${externalId}`;
}

/** The identity keys a lead is matched by, strongest first (the platform's other ids for the person right after its main one). */
export function identityKeys(
  platform: string,
  externalId: string,
  contact: NormalizedContact,
  otherExternalIds: readonly string[] = [],
  scopeIntegrationId?: number | null,
): string[] {
  const keys = [externalKey(platform, externalId, scopeIntegrationId)];
  for (const other of otherExternalIds)
    if (other !== externalId) keys.push(externalKey(platform, other, scopeIntegrationId));
  if (contact.phone && contact.phoneValid) keys.push(`phone:${contact.phone}`);
  if (contact.email && EMAIL.test(contact.email)) keys.push(`email:${contact.email}`);
  return keys;
}
