import { sign } from 'jsonwebtoken';
import { parseArgs } from 'node:util';
import { MAX_INT_ID } from '../http/int-id.decorator';
import { isRole, Role } from './auth-user';

export interface DevTokenInput {
  role: Role;
  subAccountIds: number[];
  sub?: string;
  expiresInSeconds?: number;
  /** Claims the API may be configured to require (JWT_ISSUER, JWT_AUDIENCE). */
  issuer?: string;
  audience?: string;
}

/** Signs a token the way the CRM would (for `npm run token` and the tests). */
export function signToken(input: DevTokenInput, key: { secret?: string; privateKey?: string }): string {
  const payload = {
    sub: input.sub ?? `dev-${input.role.toLowerCase()}`,
    role: input.role,
    subAccountIds: input.subAccountIds,
  };
  const options = {
    expiresIn: input.expiresInSeconds ?? 12 * 3600,
    ...(input.issuer ? { issuer: input.issuer } : {}),
    ...(input.audience ? { audience: input.audience } : {}),
  };
  // jsonwebtoken adds iat, which the API requires
  if (key.privateKey) return sign(payload, key.privateKey, { ...options, algorithm: 'RS256' });
  if (!key.secret) throw new Error('JWT_SECRET (or JWT_PRIVATE_KEY for RS256) is required to sign a token');
  return sign(payload, key.secret, { ...options, algorithm: 'HS256' });
}

export const TOKEN_USAGE = `Prints a signed development token (HS256 with JWT_SECRET or DATA_DIR's development secret; RS256 with JWT_PRIVATE_KEY).
Run it where npm start runs: the development secret is the one under that DATA_DIR.

  npm run -s token -- [--role ADMIN] [--sub-accounts 1,2] [--sub alice] [--hours 12]

  --role          SUPER_ADMIN, ADMIN (default), MANAGER or AGENT
  --sub-accounts  the sub-accounts the user may act on (ignored for SUPER_ADMIN); none: every list is empty
  --sub           the user id (default dev-<role>)
  --hours         lifetime in hours (default 12), at most JWT_MAX_AGE_SECONDS: the API refuses longer ones
`;

export type TokenArgs =
  | { kind: 'help' }
  | { kind: 'error'; message: string }
  | { kind: 'token'; role: Role; subAccountIds: number[]; sub?: string; expiresInSeconds: number };

/**
 * `npm run token`'s options. `--help` ended in a stack trace (an unknown option to parseArgs),
 * `--hours abc` in jsonwebtoken's "expiresIn should be a number" trace, and `--hours 48` printed a
 * token the API then refused with a bare 401 (its lifetime is over JWT_MAX_AGE_SECONDS).
 */
export function parseTokenArgs(args: string[], maxAgeSeconds: number): TokenArgs {
  let values: { role?: string; 'sub-accounts'?: string; sub?: string; hours?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        role: { type: 'string', default: 'ADMIN' },
        'sub-accounts': { type: 'string', default: '' },
        sub: { type: 'string' },
        hours: { type: 'string', default: '12' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    return { kind: 'error', message: `${(err as Error).message}\n\n${TOKEN_USAGE}` };
  }
  if (values.help) return { kind: 'help' };
  if (!isRole(values.role))
    return { kind: 'error', message: `--role must be SUPER_ADMIN, ADMIN, MANAGER or AGENT (got ${values.role})` };
  const subAccountIds = (values['sub-accounts'] ?? '')
    .split(',')
    .filter((s) => s.trim() !== '')
    .map(Number);
  // what the API takes (claimsToUser): sub-account ids are int4
  if (!subAccountIds.every((n) => Number.isInteger(n) && n > 0 && n <= MAX_INT_ID))
    return {
      kind: 'error',
      message: `--sub-accounts must be a comma-separated list of sub-account ids (1 to ${MAX_INT_ID})`,
    };
  const hours = Number(values.hours);
  const maxHours = maxAgeSeconds / 3600;
  if (!/^\d+(\.\d+)?$/.test(values.hours ?? '') || !(hours > 0) || hours > maxHours)
    return {
      kind: 'error',
      message: `--hours must be a number of hours above 0 and at most ${maxHours} (JWT_MAX_AGE_SECONDS is ${maxAgeSeconds}; the API refuses a longer-lived token) (got ${values.hours})`,
    };
  return {
    kind: 'token',
    role: values.role,
    subAccountIds,
    ...(values.sub !== undefined ? { sub: values.sub } : {}),
    expiresInSeconds: Math.round(hours * 3600),
  };
}
