// The report config's JSON Schema and the schedule's checks, field by field.
import { assertReportRange, parseReportConfig, parseScheduleInput } from './report-config';

const failure = (fn: () => unknown): { code: string; details: Array<Record<string, unknown>> } => {
  try {
    fn();
  } catch (e) {
    return e as { code: string; details: Array<Record<string, unknown>> };
  }
  throw new Error('expected a failure');
};

describe('parseReportConfig', () => {
  it('fills the defaults of a minimal config and keeps a fixed range', () => {
    expect(parseReportConfig({ metrics: ['newLeads'], dateRange: 'LAST_MONTH' })).toEqual({
      metrics: ['newLeads'],
      filters: {},
      groupBy: [],
      dateRange: 'LAST_MONTH',
      chartTypes: ['table'],
    });
    expect(
      parseReportConfig({
        metrics: ['spend', 'costPerLead'],
        filters: { source: ['meta'], status: ['CONVERTED'], campaignId: ['c1'], integrationId: [3] },
        groupBy: ['campaign', 'week'],
        dateRange: { from: '2024-02-01', to: '2024-02-29' },
        chartTypes: ['line', 'pie'],
      }).groupBy,
    ).toEqual(['campaign', 'week']);
  });

  it.each([
    [{ metrics: [], dateRange: 'LAST_7_DAYS' }, '/config/metrics'],
    [{ metrics: ['newLeads', 'newLeads'], dateRange: 'LAST_7_DAYS' }, '/config/metrics'],
    [{ metrics: ['newLeads'], dateRange: 'YESTERDAY' }, '/config/dateRange'],
    [{ metrics: ['newLeads'], dateRange: { from: '2024-02-30', to: '2024-03-01' } }, '/config/dateRange/from'],
    [{ metrics: ['newLeads'], dateRange: 'LAST_7_DAYS', groupBy: ['day', 'week', 'month'] }, '/config/groupBy'],
    [{ metrics: ['newLeads'], dateRange: 'LAST_7_DAYS', filters: { status: ['WON'] } }, '/config/filters/status/0'],
    [{ metrics: ['newLeads'], dateRange: 'LAST_7_DAYS', filters: { owner: 'x' } }, '/config/filters/owner'],
    [{ metrics: ['newLeads'], dateRange: 'LAST_7_DAYS', chartTypes: ['donut'] }, '/config/chartTypes/0'],
  ])('refuses %j at %s with CONFIG_SCHEMA_INVALID', (config, pointer) => {
    const error = failure(() => parseReportConfig(config));
    expect(error.code).toBe('CONFIG_SCHEMA_INVALID');
    expect(error.details.map((d) => d.pointer)).toContain(pointer);
  });

  it('refuses a fixed range that ends before it starts', () => {
    const error = failure(() =>
      parseReportConfig({ metrics: ['newLeads'], dateRange: { from: '2024-03-02', to: '2024-03-01' } }),
    );
    expect(error).toMatchObject({ code: 'CONFIG_SCHEMA_INVALID', details: [{ pointer: '/config/dateRange/to' }] });
  });
});

describe('a fixed dateRange of ISO instants (as analytics and generate take them)', () => {
  it('keeps instants, and a date with an instant', () => {
    for (const dateRange of [
      { from: '2024-03-01T00:00:00Z', to: '2024-03-08T00:00:00.000Z' },
      { from: '2024-03-01T09:30:00+05:30', to: '2024-03-01T18:00:00.123456+05:30' },
      { from: '2024-03-01', to: '2024-03-08T00:00:00Z' },
    ]) {
      expect(parseReportConfig({ metrics: ['newLeads'], dateRange }).dateRange).toEqual(dateRange);
    }
  });

  it.each([
    [{ from: '2024-03-01T10:00', to: '2024-03-02' }, '/config/dateRange/from'],
    [{ from: '2024-03-01', to: '2024-03-02T25:00:00Z' }, '/config/dateRange/to'],
    [{ from: '1899-12-31T23:00:00Z', to: '2024-03-02' }, '/config/dateRange/from'],
    [{ from: '2024-03-02T00:00:00Z', to: '2024-03-01T00:00:00Z' }, '/config/dateRange/to'],
    [{ from: '2024-03-02T00:00:00Z', to: '2024-03-02T00:00:00Z' }, '/config/dateRange/to'],
  ])('refuses %j at %s', (dateRange, pointer) => {
    const error = failure(() => parseReportConfig({ metrics: ['newLeads'], dateRange }));
    expect(error.code).toBe('CONFIG_SCHEMA_INVALID');
    expect(error.details.map((d) => d.pointer)).toContain(pointer);
  });

  it('limits an instant range to the longest report range, in the sub-account zone', () => {
    const long = parseReportConfig({
      metrics: ['newLeads'],
      dateRange: { from: '2000-01-01T00:00:00Z', to: '2024-01-01T00:00:00Z' },
    });
    expect(failure(() => assertReportRange(long, 'UTC'))).toMatchObject({
      code: 'CONFIG_SCHEMA_INVALID',
      details: [{ pointer: '/config/dateRange/to' }],
    });
    // a local date before an instant on the same day: fine in UTC, upside down in Tokyo (09:00 local)
    const mixed = parseReportConfig({
      metrics: ['newLeads'],
      dateRange: { from: '2024-03-02', to: '2024-03-02T00:00:00Z' },
    });
    expect(failure(() => assertReportRange(mixed, 'UTC'))).toMatchObject({ code: 'CONFIG_SCHEMA_INVALID' });
    expect(() => assertReportRange(mixed, 'Asia/Tokyo')).not.toThrow();
    expect(() =>
      assertReportRange(
        parseReportConfig({ metrics: ['newLeads'], dateRange: { from: '2024-03-01', to: '2024-03-31' } }),
        'UTC',
      ),
    ).not.toThrow();
  });
});

describe('parseScheduleInput', () => {
  it('reads a weekly schedule in the sub-account zone', () => {
    const { input, rule } = parseScheduleInput(
      { frequency: 'WEEKLY', dayOfWeek: 5, time: '17:30', recipients: ['a@example.com'] },
      'Asia/Kolkata',
    );
    expect(input.recipients).toEqual(['a@example.com']);
    expect(rule).toEqual({ frequency: 'WEEKLY', dayOfWeek: 5, hour: 17, minute: 30, timezone: 'Asia/Kolkata' });
  });

  it('refuses bad recipients and unknown fields before the rule is read', () => {
    expect(
      failure(() => parseScheduleInput({ frequency: 'DAILY', time: '08:00', recipients: ['nobody'] }, 'UTC')),
    ).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ field: 'schedule.recipients.0' }] });
    expect(
      failure(() => parseScheduleInput({ frequency: 'DAILY', time: '08:00', recipients: [] }, 'UTC')),
    ).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ field: 'schedule.recipients' }] });
    expect(
      failure(() =>
        parseScheduleInput({ frequency: 'DAILY', time: '08:00', recipients: ['a@b.co'], cron: '*' }, 'UTC'),
      ),
    ).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(
      failure(() => parseScheduleInput({ frequency: 'DAILY', time: '8:00', recipients: ['a@b.co'] }, 'UTC')),
    ).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ field: 'schedule.time' }] });
  });
});
