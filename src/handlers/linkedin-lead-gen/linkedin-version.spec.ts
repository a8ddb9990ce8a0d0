// The default LinkedIn-Version rule, pinned with injected clocks over ten years.
import {
  defaultLinkedInVersions,
  LINKEDIN_VERSION_SUPPORT_MONTHS,
  linkedInVersionAgeMonths,
  linkedInVersionFor,
} from './linkedin-version';

// The rule is pinned with injected clocks: the default is never a sunset version, whatever the date.
describe('LinkedIn-Version default', () => {
  it('is last month on 2026-11-30, after 202510 was sunset on 2026-10-15', () => {
    expect(linkedInVersionFor(new Date('2026-11-30T23:59:59Z'))).toBe('202610');
    expect(defaultLinkedInVersions(new Date('2026-11-30T00:00:00Z'))).toEqual(['202610', '202609']);
    expect(linkedInVersionFor(new Date('2027-01-01T00:00:00Z'))).toBe('202612');
  });

  it('steps over the months LinkedIn released no version for (no 202512 in the migrations table)', () => {
    expect(defaultLinkedInVersions(new Date('2026-01-20T00:00:00Z'))).toEqual(['202511', '202510']);
    expect(defaultLinkedInVersions(new Date('2026-02-02T00:00:00Z'))).toEqual(['202601', '202511']);
  });

  it('stays within the supported year, and at least a month old, for every day from 2026 to 2035', () => {
    for (let day = Date.UTC(2026, 0, 1); day < Date.UTC(2036, 0, 1); day += 24 * 3600_000) {
      const now = new Date(day);
      for (const version of defaultLinkedInVersions(now)) {
        const age = linkedInVersionAgeMonths(version, now) ?? -1;
        expect(age).toBeGreaterThanOrEqual(1);
        // even the fallback (over a skipped month) keeps nine months of LinkedIn's year of support
        expect(age).toBeLessThanOrEqual(3);
        expect(LINKEDIN_VERSION_SUPPORT_MONTHS - age).toBeGreaterThanOrEqual(9);
        expect(version).not.toBe('202512');
      }
    }
  });

  it('reads version ages', () => {
    expect(linkedInVersionAgeMonths('202510', new Date('2026-11-30T00:00:00Z'))).toBe(13);
    expect(linkedInVersionAgeMonths('2026-10', new Date('2026-11-30T00:00:00Z'))).toBeUndefined();
    expect(linkedInVersionAgeMonths('202613', new Date('2026-11-30T00:00:00Z'))).toBeUndefined();
  });
});
