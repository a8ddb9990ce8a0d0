import { batchEventIds, batchEvents, batchIdsByKey, batchPayload, idDedupKey, namedIdsByKey } from './webhook-batch';

const batchRow = (payload: unknown) => ({
  id: 7n,
  integrationId: 3,
  subAccountId: 2,
  provider: 'whatsapp-cloud',
  payload,
});

describe('a big delivery stored as one batch row', () => {
  const extracted = [
    { externalId: 'wamid.a', eventType: 'message', payload: { id: 'wamid.a' } },
    { externalId: null, eventType: 'errors', payload: { code: 1 } },
    { externalId: 'wamid.a', eventType: 'message', payload: { id: 'wamid.a' } },
  ];

  it('keeps the id its acknowledgement named for each event, in the delivery order', () => {
    const payload = batchPayload(extracted, ['101', '102', '101']);
    expect(batchEventIds(payload)).toEqual(['101', '102', '101']);
    expect(batchEvents(batchRow(payload))).toEqual([
      expect.objectContaining({ id: '101', dedupKey: idDedupKey('wamid.a'), eventType: 'message', integrationId: 3 }),
      // an item without a provider id is keyed by its place in the batch
      expect.objectContaining({ id: '102', dedupKey: 'batch:7:1', externalId: null, subAccountId: 2 }),
      expect.objectContaining({ id: '101', dedupKey: idDedupKey('wamid.a') }),
    ]);
  });

  it('finds the id named for an event by its dedup key (a reordered copy answers from it)', () => {
    const payload = batchPayload(extracted, ['101', '102', '101']);
    expect([...batchIdsByKey(payload)]).toEqual([[idDedupKey('wamid.a'), '101']]);
    expect(batchIdsByKey({ events: extracted }).size).toBe(0);
  });

  it('names no ids for a batch stored before events had them, and leaves them to the sequence', () => {
    const old = { events: extracted };
    expect(batchEventIds(old)).toBeNull();
    expect(batchEvents(batchRow(old)).map((e) => e.id)).toEqual([undefined, undefined, undefined]);
  });

  it('takes no id that is not a positive bigint, and no items from something that is not a batch', () => {
    const payload = batchPayload(extracted.slice(0, 2), ['0', '99999999999999999999']);
    expect(batchEventIds(payload)).toBeNull();
    expect(batchEvents(batchRow(payload)).map((e) => e.id)).toEqual([undefined, undefined]);
    for (const junk of [null, 'x', { events: 'x' }, { events: [] }]) {
      expect(batchEventIds(junk)).toBeNull();
      expect(batchEvents(batchRow(junk))).toEqual([]);
    }
  });

  it("takes the oldest unexpanded batch's id for an event several named, and no id that is not one", () => {
    const long = 'x'.repeat(600);
    const named = namedIdsByKey([
      { externalId: 'wamid.a', id: '101' },
      { externalId: 'wamid.a', id: '205' },
      { externalId: 'wamid.b', id: null },
      { externalId: 'wamid.b', id: '0' },
      { externalId: long, id: '7' },
    ]);
    expect([...named]).toEqual([
      [idDedupKey('wamid.a'), '101'],
      [idDedupKey(long), '7'],
    ]);
  });
});
