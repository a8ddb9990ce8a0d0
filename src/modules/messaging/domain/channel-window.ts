// What an agent may send on Messenger and Instagram right now. Meta's rules (Send API reference,
// developers.facebook.com/docs/messenger-platform/reference/send-api, "The message recipient must
// have sent your Page a message within the last 24 hours"; Messenger Platform message tags,
// developers.facebook.com/docs/messenger-platform/send-messages/message-tags: the HUMAN_AGENT tag
// "allows human agents to respond to user inquiries within 7 days after a user message", for apps
// approved for the Human Agent permission): inside 24 hours of the person's last action a RESPONSE
// (a message, or an action that reopens the standard window: an m.me / ig.me link, a reaction), up to
// 7 days after their last message a HUMAN_AGENT-tagged message when the integration may use the tag,
// otherwise nothing (422 WINDOW_CLOSED).
//
//   const decision = channelSendPolicy({ lastInboundAt, lastInboundMessageAt, now, humanAgentAllowed });
//   if (!decision.allowed) throw new DomainException(ErrorCode.WINDOW_CLOSED, decision.message);
//   await handler.sendText(ctx, psid, text, decision.tag ? { tag: decision.tag } : {});

export const STANDARD_WINDOW_MS = 24 * 60 * 60 * 1000;
export const HUMAN_AGENT_WINDOW_MS = 7 * 24 * 60 * 60 * 1000;

export type ChannelSendDecision =
  | { allowed: true; tag?: 'HUMAN_AGENT' }
  | { allowed: false; code: 'WINDOW_CLOSED' | 'RECIPIENT_OPTED_OUT'; message: string };

export interface ChannelSendPolicyInput {
  /** When the person last acted in the thread (a message, a postback, a link click, a reaction), or null if never. */
  lastInboundAt: Date | null;
  /**
   * When the person last wrote (their last inbound message or postback): the HUMAN_AGENT tag's 7 days run
   * from it, not from a link click or a reaction. Left out, lastInboundAt stands for it.
   */
  lastInboundMessageAt?: Date | null;
  now: Date;
  /** The integration is approved for the Human Agent tag (config `humanAgentTag`). */
  humanAgentAllowed: boolean;
  /** The person opted out of this page or account (a keyword): nothing is sent, whatever the window. */
  optedOut?: boolean;
}

/** The end of the standard messaging window, or null when the person never wrote. */
export function channelWindowOpenUntil(lastInboundAt: Date | null): Date | null {
  return lastInboundAt ? new Date(lastInboundAt.getTime() + STANDARD_WINDOW_MS) : null;
}

export function channelSendPolicy(input: ChannelSendPolicyInput): ChannelSendDecision {
  const { lastInboundAt, now, humanAgentAllowed } = input;
  if (input.optedOut === true)
    return {
      allowed: false,
      code: 'RECIPIENT_OPTED_OUT',
      message: 'The person opted out of messages from this page or account on this channel',
    };
  if (lastInboundAt === null)
    return { allowed: false, code: 'WINDOW_CLOSED', message: 'The person has not written to this page or account' };
  if (now.getTime() - lastInboundAt.getTime() < STANDARD_WINDOW_MS) return { allowed: true };
  const wrote = input.lastInboundMessageAt === undefined ? lastInboundAt : input.lastInboundMessageAt;
  if (humanAgentAllowed && wrote !== null && now.getTime() - wrote.getTime() < HUMAN_AGENT_WINDOW_MS)
    return { allowed: true, tag: 'HUMAN_AGENT' };
  return {
    allowed: false,
    code: 'WINDOW_CLOSED',
    message: humanAgentAllowed
      ? 'More than 7 days since the person last wrote: Meta allows no reply, even from a human agent'
      : 'More than 24 hours since the person last wrote; this integration may not use the HUMAN_AGENT tag',
  };
}
