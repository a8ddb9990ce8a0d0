// The addresses a report e-mail goes to: what ReportMailer sends to and what a schedule's `recipients`
// may hold when it is saved, one rule for both, so an address the API accepted is never refused at
// every send afterwards (the whole period's e-mail, other recipients included, retried and never sent).
//
// Deliberately plain: one @, no spaces, angle brackets, commas, semicolons, double quotes, parentheses,
// backslashes or square brackets (no header injection, no display names, no comments); at most 64
// characters before the @ (RFC 5321 §4.5.3.1.1); a domain with a top-level domain of letters. An
// apostrophe is ordinary atext (RFC 5322 §3.2.3: o'brien@example.com), which nodemailer sends as it is.
const ADDRESS_RE = /^[^\s@<>,;"()\\[\]]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$/;

export const MAILABLE_ADDRESS_RULE =
  'must be an e-mail address reports can be mailed to: at most 64 characters before the @, a domain ending in a top-level domain of letters';

/** Whether report e-mails can be sent to `address`. */
export function isMailableAddress(address: string): boolean {
  return ADDRESS_RE.test(address);
}
