import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { ConfigProblem, JsonSchemaObject, LeadInput, TestResult, WebhookOutcome } from '../handler-types';
import {
  ExtractedEvent,
  HandlerContext,
  IntegrationConfig,
  IntegrationHandler,
  PermanentEventError,
  StoredEvent,
  VerificationKeys,
  VerifyResult,
  WebhookRequest,
  WebhookSpec,
} from '../integration-handler';
import { parseJsonLossless } from '../shared/lossless-json';
import { asArray, asId, isRecord, jsonPointer } from '../shared/json';
import {
  DEFAULT_SIGNATURE_SCHEME,
  DEFAULT_TOLERANCE_SECONDS,
  GenericWebhookConfig,
  genericConfigProblems,
  HEADER_NAME_PATTERN,
  LEAD_TEXT_FIELDS,
  MAPPABLE_FIELDS,
  MappableField,
  MAX_TOLERANCE_SECONDS,
  MIN_TOLERANCE_SECONDS,
  readGenericConfig,
  SIGNATURE_ENCODINGS,
  SIGNATURE_SCHEMES,
  SOURCE_TEXT_FIELDS,
} from './generic-webhook.config';
import { MappingSource, resolveMappingSource } from './generic-webhook.mapping';
import { standardHeaders, verifyGenericDelivery } from './generic-webhook.signature';
import { GENERIC_WEBHOOK_SETUP } from './setup-instructions';

const FIELD_TITLES: Readonly<Record<MappableField, string>> = {
  fullName: 'Full name',
  firstName: 'First name',
  lastName: 'Last name',
  email: 'Email',
  phone: 'Phone',
  company: 'Company',
  jobTitle: 'Job title',
  city: 'City',
  region: 'Region / state',
  postalCode: 'Postal code',
  country: 'Country',
  tags: 'Tags (an array, or a comma-separated string)',
  campaignId: 'Campaign id',
  campaignName: 'Campaign name',
  adId: 'Ad id',
  formId: 'Form id',
  formName: 'Form name',
};
const MAX_EVENT_TYPE_LENGTH = 100;
/**
 * Event types the hub gives stored events of its own: `delivery.batch` (src/modules/webhooks/webhook-batch.ts,
 * DELIVERY_BATCH_EVENT) is a big delivery stored once, which a worker expands into the events listed in
 * its payload, each keyed and queued as its own. The sender names its event type (eventTypePointer), so
 * a delivery typed so would have its `events` expanded into events, ids and types of the sender's
 * choosing, as many as it likes per request; it is a "lead" event like every other (the handler spec pins the name).
 */
export const RESERVED_EVENT_TYPES: ReadonlySet<string> = new Set(['delivery.batch']);

const pointerSchema = (title: string, description: string) => ({
  type: 'string',
  title,
  description,
  pattern: '^(/.*)?$',
  maxLength: 1000,
});
/** A lead field's source: a JSON Pointer, or an array selector (generic-webhook.mapping.ts). */
const mappingSourceSchema = (field: MappableField) => ({
  title: FIELD_TITLES[field],
  description: `Where the payload holds the lead's ${FIELD_TITLES[field].toLowerCase()}: a JSON Pointer such as "/contact/email", or, for answers sent as an array in form order, an array selector { "pointer": "/form_response/answers", "where": { "/field/ref": "email_q" }, "value": "/email" } that takes the first item whose "where" pointers hold exactly those values.`,
  // a string is checked as before; a selector only loosely here: validateConfig names its bad part
  if: { type: 'string' },
  then: { type: 'string', pattern: '^(/.*)?$', maxLength: 1000 },
  else: { type: 'object', maxProperties: 3 },
});
const headerSchema = (title: string, description: string) => ({
  type: 'string',
  title,
  description,
  pattern: HEADER_NAME_PATTERN,
  maxLength: 100,
});

/**
 * Any sender that signs its deliveries in one of three common ways (generic-webhook.config.ts):
 * the hub's timestamped HMAC, Standard Webhooks (Svix and the tools built on it), or a body HMAC in
 * a named header (Typeform and many form tools). What the payload means is configuration only:
 * JSON Pointers per lead field. Redeliveries are recognised by what the signature covers, never by
 * an unsigned header a replayer could change.
 */
@Injectable()
export class GenericWebhookHandler implements IntegrationHandler {
  readonly key = 'generic-webhook';
  readonly displayName = 'Generic signed webhook';
  readonly setupInstructions = GENERIC_WEBHOOK_SETUP;
  readonly category = 'Webhooks';
  readonly capabilities = ['webhook'] as const;
  readonly defaultRateLimitPerMinute = 60;

