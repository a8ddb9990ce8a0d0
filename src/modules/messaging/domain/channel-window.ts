// What an agent may send on Messenger and Instagram right now. Meta's rules (Send API reference,
// developers.facebook.com/docs/messenger-platform/reference/send-api, "The message recipient must
// have sent your Page a message within the last 24 hours"; Messenger Platform message tags: the
// HUMAN_AGENT tag lets a person reply "within 7 days" of the user's last message, for apps approved
// for the Human Agent permission): inside 24 hours a RESPONSE, up to 7 days a HUMAN_AGENT-tagged
// message when the integration may use the tag, otherwise nothing (422 WINDOW_CLOSED).
//
//   const decision = channelSendPolicy({ lastInboundAt, now, humanAgentAllowed });
//   if (!decision.allowed) throw new DomainException(ErrorCode.WINDOW_CLOSED, decision.message);
//   await handler.sendText(ctx, psid, text, decision.tag ? { tag: decision.tag } : {});

export const STANDARD_WINDOW_MS = 24 * 60 * 60 * 1000;
export const HUMAN_AGENT_WINDOW_MS = 7 * 24 * 60 * 60 * 1000;

export type ChannelSendDecision =
  | { allowed: true; tag?: 'HUMAN_AGENT' }
  | { allowed: false; code: 'WINDOW_CLOSED' | 'RECIPIENT_OPTED_OUT'; message: string };

export interface ChannelSendPolicyInput {
  /** When the person last wrote (Meta's timestamp of their last inbound message), or null if never. */
  lastInboundAt: Date | null;
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
  const age = now.getTime() - lastInboundAt.getTime();
  if (age < STANDARD_WINDOW_MS) return { allowed: true };
  if (humanAgentAllowed && age < HUMAN_AGENT_WINDOW_MS) return { allowed: true, tag: 'HUMAN_AGENT' };
  return {
    allowed: false,
    code: 'WINDOW_CLOSED',
    message: humanAgentAllowed
      ? 'More than 7 days since the person last wrote: Meta allows no reply, even from a human agent'
      : 'More than 24 hours since the person last wrote; this integration may not use the HUMAN_AGENT tag',
  };
}
