// Status merges in every order and with redeliveries, failures, pricing and orphans, on Meta's documented statuses.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  applyPatch,
  applyPendingStatuses,
  IncomingStatus,
  incomingStatusOf,
  isOrphanExpired,
  mergeStatus,
  MessageStatusState,
  QUEUED,
} from './message-status';

const statusOf = (fixture: string): unknown => {
  const body = JSON.parse(
    readFileSync(join(__dirname, '../../../handlers/whatsapp-cloud/fixtures', fixture), 'utf8'),
  ) as {
    entry: Array<{ changes: Array<{ value: { statuses: unknown[] } }> }>;
  };
  return body.entry[0].changes[0].value.statuses[0];
};

const T0 = 1_750_000_000;
const at = (seconds: number) => new Date((T0 + seconds) * 1000);
const incoming = (
  status: IncomingStatus['status'],
  seconds: number,
  extra: Partial<IncomingStatus> = {},
): IncomingStatus => ({
  wamid: 'wamid.A',
  status,
  at: at(seconds),
  recipientId: '16505551234',
  error: null,
  pricing: null,
  callbackData: null,
  ...extra,
});

/** Applies statuses one by one, as separate webhook deliveries would. */
function run(statuses: IncomingStatus[], start: MessageStatusState = QUEUED): MessageStatusState {
  return statuses.reduce((state, s) => {
    const merged = mergeStatus(state, s);
    return merged.apply ? applyPatch(state, merged.patch) : state;
  }, start);
}

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

describe('incomingStatusOf', () => {
  it("reads Meta's documented statuses with their timestamps and pricing", () => {
    expect(incomingStatusOf(statusOf('status-sent-marketing.json'))).toEqual({
      wamid: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=',
      status: 'sent',
      at: new Date(1750030073 * 1000),
      recipientId: '16505551234',
      error: null,
      pricing: { category: 'marketing', type: 'regular' },
      callbackData: null,
    });
    expect(incomingStatusOf(statusOf('status-delivered.json'))).toMatchObject({
      status: 'delivered',
      pricing: { category: 'service', type: null },
    });
    expect(incomingStatusOf(statusOf('status-failed-131049.json'))).toMatchObject({
      status: 'failed',
      error: { code: 131049, title: 'This message was not delivered to maintain healthy ecosystem engagement.' },
    });
  });

  it('keeps our id from biz_opaque_callback_data and ignores played, unknown statuses and garbage', () => {
    const raw = { id: 'wamid.X', status: 'read', timestamp: '1750000000', biz_opaque_callback_data: 'msg_42' };
    expect(incomingStatusOf(raw)?.callbackData).toBe('msg_42');
    expect(incomingStatusOf({ ...raw, status: 'played' })).toBeNull();
    expect(incomingStatusOf({ ...raw, status: 'deleted' })).toBeNull();
    expect(incomingStatusOf({ ...raw, timestamp: 'soon' })).toBeNull();
    expect(incomingStatusOf({ status: 'read', timestamp: '1' })).toBeNull();
    expect(incomingStatusOf('read')).toBeNull();
  });
});

