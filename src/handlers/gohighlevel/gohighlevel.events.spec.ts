// GoHighLevel appointment updates/deletes, contact deletes and tag updates, opportunity stages, and the incremental contact sync.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeRequest, FakeServer } from '../../../test/support/fake-server';
import { handlerContext } from '../../../test/support/handler-context';
import type { StoredEvent } from '../integration-handler';
import { GoHighLevelHandler } from './gohighlevel.handler';

const json = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(__dirname, 'fixtures', name), 'utf8')) as Record<string, unknown>;

const LOCATION = 've9EPM428h8vShlRW1KT';
const config = { locationId: LOCATION, privateIntegrationToken: 'pit-test-token' };
const NOW = new Date('2026-11-30T12:00:00Z');
const handler = new GoHighLevelHandler();

let server: FakeServer;
const ctx = () => handlerContext(config, { ghlApi: server.url }, { now: NOW });
beforeAll(async () => {
  server = await FakeServer.start();
});
afterEach(() => server.reset());
afterAll(() => server.close());

/** As the pipeline stores it: the event type is the payload's own `type`. */
function stored(payload: Record<string, unknown>): StoredEvent {
  const [event] = handler.webhook.extractEvents(payload, { rawBody: Buffer.from('{}'), headers: {}, receivedAt: NOW });
  return { id: '1', eventType: event.eventType, externalId: event.externalId, payload, receivedAt: NOW };
}
const apply = (payload: Record<string, unknown>) => handler.processWebhook(stored(payload), ctx());

describe('GoHighLevel events users expect (issue 10 point 4)', () => {
  it('applies AppointmentUpdate as a reschedule or cancellation of the same booking', async () => {
    // the docs' example is labelled AppointmentCreate (fixtures/README.md); a real update says AppointmentUpdate
    const update: Record<string, unknown> = { ...json('AppointmentUpdate.json'), type: 'AppointmentUpdate' };
    const appointment = update.appointment as Record<string, unknown>;
    const rescheduled = {
      ...update,
      appointment: { ...appointment, startTime: '2023-09-26T10:00:00+05:30', appointmentStatus: 'cancelled' },
    };
    expect(await apply(rescheduled)).toEqual({
      leads: [],
      bookings: [
        {
          platform: 'gohighlevel',
          externalId: '9NkT25Vor1v4aQatFsv2',
          externalBookingId: '0007BWpSzSwfiuSl0tR2',
          calendarId: 'BqTwX8QFwXzpegMve9EQ',
          title: 'Appointment with GHL Dev team',
          startTime: '2023-09-26T10:00:00+05:30',
          endTime: '2023-09-25T16:00:00+05:30',
          status: 'cancelled',
          // orders it against the booking's other deliveries, which may be applied out of order
          changedAt: '2023-09-25T16:00:00+05:30',
        },
      ],
    });
  });

  it("dates an appointment change without dateUpdated by the body's timestamp, else by its arrival", async () => {
    const update: Record<string, unknown> = { ...json('AppointmentUpdate.json'), type: 'AppointmentUpdate' };
    const { dateUpdated: _dropped, ...appointment } = update.appointment as Record<string, unknown>;
    const timed = await apply({ ...update, appointment, timestamp: '2026-11-30T11:59:58.000Z' });
    expect(timed.bookings?.[0].changedAt).toBe('2026-11-30T11:59:58.000Z');
    const untimed = await apply({ ...update, appointment });
    expect(untimed.bookings?.[0].changedAt).toBe(NOW.toISOString());
  });

  it('keeps a deleted appointment as a booking with status deleted', async () => {
    const outcome = await apply({ ...json('AppointmentDelete.json'), type: 'AppointmentDelete' });
    expect(outcome.bookings).toEqual([
      expect.objectContaining({ externalBookingId: '0007BWpSzSwfiuSl0tR2', status: 'deleted' }),
    ]);
  });

  it('marks the lead of a deleted contact, and takes ContactTagUpdate as the contact with its tags', async () => {
    expect(await apply(json('ContactDelete.json'))).toEqual({
      leads: [],
      deletedLeads: [{ platform: 'gohighlevel', externalId: 'nmFmQEsNgz6AVpgLVUJ0' }],
    });
    const { leads } = await apply(json('ContactTagUpdate.json'));
    expect(leads).toEqual([
      expect.objectContaining({
        externalId: 'nmFmQEsNgz6AVpgLVUJ0',
        tags: ['id magna sed Lorem', 'Duis dolor commodo aliqua'],
        email: 'JohnDeo@gmail.comm',
      }),
    ]);
  });

  it('puts the pipeline stage on the lead, named from the location pipelines', async () => {
    server.on('GET', '/opportunities/pipelines', (req: FakeRequest) => {
      expect(req.query.get('locationId')).toBe(LOCATION);
      expect(req.headers.version).toBe('2021-07-28');
      return {
        status: 200,
        body: {
          pipelines: [
            {
              id: 'VDm7RPYC2GLUvdpKmBfC',
              name: 'Sales',
              stages: [
                { id: 'a0', name: 'New lead' },
                { id: 'e93ba61a-53b3-45e7-985a-c7732dbcdb69', name: 'Proposal sent' },
              ],
            },
          ],
        },
      };
    });
    expect(await apply(json('OpportunityStageUpdate.json'))).toEqual({
      leads: [],
      stageChanges: [
        {
          platform: 'gohighlevel',
          externalId: 'cJAWDskpkJHbRbhAT7bs',
          opportunityId: 'wWhVuzqpRuOA1ZVWi4FC',
          pipelineId: 'VDm7RPYC2GLUvdpKmBfC',
          pipelineName: 'Sales',
          stageId: 'e93ba61a-53b3-45e7-985a-c7732dbcdb69',
          stageName: 'Proposal sent',
          opportunityStatus: 'open',
          changedAt: NOW.toISOString(),
        },
      ],
    });
  });

  it('keeps the stage by id when the pipelines cannot be read, and ignores an update without a stage', async () => {
    server.on('GET', '/opportunities/pipelines', () => ({ status: 403, body: { message: 'scope missing' } }));
    const context = ctx();
    const outcome = await handler.processWebhook(stored(json('OpportunityStageUpdate.json')), context);
    expect(outcome.stageChanges?.[0]).toEqual(
      expect.objectContaining({ stageId: 'e93ba61a-53b3-45e7-985a-c7732dbcdb69' }),
    );
    expect(outcome.stageChanges?.[0].stageName).toBeUndefined();
    expect(context.logger.lines).toEqual([
      expect.objectContaining({ level: 'warn', obj: { status: 403, kind: 'auth' } }),
    ]);
    const { pipelineStageId: _omitted, ...withoutStage } = json('OpportunityStageUpdate.json');
    expect(await apply(withoutStage)).toEqual({
      leads: [],
      ignoredReason: 'opportunity stage update without contact, pipeline or stage',
    });
  });
});

