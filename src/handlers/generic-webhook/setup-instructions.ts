// Shown to an admin connecting this provider (the seeded template's setupInstructions, Markdown).
// Field names are this handler's config schema; console paths only where the provider documents them.
export const GENERIC_WEBHOOK_SETUP = [
  'Leads from any sender that can POST signed JSON (website forms, form tools, other platforms), mapped by JSON Pointers.',
  '',
  '1. **Field mapping** (`mapping`): lead field → JSON Pointer of its value in the sender\'s payload, e.g. `{ "email": "/email", "fullName": "/name", "phone": "/phone" }`. Answers sent as an array in form order (Typeform, Jotform, Tally) are picked by a key instead of their position: `{ "email": { "pointer": "/form_response/answers", "where": { "/field/ref": "email_q" }, "value": "/email" } }`.',
  "2. **External id pointer** (`externalIdPointer`): the pointer of the sender's unique id of the submission (redeliveries are recognised by it).",
  '3. **Signature** (`signatureScheme`): by default `hmac-sha256-timestamped`: the sender sends `x-webhook-timestamp` (Unix seconds, within `toleranceSeconds`, default 300) and `x-webhook-signature: sha256=<hex HMAC-SHA256 of timestamp + "." + body>`, keyed with the webhook secret. `standard-webhooks` takes the Standard Webhooks / Svix headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`); `hmac-sha256-body` an HMAC of the body alone in the header `signatureHeader` names (as Typeform sends).',
  '4. Save the integration: the answer shows its `webhookUrl` and, this once only, its `webhookSecret` (*Rotate webhook secret* gives a new one). Give both to the sender.',
  '5. Run **Test connection**: the integration becomes active; until then deliveries answer 409 `INTEGRATION_NOT_ACTIVE`.',
].join('\n');