  readonly defaultConfigSchema: JsonSchemaObject = {
    type: 'object',
    title: 'Generic signed webhook',
    description:
      'Turns signed JSON deliveries from any sender into leads, by JSON Pointers (RFC 6901) into the payload.',
    properties: {
      mapping: {
        type: 'object',
        title: 'Field mapping',
        description:
          'Lead field → JSON Pointer of its value in the payload, e.g. { "email": "/contact/email" }, or an array selector for answers sent as an array (Typeform, Jotform, Tally): { "email": { "pointer": "/form_response/answers", "where": { "/field/ref": "email_q" }, "value": "/email" } }. Numbers are taken as text.',
        properties: Object.fromEntries(MAPPABLE_FIELDS.map((field) => [field, mappingSourceSchema(field)])),
        additionalProperties: false,
      },
      externalIdPointer: pointerSchema(
        'Submission id pointer',
        "Where the payload holds the sender's id for the submission; leads are deduplicated on it.",
      ),
      customAnswersPointer: pointerSchema(
        'Extra answers pointer',
        "Optional: an object in the payload whose entries are kept as the lead's other answers.",
      ),
      eventTypePointer: pointerSchema(
        'Event type pointer',
        'Optional: where the payload names its event type; "lead" otherwise.',
      ),
      signatureScheme: {
        type: 'string',
        title: 'Signature scheme',
        description:
          'hmac-sha256-timestamped (default): header sha256=<HMAC(secret, timestamp + "." + body)> plus a Unix-seconds timestamp header; standard-webhooks: webhook-id / webhook-timestamp / webhook-signature: v1,<base64> (Svix); hmac-sha256-body: <optional sha256=><hex or base64 HMAC(secret, body)> in a named header (Typeform).',
        enum: [...SIGNATURE_SCHEMES],
        default: DEFAULT_SIGNATURE_SCHEME,
      },
      signatureHeader: headerSchema(
        'Signature header',
        'Header carrying the signature. Default: x-webhook-signature (webhook-signature for standard-webhooks).',
      ),
      signatureEncoding: {
        type: 'string',
        title: 'Signature encoding',
        description: 'hex (default) or base64 for the HMAC schemes; Standard Webhooks signatures are always base64.',
        enum: [...SIGNATURE_ENCODINGS],
      },
      timestampHeader: headerSchema(
        'Timestamp header',
        'Header carrying the signing time in Unix seconds. Default: x-webhook-timestamp (webhook-timestamp for standard-webhooks); unused by hmac-sha256-body.',
      ),
      eventIdHeader: headerSchema(
        'Event id header',
        "Header carrying the sender's message id; trusted only where the signature covers it (standard-webhooks, default webhook-id).",
      ),
      signingSecret: {
        type: 'string',
        title: 'Signing secret',
        description:
          "A secret the sender generated (Standard Webhooks: whsec_…). Leave empty to sign with this integration's webhook secret.",
        minLength: 1,
        maxLength: 1000,
        'x-secret': true,
      },
      toleranceSeconds: {
        type: 'integer',
        title: 'Timestamp tolerance (seconds)',
        description: `How far the timestamp may be from the time of receipt, either way. Default: ${DEFAULT_TOLERANCE_SECONDS}.`,
        minimum: MIN_TOLERANCE_SECONDS,
        maximum: MAX_TOLERANCE_SECONDS,
      },
    },
    required: ['mapping', 'externalIdPointer'],
    additionalProperties: false,
  };

  readonly webhook: WebhookSpec = {
    routing: 'integration',
    verify: (req, keys) => this.verify(req, keys),
    extractEvents: (payload: unknown, req: WebhookRequest, config?: IntegrationConfig) =>
      this.extractEvents(payload, req, config),
  };

  validateConfig(config: IntegrationConfig): ConfigProblem[] {
    return genericConfigProblems(config);
  }

  async testConnection(): Promise<TestResult> {
    return { success: true, message: 'Generic webhooks are verified by signature on delivery' };
  }

  async processWebhook(event: StoredEvent, ctx: HandlerContext): Promise<WebhookOutcome> {
    return { leads: [leadFromPayload(event.payload, readGenericConfig(ctx.config))] };
  }

  private verify(req: WebhookRequest, keys: VerificationKeys): VerifyResult {
    return verifyGenericDelivery(req, readGenericConfig(keys.config), keys.webhookSecrets);
  }

  /**
   * The dedup id comes from what the signature covers (issue 9 point 5): the signed Standard
   * Webhooks message id, otherwise a digest of the signed body. An unsigned id header would let a
   * replayer turn one captured delivery into many events.
   */
  private extractEvents(
    payload: unknown,
    req: WebhookRequest,
    integrationConfig: IntegrationConfig = {},
  ): ExtractedEvent[] {
    const config = readGenericConfig(integrationConfig);
    // re-parse the raw bytes so that integers beyond 2^53 keep their digits (as strings)
    const body = parseLossless(req.rawBody) ?? payload;
    // null, a number, a string, a boolean: no field a mapping could read, so nothing to process
    // (answered `ignored`; stored, it could only fail its attempts and wait for a replay that fails too)
    if (body === null || typeof body !== 'object') return [];
    const named = config.eventTypePointer
      ? clip(asId(jsonPointer(body, config.eventTypePointer)), MAX_EVENT_TYPE_LENGTH)
      : undefined;
    const eventType = named === undefined || RESERVED_EVENT_TYPES.has(named) ? 'lead' : named;
    return [{ externalId: signedEventId(req, config), eventType, payload: body }];
  }
}

