// The report config's JSON Schema and the schedule's checks, field by field.
import { parseReportConfig, parseScheduleInput } from './report-config';

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
