// Messenger / Instagram send window: RESPONSE inside 24 h, HUMAN_AGENT up to 7 days when allowed, otherwise WINDOW_CLOSED.
import { channelSendPolicy, channelWindowOpenUntil } from './channel-window';

const LAST = new Date('2026-11-01T10:00:00Z');
const after = (ms: number) => new Date(LAST.getTime() + ms);
const HOUR = 3600_000;

describe('channelSendPolicy', () => {
  it('allows a plain response inside the 24-hour window, up to its last millisecond', () => {
    for (const humanAgentAllowed of [false, true]) {
      expect(channelSendPolicy({ lastInboundAt: LAST, now: after(HOUR), humanAgentAllowed })).toEqual({
        allowed: true,
      });
      expect(channelSendPolicy({ lastInboundAt: LAST, now: after(24 * HOUR - 1), humanAgentAllowed })).toEqual({
        allowed: true,
      });
    }
    expect(channelWindowOpenUntil(LAST)).toEqual(after(24 * HOUR));
    expect(channelWindowOpenUntil(null)).toBeNull();
  });

  it('uses the HUMAN_AGENT tag from 24 hours to 7 days only when the integration may', () => {
    expect(channelSendPolicy({ lastInboundAt: LAST, now: after(24 * HOUR), humanAgentAllowed: true })).toEqual({
      allowed: true,
      tag: 'HUMAN_AGENT',
    });
    expect(channelSendPolicy({ lastInboundAt: LAST, now: after(7 * 24 * HOUR - 1), humanAgentAllowed: true })).toEqual({
      allowed: true,
      tag: 'HUMAN_AGENT',
    });
    expect(channelSendPolicy({ lastInboundAt: LAST, now: after(24 * HOUR), humanAgentAllowed: false })).toMatchObject({
      allowed: false,
      code: 'WINDOW_CLOSED',
    });
    expect(
      channelSendPolicy({ lastInboundAt: LAST, now: after(7 * 24 * HOUR), humanAgentAllowed: true }),
    ).toMatchObject({
      allowed: false,
      code: 'WINDOW_CLOSED',
    });
  });

  it('counts the HUMAN_AGENT 7 days from the last message, not from a later link click or reaction', () => {
    const reacted = after(9 * 24 * HOUR);
    const wrote = LAST;
    // the standard window follows the reaction
    expect(
      channelSendPolicy({
        lastInboundAt: reacted,
        lastInboundMessageAt: wrote,
        now: after(9 * 24 * HOUR + HOUR),
        humanAgentAllowed: true,
      }),
    ).toEqual({ allowed: true });
    // past it, the tag needs a message of the last 7 days
    expect(
      channelSendPolicy({
        lastInboundAt: reacted,
        lastInboundMessageAt: wrote,
        now: after(11 * 24 * HOUR),
        humanAgentAllowed: true,
      }),
    ).toMatchObject({ allowed: false, code: 'WINDOW_CLOSED' });
    expect(
      channelSendPolicy({
        lastInboundAt: reacted,
        lastInboundMessageAt: null,
        now: after(11 * 24 * HOUR),
        humanAgentAllowed: true,
      }),
    ).toMatchObject({ allowed: false, code: 'WINDOW_CLOSED' });
    expect(
      channelSendPolicy({
        lastInboundAt: reacted,
        lastInboundMessageAt: after(5 * 24 * HOUR),
        now: after(11 * 24 * HOUR),
        humanAgentAllowed: true,
      }),
    ).toEqual({ allowed: true, tag: 'HUMAN_AGENT' });
  });

  it('refuses a person who never wrote', () => {
    expect(channelSendPolicy({ lastInboundAt: null, now: LAST, humanAgentAllowed: true })).toMatchObject({
      allowed: false,
      code: 'WINDOW_CLOSED',
    });
  });

  it('refuses an opted-out person whatever the window or tag (RECIPIENT_OPTED_OUT before WINDOW_CLOSED)', () => {
    for (const now of [after(HOUR), after(3 * 24 * HOUR), after(30 * 24 * HOUR)])
      expect(channelSendPolicy({ lastInboundAt: LAST, now, humanAgentAllowed: true, optedOut: true })).toMatchObject({
        allowed: false,
        code: 'RECIPIENT_OPTED_OUT',
      });
    expect(
      channelSendPolicy({ lastInboundAt: null, now: LAST, humanAgentAllowed: false, optedOut: true }),
    ).toMatchObject({ code: 'RECIPIENT_OPTED_OUT' });
  });
});
