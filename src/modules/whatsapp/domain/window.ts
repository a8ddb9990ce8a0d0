// What may be sent to a WhatsApp contact right now: the 24-hour customer-service window (opened by
// the contact's last inbound message) and the contact's opt-out. Checked when a send or a bulk job
// is accepted (422 with the API.md code) and again just before the worker sends.
//
//   const decision = sendPolicy({ kind: { type: 'template', category: 'UTILITY' }, lastInboundAt, optOut, now });
//   if (!decision.allowed) throw new DomainException(decision.code, decision.message); // 422
//   conversation.windowOpenUntil = windowOpenUntil(lastInboundAt);
//
// Sources (Meta): free-form messages only inside the customer service window, "24 hours … since the
// recipient last replied" (error 131047, "Send the recipient a template message instead"); templates
// are "the only type of message that can be sent … outside of a customer service window"
// (…/whatsapp/templates/overview). A user who stopped marketing messages still receives utility and
// authentication templates (error 131050 and the user_preferences webhook concern marketing messages
// only). The `all` scope is ours: the contact asked us (keyword or agent) to stop everything.
import type { TemplateCategory } from './template-rules';

export const CUSTOMER_SERVICE_WINDOW_MS = 24 * 60 * 60 * 1000;

export type OptOutScope = 'marketing' | 'all';

/** Free-form = text, media, interactive, reaction … anything that is not a template. */
export type OutboundKind = { type: 'free_form' } | { type: 'template'; category: TemplateCategory };

export type SendBlock = 'WINDOW_CLOSED' | 'RECIPIENT_OPTED_OUT';

export type SendDecision =
  { allowed: true } | { allowed: false; code: SendBlock; message: string; skipReason: 'windowClosed' | 'optedOut' };

export interface SendPolicyInput {
  kind: OutboundKind;
  /** When the contact's last inbound message was sent (WhatsApp's timestamp), or null if never. */
  lastInboundAt: Date | null;
  /** The contact's opt-out scope, or null when not opted out. */
  optOut: OptOutScope | null;
  now: Date;
}

/** The end of the customer-service window, or null when the contact never wrote. */
export function windowOpenUntil(lastInboundAt: Date | null): Date | null {
  return lastInboundAt ? new Date(lastInboundAt.getTime() + CUSTOMER_SERVICE_WINDOW_MS) : null;
}

export function isWindowOpen(lastInboundAt: Date | null, now: Date): boolean {
  const until = windowOpenUntil(lastInboundAt);
  return until !== null && now.getTime() < until.getTime();
}

/** Opt-out first (an opted-out contact is refused whatever the window), then the window for free-form messages. */
export function sendPolicy(input: SendPolicyInput): SendDecision {
  const { kind, optOut } = input;
  if (optOut === 'all')
    return {
      allowed: false,
      code: 'RECIPIENT_OPTED_OUT',
      message: 'The contact opted out of all WhatsApp messages',
      skipReason: 'optedOut',
    };
  if (optOut === 'marketing' && kind.type === 'template' && kind.category === 'MARKETING')
    return {
      allowed: false,
      code: 'RECIPIENT_OPTED_OUT',
      message: 'The contact opted out of marketing messages; utility and authentication templates are still allowed',
      skipReason: 'optedOut',
    };
  if (kind.type === 'free_form' && !isWindowOpen(input.lastInboundAt, input.now))
    return {
      allowed: false,
      code: 'WINDOW_CLOSED',
      message: input.lastInboundAt
        ? 'More than 24 hours since the contact last wrote: use a template'
        : 'The contact has not written to this number yet: use a template',
      skipReason: 'windowClosed',
    };
  return { allowed: true };
}
