import { MALFORMED_CASES } from './malformed-cases';
import { NO_ROUTING_KEY_CASES, SENDER_LIMIT_CASES } from './sender-limits-cases';
import type { HostileCase, SignedOddCase } from './shared';
import { SIGNATURE_CASES } from './signature-cases';
import { SIGNED_ODD_CASES } from './signed-odd-cases';
import { SIZE_ENCODING_CASES } from './size-encoding-cases';
import { TRANSPORT_CASES } from './transport-cases';

export * from './raw-http';
export * from './shared';

/** Refused with a 4xx, storing nothing. */
export const HOSTILE_CASES: readonly HostileCase[] = [
  ...MALFORMED_CASES,
  ...SIZE_ENCODING_CASES,
  ...SIGNATURE_CASES,
  ...TRANSPORT_CASES,
  ...NO_ROUTING_KEY_CASES,
];

/** Correctly signed: 200 (stored or ignored) or a 4xx, never a 5xx; only their own events stored. */
export const SIGNED_CASES: readonly SignedOddCase[] = [...SIGNED_ODD_CASES, ...SENDER_LIMIT_CASES];
