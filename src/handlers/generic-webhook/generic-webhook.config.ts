/**
 * The generic webhook's configuration: which JSON Pointer in the sender's payload holds each lead
 * field, and how deliveries are signed. A super-admin defines a template on this handler through
 * the API alone, so every check JSON Schema cannot express is here, with the pointer of the field.
 */
import { LEAD_TEXT_FIELDS, type ConfigProblem } from '../handler-types';
import type { IntegrationConfig } from '../integration-handler';
import { isRecord } from '../shared/json';
import {
  isJsonPointer,
  mappingSourceProblems,
  MappingSource,
  pointerToken,
  readMappingSource,
} from './generic-webhook.mapping';

export { isJsonPointer };

/** Lead fields a mapping may fill: text fields of the lead (LEAD_TEXT_FIELDS), its tags, and attribution (lead.source). */
export { LEAD_TEXT_FIELDS };
export const SOURCE_TEXT_FIELDS = ['campaignId', 'campaignName', 'adId', 'formId', 'formName'] as const;
export const MAPPABLE_FIELDS = [...LEAD_TEXT_FIELDS, 'tags', ...SOURCE_TEXT_FIELDS] as const;
export type MappableField = (typeof MAPPABLE_FIELDS)[number];

const MAPPABLE: ReadonlySet<string> = new Set(MAPPABLE_FIELDS);

/**
 * How a sender signs (API.md "Standard handler configuration"):
 * - `hmac-sha256-timestamped`: the hub's own scheme, `sha256=<HMAC(secret, timestamp + "." + body)>`
 *   plus a Unix-seconds timestamp header;
 * - `standard-webhooks`: https://www.standardwebhooks.com (spec/standard-webhooks.md), as Svix and
 *   the tools built on it send: `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64>`
 *   over `id.timestamp.body`, secret `whsec_<base64>`;
 * - `hmac-sha256-body`: an HMAC of the body alone in a named header, hex or base64, with an
 *   optional `sha256=` prefix (Typeform: `Typeform-Signature: sha256=<base64>`).
 */
export const SIGNATURE_SCHEMES = ['hmac-sha256-timestamped', 'standard-webhooks', 'hmac-sha256-body'] as const;
export type SignatureScheme = (typeof SIGNATURE_SCHEMES)[number];
export const SIGNATURE_ENCODINGS = ['hex', 'base64'] as const;
export type SignatureEncoding = (typeof SIGNATURE_ENCODINGS)[number];

export const DEFAULT_SIGNATURE_SCHEME: SignatureScheme = 'hmac-sha256-timestamped';

interface SchemeDefaults {
  signatureHeader: string;
  timestampHeader: string;
  eventIdHeader: string;
  encoding: SignatureEncoding;
}

export const SCHEME_DEFAULTS: Readonly<Record<SignatureScheme, SchemeDefaults>> = {
  'hmac-sha256-timestamped': {
    signatureHeader: 'x-webhook-signature',
    timestampHeader: 'x-webhook-timestamp',
    eventIdHeader: 'x-webhook-id',
    encoding: 'hex',
  },
  'standard-webhooks': {
    signatureHeader: 'webhook-signature',
    timestampHeader: 'webhook-timestamp',
    eventIdHeader: 'webhook-id',
    encoding: 'base64',
  },
  'hmac-sha256-body': {
    signatureHeader: 'x-webhook-signature',
    timestampHeader: 'x-webhook-timestamp',
    eventIdHeader: 'x-webhook-id',
    encoding: 'hex',
  },
};

/** Kept for callers that name the hub scheme's headers. */
export const DEFAULT_SIGNATURE_HEADER = SCHEME_DEFAULTS[DEFAULT_SIGNATURE_SCHEME].signatureHeader;
export const DEFAULT_TIMESTAMP_HEADER = SCHEME_DEFAULTS[DEFAULT_SIGNATURE_SCHEME].timestampHeader;
export const DEFAULT_EVENT_ID_HEADER = SCHEME_DEFAULTS[DEFAULT_SIGNATURE_SCHEME].eventIdHeader;
export const DEFAULT_TOLERANCE_SECONDS = 300;
export const MIN_TOLERANCE_SECONDS = 30;
export const MAX_TOLERANCE_SECONDS = 3600;
/** An HTTP header field name (RFC 9110 token). */
export const HEADER_NAME_PATTERN = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$";
const HEADER_NAME = new RegExp(HEADER_NAME_PATTERN);
const STANDARD_SECRET_PREFIX = 'whsec_';

