import { sign } from 'jsonwebtoken';
import { Role } from './auth-user';

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
