// Schedule validation: frequencies, ISO weekdays, month days and HH:MM, every problem listed.
import { parseReportSchedule, scheduleTime } from './report-schedule';

const failure = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a failure');
};

describe('parseReportSchedule', () => {
  it('reads the three frequencies with their day and local time', () => {
    expect(parseReportSchedule({ frequency: 'DAILY', time: '08:00' }, 'America/Sao_Paulo')).toEqual({
      frequency: 'DAILY',
      hour: 8,
      minute: 0,
      timezone: 'America/Sao_Paulo',
    });
    expect(parseReportSchedule({ frequency: 'WEEKLY', dayOfWeek: 7, time: '23:59' }, 'UTC')).toMatchObject({
      dayOfWeek: 7,
      hour: 23,
      minute: 59,
    });
    const monthly = parseReportSchedule({ frequency: 'MONTHLY', dayOfMonth: 31, time: '00:00' }, 'Asia/Kolkata');
    expect(monthly).toMatchObject({ dayOfMonth: 31, hour: 0, minute: 0 });
    expect(scheduleTime(monthly)).toBe('00:00');
  });

  it('lists every problem under schedule.* as VALIDATION_FAILED', () => {
    const cases: Array<[unknown, string[]]> = [
      [{ frequency: 'HOURLY', time: '08:00' }, ['schedule.frequency']],
      [{ frequency: 'DAILY', time: '24:00' }, ['schedule.time']],
      [{ frequency: 'DAILY', time: '8:00' }, ['schedule.time']],
      [{ frequency: 'DAILY', time: '08:00', dayOfWeek: 1 }, ['schedule.dayOfWeek']],
      [{ frequency: 'WEEKLY', time: '08:00' }, ['schedule.dayOfWeek']],
      [{ frequency: 'WEEKLY', time: '08:00', dayOfWeek: 0 }, ['schedule.dayOfWeek']], // ISO: Sunday is 7
      [{ frequency: 'WEEKLY', time: '08:00', dayOfWeek: 1.5 }, ['schedule.dayOfWeek']],
      [{ frequency: 'MONTHLY', time: '08:00', dayOfMonth: 32 }, ['schedule.dayOfMonth']],
      [{ frequency: 'MONTHLY', time: '08:00', dayOfMonth: '1' }, ['schedule.dayOfMonth']],
      [{ frequency: 'MONTHLY', time: '08:00', dayOfMonth: 1, dayOfWeek: 2 }, ['schedule.dayOfWeek']],
      [{ time: 99 }, ['schedule.frequency', 'schedule.time']],
      ['DAILY', ['schedule']],
    ];
    for (const [input, fields] of cases) {
      const error = failure(() => parseReportSchedule(input, 'UTC')) as {
        code: string;
        details: Array<{ field: string }>;
      };
      expect(error.code).toBe('VALIDATION_FAILED');
      expect(error.details.map((d) => d.field)).toEqual(fields);
    }
    expect(failure(() => parseReportSchedule({ frequency: 'DAILY', time: '08:00' }, 'Nowhere/Land'))).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [{ field: 'timezone' }],
    });
  });
});