export interface GenericWebhookConfig {
  /** A JSON Pointer, or an array selector (generic-webhook.mapping.ts), per lead field. */
  mapping: Partial<Record<MappableField, MappingSource>>;
  externalIdPointer?: string;
  customAnswersPointer?: string;
  eventTypePointer?: string;
  signatureScheme: SignatureScheme;
  signatureEncoding: SignatureEncoding;
  /** Lower-cased, as WebhookRequest.headers are. */
  signatureHeader: string;
  timestampHeader: string;
  eventIdHeader: string;
  /** True when the template left the header names to the scheme (Svix's `svix-*` names are then accepted too). */
  defaultHeaders: boolean;
  toleranceSeconds: number;
  /** A secret the sender generated (a Standard Webhooks `whsec_…`); otherwise the integration's webhook secret signs. */
  signingSecret?: string;
}

function schemeOf(config: IntegrationConfig): SignatureScheme {
  const value = config.signatureScheme;
  return SIGNATURE_SCHEMES.find((s) => s === value) ?? DEFAULT_SIGNATURE_SCHEME;
}

/**
 * The HMAC key of a Standard Webhooks secret: the base64 after an optional `whsec_` (spec "Signature
 * scheme"; the reference libraries decode a secret pasted without the prefix the same way).
 */
export function standardWebhooksKey(secret: string): Buffer {
  const encoded = secret.startsWith(STANDARD_SECRET_PREFIX) ? secret.slice(STANDARD_SECRET_PREFIX.length) : secret;
  return Buffer.from(encoded, 'base64');
}

/** Reads a validated config, with defaults; entries that are not valid pointers or selectors are left out. */
export function readGenericConfig(config: IntegrationConfig): GenericWebhookConfig {
  const mapping: Partial<Record<MappableField, MappingSource>> = {};
  if (isRecord(config.mapping)) {
    for (const field of MAPPABLE_FIELDS) {
      const source = readMappingSource(config.mapping[field]);
      if (source !== undefined) mapping[field] = source;
    }
  }
  const pointer = (key: string): string | undefined => {
    const value = config[key];
    return isJsonPointer(value) ? value : undefined;
  };
  const scheme = schemeOf(config);
  const defaults = SCHEME_DEFAULTS[scheme];
  const explicit = (key: string): string | undefined => {
    const value = config[key];
    return typeof value === 'string' && value !== '' ? value.toLowerCase() : undefined;
  };
  const tolerance = config.toleranceSeconds;
  const encoding = SIGNATURE_ENCODINGS.find((e) => e === config.signatureEncoding) ?? defaults.encoding;
  const signingSecret =
    typeof config.signingSecret === 'string' && config.signingSecret !== '' ? config.signingSecret : undefined;
  return {
    mapping,
    externalIdPointer: pointer('externalIdPointer'),
    customAnswersPointer: pointer('customAnswersPointer'),
    eventTypePointer: pointer('eventTypePointer'),
    signatureScheme: scheme,
    // Standard Webhooks signatures are base64 by definition
    signatureEncoding: scheme === 'standard-webhooks' ? 'base64' : encoding,
    signatureHeader: explicit('signatureHeader') ?? defaults.signatureHeader,
    timestampHeader: explicit('timestampHeader') ?? defaults.timestampHeader,
    eventIdHeader: explicit('eventIdHeader') ?? defaults.eventIdHeader,
    defaultHeaders: ['signatureHeader', 'timestampHeader', 'eventIdHeader'].every((k) => explicit(k) === undefined),
    toleranceSeconds:
      typeof tolerance === 'number' && Number.isInteger(tolerance) && tolerance > 0
        ? tolerance
        : DEFAULT_TOLERANCE_SECONDS,
    ...(signingSecret ? { signingSecret } : {}),
  };
}

function enumProblem(config: IntegrationConfig, key: string, values: readonly string[]): ConfigProblem[] {
  const value = config[key];
  return value === undefined || values.includes(value as string)
    ? []
    : [{ pointer: `/${key}`, message: `must be one of ${values.join(', ')}` }];
}

