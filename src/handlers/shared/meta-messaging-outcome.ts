import type { InteractionInput, LeadInput, LeadSourceInput, WebhookOutcome } from '../handler-types';
import type { MessagingAttachment, MessagingEvent, MessagingReferral } from './meta-messaging';

/** A message as one line of text for the lead's interactions: its text, else what it carries. */
export function describeMessage(event: {
  text?: string;
  attachments: readonly MessagingAttachment[];
  story?: { kind: 'reply' | 'mention' };
}): string | undefined {
  const parts: string[] = [];
  if (event.story?.kind === 'reply') parts.push('[story reply]');
  for (const attachment of event.attachments) {
    if (attachment.type === 'story_mention') parts.push('[story mention]');
    else parts.push(`[${attachment.type}${attachment.url ? ` ${attachment.url}` : ''}]`);
  }
  if (event.text !== undefined) parts.push(event.text);
  return parts.length > 0 ? parts.join(' ') : undefined;
}

/** A click-to-Messenger / click-to-Instagram ad or a ref link, as the lead's source of this touch. */
export function sourceOfReferral(referral: MessagingReferral | undefined): LeadSourceInput {
  if (!referral) return {};
  const details: Record<string, string> = {};
  const keep: Array<[string, string | undefined]> = [
    ['ref', referral.ref],
    ['referralSource', referral.source],
    ['referralType', referral.type],
    ['adTitle', referral.adTitle],
    ['adPhotoUrl', referral.photoUrl],
    ['adVideoUrl', referral.videoUrl],
    ['adPostId', referral.postId],
    ['productId', referral.productId],
    ['refererUri', referral.refererUri],
  ];
  for (const [name, value] of keep) if (value !== undefined) details[name] = value;
  return {
    ...(referral.adId ? { adId: referral.adId } : {}),
    ...(Object.keys(details).length > 0 ? { details } : {}),
  };
}

function iso(timestamp: number | undefined): string | undefined {
  return timestamp === undefined ? undefined : new Date(timestamp).toISOString();
}

/**
 * What a messaging event means for the leads pipeline: a person who writes, taps a postback or comes
 * back through an ad is a lead of this channel (keyed by PSID / IGSID; the referral is the touch's
 * source); their messages and the page's echoes are interactions. Reactions, deliveries and reads
 * change messages, not leads: they are kept for the conversation model.
 */
export function messagingOutcome(event: MessagingEvent): WebhookOutcome {
  return { ...leadsOutcome(event), messaging: event };
}

function leadsOutcome(event: MessagingEvent): WebhookOutcome {
  const platform = event.channel;
  const lead = (referral?: MessagingReferral): LeadInput => ({
    platform,
    externalId: event.contactId,
    ...(event.timestamp !== undefined ? { submittedAt: iso(event.timestamp) } : {}),
    source: sourceOfReferral(referral),
  });
  const interaction = (
    direction: 'inbound' | 'outbound',
    body: string | undefined,
    externalMessageId?: string,
  ): InteractionInput => ({
    platform,
    externalId: event.contactId,
    channel: platform,
    direction,
    ...(body !== undefined ? { body } : {}),
    ...(event.timestamp !== undefined ? { occurredAt: iso(event.timestamp) } : {}),
    ...(externalMessageId ? { externalMessageId } : {}),
  });
  switch (event.kind) {
    case 'message':
      return {
        leads: [lead(event.referral)],
        interactions: [interaction('inbound', describeMessage(event), event.mid)],
      };
    case 'echo':
      // the page's own message: outbound on the person's lead, never a new inbound
      return { leads: [], interactions: [interaction('outbound', describeMessage(event), event.mid)] };
    case 'postback':
      return {
        leads: [lead(event.referral)],
        interactions: [interaction('inbound', `[postback] ${event.title ?? event.payload ?? ''}`.trim(), event.mid)],
      };
    case 'referral':
      return { leads: [lead(event.referral)] };
    case 'reaction':
    case 'delivery':
    case 'read':
    case 'unsend':
    case 'edit':
      return { leads: [] };
  }
}
