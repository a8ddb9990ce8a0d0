// LAST_7_DAYS, LAST_30_DAYS, THIS_MONTH, LAST_MONTH against an injected now, in the tenant's zone.
import { formatCivilDate } from './civil-date';
import { resolveRelativeRange } from './relative-range';

const show = (r: ReturnType<typeof resolveRelativeRange>) => ({
  start: r.start.toISOString(),
  end: r.end.toISOString(),
  from: formatCivilDate(r.fromDate),
  to: formatCivilDate(r.toDate),
  kind: r.kind,
});

describe('resolveRelativeRange', () => {
  const at = (text: string) => new Date(text);
  const dates = (r: ReturnType<typeof resolveRelativeRange>) => [
    formatCivilDate(r.fromDate),
    formatCivilDate(r.toDate),
  ];

  it('resolves "today" in the zone, not in UTC', () => {
    // 02:00Z on 1 March is still 29 February 23:00 in Sao Paulo.
    const now = at('2024-03-01T02:00:00Z');
    expect(dates(resolveRelativeRange('LAST_7_DAYS', 'America/Sao_Paulo', now))).toEqual(['2024-02-22', '2024-02-28']);
    expect(dates(resolveRelativeRange('LAST_30_DAYS', 'America/Sao_Paulo', now))).toEqual(['2024-01-30', '2024-02-28']);
    expect(dates(resolveRelativeRange('THIS_MONTH', 'America/Sao_Paulo', now))).toEqual(['2024-02-01', '2024-02-29']);
    expect(dates(resolveRelativeRange('LAST_MONTH', 'America/Sao_Paulo', now))).toEqual(['2024-01-01', '2024-01-31']);
    expect(dates(resolveRelativeRange('LAST_7_DAYS', 'UTC', now))).toEqual(['2024-02-23', '2024-02-29']);
    expect(dates(resolveRelativeRange('THIS_MONTH', 'UTC', now))).toEqual(['2024-03-01', '2024-03-01']);
    expect(dates(resolveRelativeRange('LAST_MONTH', 'UTC', now))).toEqual(['2024-02-01', '2024-02-29']);
    // 18:40Z on 31 January is already 1 February in Kolkata.
    expect(dates(resolveRelativeRange('LAST_MONTH', 'Asia/Kolkata', at('2024-01-31T18:40:00Z')))).toEqual([
      '2024-01-01',
      '2024-01-31',
    ]);
  });

  it('gives whole local days as UTC instants across a DST change', () => {
    const range = resolveRelativeRange('LAST_7_DAYS', 'America/New_York', at('2024-03-12T12:00:00Z'));
    expect(show(range)).toEqual({
      start: '2024-03-05T05:00:00.000Z',
      end: '2024-03-12T04:00:00.000Z',
      from: '2024-03-05',
      to: '2024-03-11',
      kind: 'dates',
    });
  });
});
