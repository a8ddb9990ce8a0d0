import { identityKeys, normalizeContact } from './lead-normalizer';

describe('lead normalisation', () => {
  it('normalises phones to E.164 using the region for national numbers, and lower-cases emails', () => {
    const c = normalizeContact(
      { platform: 'meta', externalId: '1', email: '  Jane.Doe@Example.COM ', phone: '(415) 555-2671', source: {} },
      'US',
    );
    expect(c).toEqual(
      expect.objectContaining({ email: 'jane.doe@example.com', phone: '+14155552671', phoneValid: true }),
    );
    expect(
      normalizeContact({ platform: 'meta', externalId: '1', phone: '020 7946 0958', source: {} }, 'GB').phone,
    ).toBe('+442079460958');
    expect(
      normalizeContact({ platform: 'meta', externalId: '1', phone: '+44 20 7946 0958', source: {} }, 'US').phone,
    ).toBe('+442079460958');
  });

  it('keeps an unparseable phone raw, flags it, and does not match on it', () => {
    const c = normalizeContact({ platform: 'meta', externalId: '1', phone: 'call me maybe', source: {} }, 'US');
    expect(c).toEqual(expect.objectContaining({ phone: 'call me maybe', phoneValid: false }));
    expect(identityKeys('meta', '1', c)).toEqual(['ext:meta:1']);
  });

  it('builds the full name from first and last when missing, and orders identity keys strongest first', () => {
    const c = normalizeContact(
      {
        platform: 'google-ads',
        externalId: 'L1',
        firstName: 'Ada',
        lastName: 'Lovelace',
        email: 'ada@example.org',
        phone: '+14155552671',
        source: {},
      },
      'US',
    );
    expect(c.fullName).toBe('Ada Lovelace');
    expect(c.partialName).toBeNull();
    expect(identityKeys('google-ads', 'L1', c)).toEqual([
      'ext:google-ads:L1',
      'phone:+14155552671',
      'email:ada@example.org',
    ]);
  });

  it('keeps a lone first or last name apart from the full name, so it cannot replace a stored one', () => {
    const lead = (names: { fullName?: string; firstName?: string; lastName?: string }) =>
      normalizeContact({ platform: 'manual', externalId: 'x', source: {}, ...names }, 'US');
    expect(lead({ firstName: 'Ann' })).toMatchObject({ fullName: null, partialName: 'Ann', firstName: 'Ann' });
    expect(lead({ lastName: 'Smith' })).toMatchObject({ fullName: null, partialName: 'Smith' });
    expect(lead({ fullName: 'Ann Smith', firstName: 'Ann' })).toMatchObject({
      fullName: 'Ann Smith',
      partialName: null,
    });
    expect(lead({})).toMatchObject({ fullName: null, partialName: null });
  });
});
