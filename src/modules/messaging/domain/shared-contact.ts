// What a Messenger / Instagram person shared about themselves in a message: an e-mail address or a
// phone number, for auto-linking their conversation to the lead already known by it (issue 16 point 3,
// "auto-link by e-mail or phone when the contact shared one").
//
// Sources (Meta, read through the search tool's docs corpus, 2026-11-30):
//   Messenger quick replies, https://developers.facebook.com/documentation/business-messaging/messenger-platform/send-messages/quick-replies
//     ("Phone number" #phone and "Email" #email): a quick reply of content_type `user_phone_number` /
//     `user_email` shows the person's own phone / e-mail from their profile; tapping it sends a
//     `messages` event whose `quick_reply.payload` holds that phone / e-mail (the text is the same value).
//   Instagram quick replies, https://developers.facebook.com/documentation/instagram-platform/instagram-api-with-instagram-login/messaging-api/quick-replies
//     (the buttons "pre-filled with the phone number / email from the user's profile information").
// The webhook carries no content_type, so the payload is recognised by its shape, as is a message
// whose whole text is one e-mail address or one phone number (a person typing it when asked).
// UNCONFIRMED: the exact format of a user_phone_number payload (the pages show no example); any
// format libphonenumber reads in the sub-account's region is accepted.
import { EMAIL } from '../../leads/lead-normalizer';
import { normalizePhone } from '../../whatsapp/domain/phone-match';

export interface SharedContact {
  /** Lower-cased, as leads' `email:` identity keys are. */
  email?: string;
  /** E.164. */
  phone?: string;
}

/** Only the characters a written phone number has, with 8 to 15 digits (E.164's longest). */
const PHONE_LIKE = /^\+?[0-9(][0-9 ().\-/]{6,24}$/;

function read(value: string | undefined, region: string): SharedContact | null {
  const trimmed = value?.trim() ?? '';
  if (trimmed === '' || trimmed.length > 320) return null;
  if (EMAIL.test(trimmed)) return { email: trimmed.toLowerCase() };
  const digits = trimmed.replace(/[^0-9]/g, '').length;
  if (PHONE_LIKE.test(trimmed) && digits >= 8 && digits <= 15) {
    const phone = normalizePhone(trimmed, region);
    return phone ? { phone } : null;
  }
  return null;
}

/**
 * The e-mail or phone a message shares: its quick reply's payload first (a user_email /
 * user_phone_number quick reply), else its whole text. Null when it shares neither (any other text,
 * a developer-defined payload, an attachment).
 */
export function sharedContactOf(
  event: { text?: string; quickReplyPayload?: string },
  region: string,
): SharedContact | null {
  return read(event.quickReplyPayload, region) ?? read(event.text, region);
}