function signingProblems(config: IntegrationConfig): ConfigProblem[] {
  const problems = [
    ...enumProblem(config, 'signatureScheme', SIGNATURE_SCHEMES),
    ...enumProblem(config, 'signatureEncoding', SIGNATURE_ENCODINGS),
  ];
  const secret = config.signingSecret;
  if (secret !== undefined) {
    if (typeof secret !== 'string' || secret === '')
      problems.push({ pointer: '/signingSecret', message: 'must be text' });
    else if (schemeOf(config) === 'standard-webhooks' && standardWebhooksKey(secret).length < 16)
      // the spec asks for at least 24 random bytes; a shorter one is a paste error, never said back
      problems.push({ pointer: '/signingSecret', message: 'is not a Standard Webhooks secret (whsec_ + base64)' });
  }
  // the body-only scheme has no timestamp: the timestamp header is not used
  const headerKeys =
    schemeOf(config) === 'hmac-sha256-body'
      ? (['signatureHeader', 'eventIdHeader'] as const)
      : (['signatureHeader', 'timestampHeader', 'eventIdHeader'] as const);
  const defaults = SCHEME_DEFAULTS[schemeOf(config)];
  const seen = new Map<string, string>();
  for (const key of headerKeys) {
    const value = config[key];
    if (value !== undefined && (typeof value !== 'string' || !HEADER_NAME.test(value))) {
      problems.push({ pointer: `/${key}`, message: 'must be an HTTP header name' });
      continue;
    }
    const name = (typeof value === 'string' ? value : defaults[key]).toLowerCase();
    const clash = seen.get(name);
    if (clash) problems.push({ pointer: `/${key}`, message: `is the same header as ${clash}` });
    seen.set(name, key);
  }
  if (schemeOf(config) === 'hmac-sha256-body' && config.timestampHeader !== undefined) {
    const value = config.timestampHeader;
    if (typeof value !== 'string' || !HEADER_NAME.test(value))
      problems.push({ pointer: '/timestampHeader', message: 'must be an HTTP header name' });
  }
  const tolerance = config.toleranceSeconds;
  if (
    tolerance !== undefined &&
    (typeof tolerance !== 'number' ||
      !Number.isInteger(tolerance) ||
      tolerance < MIN_TOLERANCE_SECONDS ||
      tolerance > MAX_TOLERANCE_SECONDS)
  ) {
    problems.push({
      pointer: '/toleranceSeconds',
      message: `must be a whole number of seconds from ${MIN_TOLERANCE_SECONDS} to ${MAX_TOLERANCE_SECONDS}`,
    });
  }
  return problems;
}

/** What a template's own schema might let through: bad pointers, unknown lead fields, clashing headers. */
export function genericConfigProblems(config: IntegrationConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const checkPointer = (value: unknown, pointer: string, required: boolean) => {
    if (value === undefined && !required) return;
    if (typeof value !== 'string')
      problems.push({ pointer, message: 'must be a JSON Pointer string such as "/data/email"' });
    // a string is read as a pointer only: selectors belong to the mapping
    else problems.push(...mappingSourceProblems(value, pointer));
  };

  if (!isRecord(config.mapping)) {
    problems.push({ pointer: '/mapping', message: 'must be an object of lead field → JSON Pointer' });
  } else {
    for (const [key, value] of Object.entries(config.mapping)) {
      if (!MAPPABLE.has(key))
        problems.push({
          pointer: `/mapping/${pointerToken(key)}`,
          message: `"${key}" is not a lead field; use one of ${MAPPABLE_FIELDS.join(', ')}`,
        });
      else problems.push(...mappingSourceProblems(value, `/mapping/${key}`));
    }
  }
  checkPointer(config.externalIdPointer, '/externalIdPointer', true);
  // "" would name the whole payload, which is never an id
  if (config.externalIdPointer === '')
    problems.push({ pointer: '/externalIdPointer', message: 'must point inside the payload, e.g. "/id"' });
  checkPointer(config.customAnswersPointer, '/customAnswersPointer', false);
  checkPointer(config.eventTypePointer, '/eventTypePointer', false);
  return [...problems, ...signingProblems(config)];
}
