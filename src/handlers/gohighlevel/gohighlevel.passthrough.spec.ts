// GoHighLevel calendars, free and blocked slots, and contact pushes that add tags instead of overwriting them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OutboundError } from '../../common/outbound/http-client';
import { FakeRequest, FakeServer } from '../../../test/support/fake-server';
import { handlerContext } from '../../../test/support/handler-context';
import { GoHighLevelHandler } from './gohighlevel.handler';

const json = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(__dirname, 'fixtures', name), 'utf8')) as Record<string, unknown>;

const LOCATION = 've9EPM428h8vShlRW1KT';
const config = { locationId: LOCATION, privateIntegrationToken: 'pit-test-token' };
const handler = new GoHighLevelHandler();

let server: FakeServer;
const ctx = () => handlerContext(config, { ghlApi: server.url });

beforeAll(async () => {
  server = await FakeServer.start();
});
afterEach(() => server.reset());
afterAll(async () => {
  await server.close();
});

function expectAuth(req: FakeRequest, version: string): void {
  expect(req.headers.authorization).toBe('Bearer pit-test-token');
  expect(req.headers.version).toBe(version);
}

describe('GoHighLevelHandler passthrough', () => {
  it('lists calendars of the location (Version 2021-04-15)', async () => {
    server.on('GET', '/calendars/', () => ({
      status: 200,
      body: {
        calendars: [
          {
            id: 'BqTwX8QFwXzpegMve9EQ',
            name: 'Consultations',
            description: '30 min call',
            calendarType: 'round_robin',
            isActive: true,
            slotDuration: 30,
            groupId: 'g1',
          },
          { name: 'no id, skipped' },
        ],
      },
    }));
    expect(await handler.listCalendars(ctx())).toEqual([
      {
        id: 'BqTwX8QFwXzpegMve9EQ',
        name: 'Consultations',
        description: '30 min call',
        calendarType: 'round_robin',
        isActive: true,
        groupId: 'g1',
      },
    ]);
    expectAuth(server.requests[0], '2021-04-15');
    expect(server.requests[0].query.get('locationId')).toBe(LOCATION);
  });

  it('asks free slots in epoch milliseconds, from ISO dates or epoch input', async () => {
    server.on('GET', '/calendars/cal-1/free-slots', () => ({
      status: 200,
      body: {
        '2024-10-29': { slots: ['2024-10-29T10:00:00-05:00', '2024-10-29T14:30:00-05:00'] },
        '2024-10-28': { slots: ['2024-10-28T10:00:00-05:00', '2024-10-28T11:00:00-05:00'] },
        traceId: 'trace-1',
      },
    }));
    const slots = await handler.freeSlots(
      ctx(),
      'cal-1',
      '2024-10-28T00:00:00Z',
      '2024-10-30T00:00:00Z',
      'America/Chicago',
    );
    expect(slots).toEqual([
      { date: '2024-10-28', slots: ['2024-10-28T10:00:00-05:00', '2024-10-28T11:00:00-05:00'] },
      { date: '2024-10-29', slots: ['2024-10-29T10:00:00-05:00', '2024-10-29T14:30:00-05:00'] },
    ]);
    const first = server.requests[0];
    expectAuth(first, '2021-04-15');
    expect(first.query.get('startDate')).toBe('1730073600000');
    expect(first.query.get('endDate')).toBe('1730246400000');
    expect(first.query.get('timezone')).toBe('America/Chicago');
    await handler.freeSlots(ctx(), 'cal-1', 1730073600000, '1730246400000');
    expect(server.requests[1].query.get('startDate')).toBe('1730073600000');
    expect(server.requests[1].query.get('endDate')).toBe('1730246400000');
    expect(server.requests[1].query.has('timezone')).toBe(false);
  });

  it('leaves out days that do not exist and slots that are no ISO time, with a warning', async () => {
    server.on('GET', '/calendars/cal-1/free-slots', () => ({
      status: 200,
      body: {
        '2026-12-02': {
          slots: ['2026-12-02T10:00:00+01:00', 'tomorrow', '2026-12-02T25:00:00+01:00', '0000-01-01T10:00:00Z', 42],
        },
        '2026-12-03': { slots: ['2026-12-03T09:00:00Z'] },
        '9999-99-99': { slots: ['2026-12-02T11:00:00+01:00'] },
        '2026-02-30': { slots: ['2026-03-02T11:00:00+01:00'] },
        '2026-12-04': 'closed',
        traceId: 'trace-1',
      },
    }));
    const context = ctx();
    expect(await handler.freeSlots(context, 'cal-1', '2026-12-02', '2026-12-05')).toEqual([
      { date: '2026-12-02', slots: ['2026-12-02T10:00:00+01:00'] },
      { date: '2026-12-03', slots: ['2026-12-03T09:00:00Z'] },
    ]);
    expect(context.logger.lines).toEqual([
      {
        level: 'warn',
        obj: { calendarId: 'cal-1', days: ['9999-99-99', '2026-02-30', '2026-12-04'], slots: 4 },
        msg: 'GoHighLevel free slots: unreadable days or slots left out',
      },
    ]);
  });

  it("passes over the answer's own keys (traceId, `_dates_`): days without slots are no free slots, not a failure", async () => {
    server.on('GET', '/calendars/cal-1/free-slots', () => ({
      status: 200,
      body: { _dates_: { slots: [] }, '2026-12-02': { slots: [] }, traceId: 'trace-2' },
    }));
    const context = ctx();
    expect(await handler.freeSlots(context, 'cal-1', '2026-12-02', '2026-12-05')).toEqual([
      { date: '2026-12-02', slots: [] },
    ]);
    expect(context.logger.lines).toEqual([]);
  });

  it.each<[string, Record<string, unknown>]>([
    ['only days that do not exist', { '9999-99-99': { slots: ['2026-12-02T10:00:00Z'] }, traceId: 't' }],
    ['only slots that are no time', { '2026-12-02': { slots: ['soon', ''] } }],
  ])('fails an answer with %s (502 in the API), not "no free slots"', async (_name, body) => {
    server.on('GET', '/calendars/cal-1/free-slots', () => ({ status: 200, body }));
    await expect(handler.freeSlots(ctx(), 'cal-1', '2026-12-02', '2026-12-05')).rejects.toMatchObject({
      kind: 'server',
      message: 'GET /calendars/cal-1/free-slots answered without one readable free slot',
    });
  });

  it('refuses unusable date ranges before calling GoHighLevel', () => {
    expect(() => handler.freeSlots(ctx(), 'cal-1', 'next week', '2024-10-30')).toThrow(
      'startDate must be an ISO-8601 date or epoch milliseconds',
    );
    expect(() => handler.freeSlots(ctx(), 'cal-1', '2024-10-30', '2024-10-28')).toThrow('endDate is before startDate');
    expect(() => handler.freeSlots(ctx(), 'cal-1', '2024-10-01', '2024-11-02')).toThrow(
      'the free-slots range cannot exceed 31 days',
    );
    expect(server.requests).toHaveLength(0);
  });

  it('blocks a slot once, never retrying the POST', async () => {
    const slot = {
      startTime: '2024-10-28T10:00:00-05:00',
      endTime: '2024-10-28T10:30:00-05:00',
      title: 'Held for lead 42',
    };
    server.on('POST', '/calendars/events/block-slots', (req) => ({
      status: 201,
      body: { id: 'blk-1', locationId: LOCATION, ...(req.body as object) },
    }));
    expect(await handler.blockSlot(ctx(), 'cal-1', slot)).toEqual({ id: 'blk-1', calendarId: 'cal-1', ...slot });
    expectAuth(server.requests[0], '2021-04-15');
    expect(server.requests[0].body).toEqual({ locationId: LOCATION, calendarId: 'cal-1', ...slot });

    server.on('POST', '/calendars/events/block-slots', () => ({ status: 502, body: { message: 'Bad gateway' } }));
    const error: unknown = await handler.blockSlot(ctx(), 'cal-1', slot).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutboundError);
    expect(error).toMatchObject({ kind: 'server', status: 502 });
    expect(server.count('POST', '/calendars/events/block-slots')).toBe(2); // one success, one failed attempt
  });

  it('upserts a contact without its tags, then adds the tags, so the contact keeps the ones it had', async () => {
    const request = json('api.contacts-upsert.request.ASSEMBLED-from-openapi-field-examples.json');
    const lead = {
      firstName: request.firstName as string,
      lastName: request.lastName as string,
      name: request.name as string,
      email: request.email as string,
      phone: request.phone as string,
      companyName: request.companyName as string,
      tags: request.tags as string[],
      source: request.source as string,
    };
    let created = true;
    server.on('POST', '/contacts/upsert', () => ({
      status: 200,
      body: { ...json('api.contacts-upsert.response.ASSEMBLED-from-openapi-field-examples.json'), new: created },
    }));
    server.on('POST', '/contacts/seD4PfOuKoVMLkEZqohJ/tags', (req) => ({ status: 201, body: req.body }));
    expect(await handler.upsertContact(ctx(), lead)).toEqual({ contactId: 'seD4PfOuKoVMLkEZqohJ', created: true });
    expectAuth(server.requests[0], '2021-07-28');
    expect(server.requests[0].body).toEqual({
      locationId: LOCATION,
      firstName: 'Rosan',
      lastName: 'Deo',
      name: 'Rosan Deo',
      email: 'rosan@deos.com',
      phone: '+1 888-888-8888',
      companyName: 'DGS VolMAX',
      source: 'public api',
    });
    // the upsert's tags would overwrite all the contact's tags: they go through Add Tags instead
    expect(server.requests[1]).toMatchObject({
      method: 'POST',
      path: '/contacts/seD4PfOuKoVMLkEZqohJ/tags',
      body: { tags: ['nisi sint commodo amet', 'consequat'] },
    });
    expectAuth(server.requests[1], '2021-07-28');
    created = false;
    expect(await handler.upsertContact(ctx(), { email: 'rosan@deos.com', tags: [] })).toEqual({
      contactId: 'seD4PfOuKoVMLkEZqohJ',
      created: false,
    });
    expect(server.requests[2].body).toEqual({ locationId: LOCATION, email: 'rosan@deos.com' });
    expect(server.requests).toHaveLength(3);
  });

  it('lets a 422 from the upsert propagate as a client OutboundError', async () => {
    server.on('POST', '/contacts/upsert', () => ({
      status: 422,
      body: { statusCode: 422, message: ['email must be an email'], error: 'Unprocessable Entity' },
    }));
    await expect(handler.upsertContact(ctx(), { email: 'nope' })).rejects.toMatchObject({
      name: 'OutboundError',
      kind: 'client',
      status: 422,
      message: 'POST /contacts/upsert answered 422: email must be an email',
    });
    expect(server.count('POST', '/contacts/upsert')).toBe(1);
  });
});
