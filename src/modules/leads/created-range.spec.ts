import { DomainException } from '../../common/errors/domain.exception';
import { createdRange, needsCalendar } from './created-range';

describe('createdRange', () => {
  it('reads a date as the whole local day, a 23-hour one across a DST change included', () => {
    // New York springs forward on 2026-03-08: midnight is 05:00Z, the next midnight 04:00Z
    expect(createdRange('2026-03-08', '2026-03-08', 'America/New_York')).toEqual({
      createdFrom: new Date('2026-03-08T05:00:00.000Z'),
      createdTo: new Date('2026-03-09T03:59:59.999Z'),
    });
    expect(createdRange('2026-03-10', '2026-03-10', 'UTC')).toEqual({
      createdFrom: new Date('2026-03-10T00:00:00.000Z'),
      createdTo: new Date('2026-03-10T23:59:59.999Z'),
    });
  });

  it('takes timestamps as given and leaves out what is not given', () => {
    expect(createdRange('2026-03-10T02:00:00Z', undefined, 'Asia/Tokyo')).toEqual({
      createdFrom: new Date('2026-03-10T02:00:00Z'),
      createdTo: undefined,
    });
    expect(needsCalendar('2026-03-10T02:00:00Z', undefined)).toBe(false);
    expect(needsCalendar(undefined, '2026-03-10')).toBe(true);
  });

  it('refuses an upside-down range naming the fields it was given', () => {
    let thrown: unknown;
    try {
      createdRange('2026-03-11', '2026-03-10', 'UTC', ['filter.createdFrom', 'filter.createdTo']);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(DomainException);
    expect((thrown as DomainException).status).toBe(400);
    expect(JSON.stringify((thrown as DomainException).details)).toMatch(/filter\.createdFrom[\s\S]*filter\.createdTo/);
  });
});
