// Delivery/read watermarks move outbound statuses forward only, whatever order receipts arrive in.
import { applyReceipt, Receipt, ReceiptTarget } from './watermarks';

const at = (s: number) => new Date(Date.UTC(2026, 10, 1, 10, 0, s));
const sent = (s: number, over: Partial<ReceiptTarget> = {}): ReceiptTarget => ({
  mid: `m_${s}`,
  status: 'sent',
  sentAt: at(s),
  deliveredAt: null,
  readAt: null,
  ...over,
});

describe('applyReceipt', () => {
  it('delivers and reads messages sent at or before the watermark, not later ones', () => {
    const delivery: Receipt = { kind: 'delivery', watermark: at(10), at: at(11) };
    expect(applyReceipt(sent(10), delivery)).toEqual({ status: 'delivered', deliveredAt: at(11) });
    expect(applyReceipt(sent(12), delivery)).toBeNull();
    const read: Receipt = { kind: 'read', watermark: at(10), at: at(20) };
    // a read also sets deliveredAt when the delivery receipt never came
    expect(applyReceipt(sent(5), read)).toEqual({ status: 'read', deliveredAt: at(20), readAt: at(20) });
  });

  it('never moves backwards: a late delivery after a read, or a repeated receipt, changes nothing', () => {
    const read = sent(5, { status: 'read', deliveredAt: at(6), readAt: at(7) });
    expect(applyReceipt(read, { kind: 'delivery', watermark: at(10), at: at(11) })).toBeNull();
    expect(applyReceipt(read, { kind: 'read', watermark: at(10), at: at(12) })).toBeNull();
    const delivered = sent(5, { status: 'delivered', deliveredAt: at(6) });
    expect(applyReceipt(delivered, { kind: 'delivery', watermark: at(10), at: at(13) })).toBeNull();
    expect(applyReceipt(delivered, { kind: 'read', watermark: at(10), at: at(14) })).toEqual({
      status: 'read',
      readAt: at(14),
    });
  });

  it('takes receipts that name messages (Messenger mids, Instagram seen) and leaves failed or unsent ones alone', () => {
    expect(applyReceipt(sent(30), { kind: 'delivery', mids: ['m_30'], at: at(31) })).toEqual({
      status: 'delivered',
      deliveredAt: at(31),
    });
    expect(applyReceipt(sent(30), { kind: 'read', mids: ['m_29'], at: at(31) })).toBeNull();
    expect(applyReceipt(sent(1, { status: 'failed' }), { kind: 'read', watermark: at(10), at: at(11) })).toBeNull();
    expect(
      applyReceipt(sent(1, { status: 'queued', sentAt: null }), { kind: 'read', watermark: at(10), at: at(11) }),
    ).toBeNull();
  });
});
