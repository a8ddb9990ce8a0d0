// The 24-hour window and opt-out scopes against an injected now, with the API.md codes.
import { isWindowOpen, OutboundKind, sendPolicy, SendPolicyInput, windowOpenUntil } from './window';

const lastInboundAt = new Date('2026-03-10T12:00:00.000Z');
const plus = (ms: number) => new Date(lastInboundAt.getTime() + ms);
const HOUR = 3600_000;
const text: OutboundKind = { type: 'free_form' };
const marketing: OutboundKind = { type: 'template', category: 'MARKETING' };
const utility: OutboundKind = { type: 'template', category: 'UTILITY' };
const authentication: OutboundKind = { type: 'template', category: 'AUTHENTICATION' };
const decide = (input: Partial<SendPolicyInput>) =>
  sendPolicy({ kind: text, lastInboundAt, optOut: null, now: plus(HOUR), ...input });

describe('the customer-service window', () => {
  it('stays open for 24 hours after the last inbound message, and not a millisecond more', () => {
    expect(windowOpenUntil(lastInboundAt)).toEqual(new Date('2026-03-11T12:00:00.000Z'));
    expect(isWindowOpen(lastInboundAt, plus(24 * HOUR - 1))).toBe(true);
    expect(isWindowOpen(lastInboundAt, plus(24 * HOUR))).toBe(false);
  });

  it('is closed for a contact who never wrote', () => {
    expect(windowOpenUntil(null)).toBeNull();
    expect(isWindowOpen(null, plus(0))).toBe(false);
  });
});

describe('sendPolicy', () => {
  it('allows free text only inside the window', () => {
    expect(decide({ now: plus(23 * HOUR) })).toEqual({ allowed: true });
    expect(decide({ now: plus(25 * HOUR) })).toEqual({
      allowed: false,
      code: 'WINDOW_CLOSED',
      message: 'More than 24 hours since the contact last wrote: use a template',
      skipReason: 'windowClosed',
    });
    expect(decide({ lastInboundAt: null })).toMatchObject({ allowed: false, code: 'WINDOW_CLOSED' });
  });

  it('allows templates of every category at any time', () => {
    for (const kind of [marketing, utility, authentication]) {
      expect(decide({ kind, now: plus(30 * 24 * HOUR) })).toEqual({ allowed: true });
      expect(decide({ kind, lastInboundAt: null })).toEqual({ allowed: true });
    }
  });

  it('refuses marketing templates after a marketing opt-out, but not utility, authentication or replies', () => {
    expect(decide({ kind: marketing, optOut: 'marketing' })).toMatchObject({
      allowed: false,
      code: 'RECIPIENT_OPTED_OUT',
      skipReason: 'optedOut',
    });
    expect(decide({ kind: utility, optOut: 'marketing' })).toEqual({ allowed: true });
    expect(decide({ kind: authentication, optOut: 'marketing' })).toEqual({ allowed: true });
    expect(decide({ kind: text, optOut: 'marketing' })).toEqual({ allowed: true });
  });

  it('refuses everything after an opt-out of all messages, even inside the window', () => {
    for (const kind of [text, marketing, utility, authentication])
      expect(decide({ kind, optOut: 'all' })).toMatchObject({ allowed: false, code: 'RECIPIENT_OPTED_OUT' });
  });

  it('reports the opt-out before the closed window', () => {
    expect(decide({ optOut: 'all', now: plus(48 * HOUR) })).toMatchObject({ code: 'RECIPIENT_OPTED_OUT' });
  });
});