describe('GoHighLevel incremental contact sync', () => {
  const contact = (id: string, dateUpdated: string) => ({ id, email: `${id}@example.com`, dateUpdated });
  /** The search honouring the documented dateUpdated range filter. */
  const store = [
    contact('c1', '2026-11-01T00:00:00.000Z'),
    contact('c2', '2026-11-20T09:00:00.000Z'),
    contact('c3', '2026-11-28T15:30:00.000Z'),
  ];
  const search = (req: FakeRequest) => {
    const filters = (req.body as { filters?: Array<{ field: string; operator: string; value: { gte: string } }> })
      .filters;
    const since = filters?.find((f) => f.field === 'dateUpdated' && f.operator === 'range')?.value.gte;
    const matching = store.filter((c) => since === undefined || Date.parse(c.dateUpdated) >= Date.parse(since));
    return { status: 200, body: { contacts: matching, total: matching.length } };
  };

  it('reads everything once, then only the contacts updated since the latest change it saw', async () => {
    server.on('POST', '/contacts/search', search);
    const first = await handler.syncData(ctx(), null);
    expect(first.leads.map((l) => l.externalId)).toEqual(['c1', 'c2', 'c3']);
    expect(first).toMatchObject({
      nextCursor: null,
      nextRunCursor: JSON.stringify({ since: '2026-11-28T15:30:00.000Z' }),
    });

    store.push(contact('c4', '2026-11-30T11:00:00.000Z'));
    const second = await handler.syncData(ctx(), first.nextRunCursor ?? null);
    // c3 again (same instant, inclusive) is counted unchanged by the pipeline; c4 is new
    expect(second.leads.map((l) => l.externalId)).toEqual(['c3', 'c4']);
    expect((server.requests[1].body as { filters: unknown }).filters).toEqual([
      { field: 'dateUpdated', operator: 'range', value: { gte: '2026-11-28T15:30:00.000Z' } },
    ]);
    expect(second.nextRunCursor).toBe(JSON.stringify({ since: '2026-11-30T11:00:00.000Z' }));

    // nothing changed: the next run keeps its starting point
    store.length = 0;
    const third = await handler.syncData(ctx(), second.nextRunCursor ?? null);
    expect(third).toMatchObject({ fetched: 0, nextRunCursor: JSON.stringify({ since: '2026-11-30T11:00:00.000Z' }) });
  });

  it('refuses a cursor that is neither a position nor a start time', async () => {
    await expect(handler.syncData(ctx(), JSON.stringify({ since: 'not a date' }))).rejects.toThrow(
      'invalid GoHighLevel sync cursor',
    );
  });
});
