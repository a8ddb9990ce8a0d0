import { sign } from 'jsonwebtoken';
import { Role } from './auth-user';

export interface DevTokenInput {
  role: Role;
  subAccountIds: number[];
  sub?: string;
  expiresInSeconds?: number;
}

/** Signs a token the way the CRM would (for `npm run token` and the tests). */
export function signToken(input: DevTokenInput, key: { secret?: string; privateKey?: string }): string {
  const payload = {
    sub: input.sub ?? `dev-${input.role.toLowerCase()}`,
    role: input.role,
    subAccountIds: input.subAccountIds,
  };
  const expiresIn = input.expiresInSeconds ?? 12 * 3600;
  if (key.privateKey) return sign(payload, key.privateKey, { algorithm: 'RS256', expiresIn });
  if (!key.secret) throw new Error('JWT_SECRET (or JWT_PRIVATE_KEY for RS256) is required to sign a token');
  return sign(payload, key.secret, { algorithm: 'HS256', expiresIn });
}
