import type { LeadInput, LeadSourceInput, WebhookOutcome } from '../handler-types';
import { PermanentEventError } from '../integration-handler';
import { contactKey, unixToIso, WhatsAppMessageEvent, WhatsAppReferral } from './whatsapp-cloud.payload';

/** An inbound message as the hub's lead and its interaction; an identity change as an alias of the lead. */
export function inboundMessageOutcome(message: WhatsAppMessageEvent): WebhookOutcome {
  if (message.identityChange) return identityChangeOutcome(message);

  const key = contactKey(message.contact);
  if (key === undefined) throw new PermanentEventError('WhatsApp message without wa_id or user id');
  const { waId, userId, username, profileName } = message.contact;
  const lead: LeadInput = {
    platform: 'whatsapp',
    externalId: key,
    ...(profileName ? { fullName: profileName } : {}),
    ...(waId && /^\d+$/.test(waId) ? { phone: `+${waId}` } : {}),
    // the BSUID beside the wa_id: a later message that carries only the BSUID finds the same lead
    ...(userId && userId !== key ? { otherExternalIds: [userId] } : {}),
    ...(username ? { customAnswers: { 'WhatsApp username': username } } : {}),
    source: sourceOfReferral(message.referral),
  };
  return {
    leads: [lead],
    interactions: [
      {
        platform: 'whatsapp',
        externalId: key,
        channel: 'whatsapp',
        direction: 'inbound',
        body: message.text,
        occurredAt: unixToIso(message.timestamp),
        externalMessageId: message.id,
      },
    ],
  };
}

/** A click-to-WhatsApp referral as the lead's source: the ad, and ctwa_clid with the ad's words. */
function sourceOfReferral(referral: WhatsAppReferral | undefined): LeadSourceInput {
  if (!referral) return {};
  const details: Record<string, string> = {};
  const keep: Array<[string, string | undefined]> = [
    ['ctwaClid', referral.ctwaClid],
    ['referralHeadline', referral.headline],
    ['referralBody', referral.body],
    ['referralSourceUrl', referral.sourceUrl],
    ['referralSourceType', referral.sourceType],
    ['referralSourceId', referral.sourceId],
    ['referralMediaType', referral.mediaType],
  ];
  for (const [name, value] of keep) if (value !== undefined) details[name] = value;
  return {
    // a click-to-WhatsApp ad names the ad the conversation started from
    ...(referral.sourceType === 'ad' && referral.sourceId ? { adId: referral.sourceId } : {}),
    ...(Object.keys(details).length > 0 ? { details } : {}),
  };
}

/** user_changed_user_id / user_changed_number: the lead known by the old id is also known by the new one. */
function identityChangeOutcome(message: WhatsAppMessageEvent): WebhookOutcome {
  const change = message.identityChange;
  const known = message.contact.waId ?? change?.previousUserId ?? message.contact.userId;
  const alias = change?.type === 'user_changed_user_id' ? change.newUserId : change?.newWaId;
  if (!change || known === undefined || alias === undefined || alias === known)
    return { leads: [], ignoredReason: `WhatsApp ${change?.type ?? 'system'} message without both ids` };
  return { leads: [], aliases: [{ platform: 'whatsapp', externalId: known, aliasExternalId: alias }] };
}