/** At most `max` UTF-16 units, never half a surrogate pair (an unpaired half is text PostgreSQL refuses). */
function clip(text: string | undefined, max: number): string | undefined {
  if (text === undefined || text.length <= max) return text;
  const cut = text.slice(0, max);
  return /[\ud800-\udbff]$/.test(cut) ? cut.slice(0, -1) : cut;
}

function signedEventId(req: WebhookRequest, config: GenericWebhookConfig): string {
  if (config.signatureScheme === 'standard-webhooks') {
    const { id } = standardHeaders(req, config);
    if (id) return `webhook-id:${id}`;
  }
  return `sha256:${createHash('sha256').update(req.rawBody).digest('hex')}`;
}

function parseLossless(rawBody: Buffer): unknown {
  try {
    return parseJsonLossless(rawBody.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** Resolves every configured pointer or selector; values are taken as text (numbers included), never as objects. */
export function leadFromPayload(payload: unknown, config: GenericWebhookConfig): LeadInput {
  const pointer = config.externalIdPointer;
  const externalId = pointer ? asId(jsonPointer(payload, pointer)) : undefined;
  if (!externalId)
    throw new PermanentEventError(`payload has no value at ${pointer ?? 'externalIdPointer (not configured)'}`);

  // two form tools sending to one sub-account both number their submissions from 1
  const lead: LeadInput = { platform: 'generic', externalId, externalIdScope: 'integration', source: {} };
  const textAt = (source: MappingSource | undefined) =>
    source === undefined ? undefined : asId(resolveMappingSource(payload, source));
  for (const field of LEAD_TEXT_FIELDS) {
    const text = textAt(config.mapping[field]);
    if (text !== undefined) lead[field] = text;
  }
  for (const field of SOURCE_TEXT_FIELDS) {
    const text = textAt(config.mapping[field]);
    if (text !== undefined) lead.source[field] = text;
  }
  if (config.mapping.tags !== undefined) {
    const tags = tagsOf(resolveMappingSource(payload, config.mapping.tags));
    if (tags.length > 0) lead.tags = tags;
  }

  if (config.customAnswersPointer !== undefined) {
    const answers = answersOf(jsonPointer(payload, config.customAnswersPointer));
    if (Object.keys(answers).length > 0) lead.customAnswers = answers;
  }
  if (!CONTACT_FIELDS.some((field) => lead[field] !== undefined))
    throw new PermanentEventError(noContactMessage(config));
  return lead;
}

/** What makes a lead someone to contact: without one of them it is an empty row. */
const CONTACT_FIELDS = ['email', 'phone', 'fullName', 'firstName', 'lastName'] as const;

/**
 * A delivery in which the mapping finds no e-mail, phone or name: most often the sender renamed a
 * field. The same payload and mapping never succeed, so the event fails at once (not retried) and
 * says where it looked; once the mapping is fixed, a replay of the event makes the lead.
 */
function noContactMessage(config: GenericWebhookConfig): string {
  const looked = CONTACT_FIELDS.flatMap((field) => {
    const source = config.mapping[field];
    return source === undefined ? [] : [`${field} ${describeSource(source)}`];
  });
  const where =
    looked.length > 0
      ? `pointers ${looked.join(', ')}`
      : 'none of email, phone, fullName, firstName, lastName is mapped';
  return `the mapping found no email, phone or name in the delivery (${where})`;
}

/** A pointer as itself; a selector as pointer[where…]value, e.g. /answers[/field/ref="email"]/email. */
function describeSource(source: MappingSource): string {
  if (typeof source === 'string') return source === '' ? '"" (the whole payload)' : source;
  const where = Object.entries(source.where)
    .map(([at, expected]) => `${at}=${JSON.stringify(expected)}`)
    .join(' and ');
  return `${source.pointer}[${where}]${source.value}`;
}

/** An array of values, "a, b, c", or one number (numbers are taken as text); trimmed, without empties or repeats. */
function tagsOf(value: unknown): string[] {
  const raw = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? asArray(value) : [value];
  const tags = raw.map((tag) => asId(tag)).filter((tag): tag is string => tag !== undefined);
  return [...new Set(tags)];
}

/** Scalars as text, lists of scalars joined, anything nested as its JSON. */
function answersOf(value: unknown): Record<string, string> {
  const answers: Record<string, string> = {};
  if (!isRecord(value)) return answers;
  for (const [key, entry] of Object.entries(value)) {
    const text = answerText(entry);
    // defineProperty: an answer named "__proto__" stays an ordinary key
    if (text !== undefined)
      Object.defineProperty(answers, key, { value: text, enumerable: true, writable: true, configurable: true });
  }
  return answers;
}

function answerText(value: unknown): string | undefined {
  if (typeof value === 'boolean') return String(value);
  if (typeof value !== 'object' || value === null) return asId(value);
  if (Array.isArray(value) && value.every((item) => typeof item !== 'object' || item === null)) {
    const items = value.map((item) => answerText(item)).filter((item): item is string => item !== undefined);
    return items.length > 0 ? items.join(', ') : undefined;
  }
  return JSON.stringify(value);
}
