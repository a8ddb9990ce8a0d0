// E.164 normalisation and the wa_id variants of Brazil (ninth digit), Mexico (521) and Argentina (549).
import { canonicalPhone, normalizePhone, phoneMatchKeys, waIdToE164 } from './phone-match';

describe('waIdToE164', () => {
  it('prefixes a wa_id with + and refuses what is not a phone number', () => {
    expect(waIdToE164('16505551234')).toBe('+16505551234');
    expect(waIdToE164('+16505551234')).toBe('+16505551234');
    expect(waIdToE164('US.13491208655302741918')).toBeNull();
    expect(waIdToE164('1234')).toBeNull();
    expect(waIdToE164('')).toBeNull();
  });
});

describe('normalizePhone', () => {
  it.each([
    ['(11) 98765-4321', 'BR', '+5511987654321'],
    ['+55 11 98765-4321', undefined, '+5511987654321'],
    ['011 15 2345-6789', 'AR', '+5491123456789'],
    ['+52 1 55 1234 5678', undefined, '+525512345678'],
    ['5215512345678', 'MX', '+525512345678'],
    ['(650) 555-1234', 'us', '+16505551234'],
  ])('%s in %s → %s', (raw, region, expected) => {
    expect(normalizePhone(raw, region)).toBe(expected);
  });

  it('returns null for what is not a valid number', () => {
    expect(normalizePhone('', 'BR')).toBeNull();
    expect(normalizePhone('call me', 'BR')).toBeNull();
    expect(normalizePhone('12', 'US')).toBeNull();
    expect(normalizePhone('16505551234')).toBeNull(); // no region, no country code
  });
});

describe('phoneMatchKeys', () => {
  it('matches a Brazilian wa_id without the ninth digit to the lead number with it, both ways', () => {
    expect(phoneMatchKeys('551187654321')).toEqual(['+551187654321', '+5511987654321']);
    expect(phoneMatchKeys('+5511987654321')).toEqual(['+5511987654321', '+551187654321']);
    expect(phoneMatchKeys('5521964180266')).toEqual(['+5521964180266', '+552164180266']);
  });

  it('does not invent a ninth digit for Brazilian landlines', () => {
    expect(phoneMatchKeys('+551132654321')).toEqual(['+551132654321']);
    // a nine-digit number whose next digit is a landline range is not a mobile with an added 9
    expect(phoneMatchKeys('+5511932654321')).toEqual(['+5511932654321']);
  });

  it("matches Mexico's 521 wa_id to the 52 number", () => {
    expect(phoneMatchKeys('5215512345678')).toEqual(['+5215512345678', '+525512345678']);
    expect(phoneMatchKeys('+525512345678')).toEqual(['+525512345678', '+5215512345678']);
  });

  it("matches Argentina's 549 mobile form to the form without the 9", () => {
    expect(phoneMatchKeys('5491123456789')).toEqual(['+5491123456789', '+541123456789']);
    expect(phoneMatchKeys('+541123456789')).toEqual(['+541123456789', '+5491123456789']);
  });

  it('returns one key elsewhere and none for user ids or garbage', () => {
    expect(phoneMatchKeys('16505551234')).toEqual(['+16505551234']);
    expect(phoneMatchKeys('+447700900123')).toEqual(['+447700900123']);
    expect(phoneMatchKeys('US.13491208655302741918')).toEqual([]);
    expect(phoneMatchKeys('+12')).toEqual([]);
    expect(phoneMatchKeys('+1 650 555 1234')).toEqual([]);
  });
});

describe('canonicalPhone', () => {
  it('gives the form dialled today', () => {
    expect(canonicalPhone('+551187654321')).toBe('+5511987654321');
    expect(canonicalPhone('+5511987654321')).toBe('+5511987654321');
    expect(canonicalPhone('+5215512345678')).toBe('+525512345678');
    expect(canonicalPhone('+541123456789')).toBe('+5491123456789');
    expect(canonicalPhone('+551132654321')).toBe('+551132654321');
    expect(canonicalPhone('+16505551234')).toBe('+16505551234');
  });
});