describe('mergeStatus', () => {
  it('moves forward and stamps each status', () => {
    expect(mergeStatus(QUEUED, incoming('sent', 0))).toEqual({ apply: true, patch: { status: 'sent', sentAt: at(0) } });
    const sent = run([incoming('sent', 0)]);
    expect(mergeStatus(sent, incoming('delivered', 2))).toEqual({
      apply: true,
      patch: { status: 'delivered', deliveredAt: at(2) },
    });
  });

  it('sets deliveredAt with read when delivered was skipped', () => {
    expect(mergeStatus(run([incoming('sent', 0)]), incoming('read', 5))).toEqual({
      apply: true,
      patch: { status: 'read', readAt: at(5), deliveredAt: at(5) },
    });
  });

  it('never moves backwards, but keeps the timestamp a late status carries', () => {
    const read = run([incoming('read', 5)]);
    expect(read).toMatchObject({ status: 'read', sentAt: null, deliveredAt: at(5) });
    // delivered (at 3) arrives after read: status stays read, the real delivery time replaces the implied one
    expect(mergeStatus(read, incoming('delivered', 3))).toEqual({ apply: true, patch: { deliveredAt: at(3) } });
    expect(mergeStatus(read, incoming('sent', 1))).toEqual({ apply: true, patch: { sentAt: at(1) } });
    const complete = run([incoming('delivered', 3), incoming('sent', 1)], read);
    expect(mergeStatus(complete, incoming('sent', 1))).toEqual({ apply: false, reason: 'stale' });
  });

  it('treats a redelivered status as a no-op', () => {
    const delivered = run([incoming('sent', 0), incoming('delivered', 2)]);
    expect(mergeStatus(delivered, incoming('delivered', 2))).toEqual({ apply: false, reason: 'duplicate' });
    // a retry stamped later does not move the time either
    expect(mergeStatus(delivered, incoming('delivered', 9))).toEqual({ apply: false, reason: 'duplicate' });
  });

  it('makes failed final and keeps its error', () => {
    const error = { code: 131026, title: 'Message undeliverable', details: null };
    const failed = run([incoming('sent', 0), incoming('failed', 4, { error })]);
    expect(failed).toMatchObject({ status: 'failed', failedAt: at(4), error, sentAt: at(0) });
    expect(mergeStatus(failed, incoming('delivered', 5))).toEqual({ apply: false, reason: 'after_failure' });
    expect(mergeStatus(failed, incoming('read', 6))).toEqual({ apply: false, reason: 'after_failure' });
    expect(mergeStatus(failed, incoming('failed', 4, { error }))).toEqual({ apply: false, reason: 'duplicate' });
    expect(run([incoming('failed', 1)]).error).toEqual({ code: null, title: 'Failed', details: null });
  });

  it('does not let a failure undo a delivery', () => {
    const delivered = run([incoming('delivered', 2)]);
    expect(mergeStatus(delivered, incoming('failed', 3))).toEqual({ apply: false, reason: 'conflict' });
  });

  it('stores pricing from whichever status carries it, once', () => {
    const pricing = { category: 'marketing', type: 'regular' };
    const sent = run([incoming('sent', 0, { pricing })]);
    expect(sent.pricing).toEqual(pricing);
    expect(mergeStatus(sent, incoming('sent', 0, { pricing }))).toEqual({ apply: false, reason: 'duplicate' });
    const late = mergeStatus(run([incoming('read', 5)]), incoming('delivered', 5, { pricing }));
    expect(late).toEqual({ apply: true, patch: { pricing } });
  });

  it('ends in the same state whatever order and however often sent, delivered and read arrive', () => {
    const statuses = [incoming('sent', 0), incoming('delivered', 2), incoming('read', 7), incoming('delivered', 2)];
    const expected = { ...QUEUED, status: 'read', sentAt: at(0), deliveredAt: at(2), readAt: at(7) };
    for (const order of permutations(statuses)) expect(run(order)).toEqual(expected);
  });
});

describe('orphan statuses', () => {
  it('applies statuses kept before the wamid was known, in time order, as one patch', () => {
    const pending = [incoming('read', 9), incoming('sent', 1), incoming('delivered', 4), incoming('read', 9)];
    const { patch, state } = applyPendingStatuses(QUEUED, pending);
    expect(patch).toEqual({ status: 'read', sentAt: at(1), deliveredAt: at(4), readAt: at(9) });
    expect(state.status).toBe('read');
  });

  it('orders same-second statuses by rank and applies nothing twice', () => {
    const sameSecond = [incoming('read', 3), incoming('delivered', 3), incoming('sent', 3)];
    expect(applyPendingStatuses(QUEUED, sameSecond).patch).toEqual({
      status: 'read',
      sentAt: at(3),
      deliveredAt: at(3),
      readAt: at(3),
    });
    const done = run(sameSecond);
    expect(applyPendingStatuses(done, sameSecond).patch).toEqual({});
  });

  it('respects a failure the row already has', () => {
    const failed = run([incoming('failed', 2)]);
    expect(applyPendingStatuses(failed, [incoming('delivered', 3)]).patch).toEqual({});
  });

  it('expires orphans after a week by default', () => {
    const received = new Date('2026-01-01T00:00:00Z');
    expect(isOrphanExpired(received, new Date('2026-01-07T23:59:59Z'))).toBe(false);
    expect(isOrphanExpired(received, new Date('2026-01-08T00:00:01Z'))).toBe(true);
    expect(isOrphanExpired(received, new Date('2026-01-01T01:00:01Z'), 3600_000)).toBe(true);
  });
});
