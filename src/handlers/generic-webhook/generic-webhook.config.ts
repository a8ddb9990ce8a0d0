/**
 * The generic webhook's configuration: which JSON Pointer in the sender's payload holds each lead
 * field, and how deliveries are signed. A super-admin defines a template on this handler through
 * the API alone, so every check JSON Schema cannot express is here, with the pointer of the field.
 */
import type { ConfigProblem } from '../handler-types';
import type { IntegrationConfig } from '../integration-handler';
import { isRecord } from '../shared/json';

/** Lead fields a mapping may fill: text fields of the lead, its tags, and attribution (lead.source). */
export const LEAD_TEXT_FIELDS = [
  'fullName',
  'firstName',
  'lastName',
  'email',
  'phone',
  'company',
  'jobTitle',
  'city',
  'region',
  'postalCode',
  'country',
] as const;
export const SOURCE_TEXT_FIELDS = ['campaignId', 'campaignName', 'adId', 'formId', 'formName'] as const;
export const MAPPABLE_FIELDS = [...LEAD_TEXT_FIELDS, 'tags', ...SOURCE_TEXT_FIELDS] as const;
export type MappableField = (typeof MAPPABLE_FIELDS)[number];

const MAPPABLE: ReadonlySet<string> = new Set(MAPPABLE_FIELDS);

export const DEFAULT_SIGNATURE_HEADER = 'x-webhook-signature';
export const DEFAULT_TIMESTAMP_HEADER = 'x-webhook-timestamp';
export const DEFAULT_EVENT_ID_HEADER = 'x-webhook-id';
export const DEFAULT_TOLERANCE_SECONDS = 300;
export const MIN_TOLERANCE_SECONDS = 30;
export const MAX_TOLERANCE_SECONDS = 3600;
/** An HTTP header field name (RFC 9110 token). */
export const HEADER_NAME_PATTERN = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$";
const HEADER_NAME = new RegExp(HEADER_NAME_PATTERN);

export interface GenericWebhookConfig {
  mapping: Partial<Record<MappableField, string>>;
  externalIdPointer?: string;
  customAnswersPointer?: string;
  eventTypePointer?: string;
  /** Lower-cased, as WebhookRequest.headers are. */
  signatureHeader: string;
  timestampHeader: string;
  eventIdHeader: string;
  toleranceSeconds: number;
}

/** RFC 6901: "" or "/"-separated tokens in which "~" is only ever "~0" or "~1". Tokens exclude "/", so no backtracking blow-up. */
const JSON_POINTER = /^(?:\/(?:[^~/]|~[01])*)*$/;

export function isJsonPointer(value: unknown): value is string {
  return typeof value === 'string' && JSON_POINTER.test(value);
}

/** A config key as a JSON Pointer token ("a/b" → "a~1b"). */
function token(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Reads a validated config, with defaults; entries that are not valid pointers are left out. */
export function readGenericConfig(config: IntegrationConfig): GenericWebhookConfig {
  const mapping: Partial<Record<MappableField, string>> = {};
  if (isRecord(config.mapping)) {
    for (const field of MAPPABLE_FIELDS) {
      const pointer = config.mapping[field];
      if (isJsonPointer(pointer)) mapping[field] = pointer;
    }
  }
  const pointer = (key: string): string | undefined => {
    const value = config[key];
    return isJsonPointer(value) ? value : undefined;
  };
  const headerName = (key: string, fallback: string): string => {
    const value = config[key];
    return (typeof value === 'string' && value !== '' ? value : fallback).toLowerCase();
  };
  const tolerance = config.toleranceSeconds;
  return {
    mapping,
    externalIdPointer: pointer('externalIdPointer'),
    customAnswersPointer: pointer('customAnswersPointer'),
    eventTypePointer: pointer('eventTypePointer'),
    signatureHeader: headerName('signatureHeader', DEFAULT_SIGNATURE_HEADER),
    timestampHeader: headerName('timestampHeader', DEFAULT_TIMESTAMP_HEADER),
    eventIdHeader: headerName('eventIdHeader', DEFAULT_EVENT_ID_HEADER),
    toleranceSeconds:
      typeof tolerance === 'number' && Number.isInteger(tolerance) && tolerance > 0
        ? tolerance
        : DEFAULT_TOLERANCE_SECONDS,
  };
}

/** What a template's own schema might let through: bad pointers, unknown lead fields, clashing headers. */
export function genericConfigProblems(config: IntegrationConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const checkPointer = (value: unknown, pointer: string, required: boolean) => {
    if (value === undefined && !required) return;
    if (typeof value !== 'string')
      problems.push({ pointer, message: 'must be a JSON Pointer string such as "/data/email"' });
    else if (!JSON_POINTER.test(value))
      problems.push({
        pointer,
        message: `"${value}" is not a JSON Pointer (RFC 6901): start with "/" and write "~" as "~0", "/" inside a name as "~1"`,
      });
  };

  if (!isRecord(config.mapping)) {
    problems.push({ pointer: '/mapping', message: 'must be an object of lead field → JSON Pointer' });
  } else {
    for (const [key, value] of Object.entries(config.mapping)) {
      if (!MAPPABLE.has(key))
        problems.push({
          pointer: `/mapping/${token(key)}`,
          message: `"${key}" is not a lead field; use one of ${MAPPABLE_FIELDS.join(', ')}`,
        });
      else checkPointer(value, `/mapping/${key}`, true);
    }
  }
  checkPointer(config.externalIdPointer, '/externalIdPointer', true);
  // "" would name the whole payload, which is never an id
  if (config.externalIdPointer === '')
    problems.push({ pointer: '/externalIdPointer', message: 'must point inside the payload, e.g. "/id"' });
  checkPointer(config.customAnswersPointer, '/customAnswersPointer', false);
  checkPointer(config.eventTypePointer, '/eventTypePointer', false);

  const seen = new Map<string, string>();
  for (const [key, fallback] of [
    ['signatureHeader', DEFAULT_SIGNATURE_HEADER],
    ['timestampHeader', DEFAULT_TIMESTAMP_HEADER],
    ['eventIdHeader', DEFAULT_EVENT_ID_HEADER],
  ] as const) {
    const value = config[key];
    if (value !== undefined && (typeof value !== 'string' || !HEADER_NAME.test(value))) {
      problems.push({ pointer: `/${key}`, message: 'must be an HTTP header name' });
      continue;
    }
    const name = (value ?? fallback).toLowerCase();
    const clash = seen.get(name);
    if (clash) problems.push({ pointer: `/${key}`, message: `is the same header as ${clash}` });
    seen.set(name, key);
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
