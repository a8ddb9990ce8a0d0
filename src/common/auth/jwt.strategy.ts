import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { MAX_INT_ID } from '../http/int-id.decorator';
import { isUnstorableText } from '../http/unstorable-input';
import { AuthUser, isRole } from './auth-user';

/** How far a token's `iat` may be ahead of our clock (the issuer's clock may run a little fast). */
const CLOCK_SKEW_SECONDS = 60;

export interface TokenPolicy {
  /** The longest lifetime accepted (`exp - iat`, or `exp - now` without `iat`). */
  maxAgeSeconds: number;
  /** Now, in seconds since the epoch (injected: tests never read the wall clock). */
  nowSeconds: number;
}

/**
 * Turns verified JWT claims into an AuthUser, or refuses the token (→ 401). The signature, `exp`,
 * and (when configured) `iss`/`aud` are checked before this by passport-jwt. API.md requires `exp`
 * only, so `iat` is optional (a token signed with `jose` carries none unless asked). A token may not
 * live longer than the policy allows (a stolen token signed for a year is refused, not honoured until
 * it expires): with `iat`, its declared lifetime `exp - iat` (and `iat` not in the future); without,
 * what is left of it, `exp - now`.
 */
export function claimsToUser(payload: unknown, policy: TokenPolicy): AuthUser | null {
  if (typeof payload !== 'object' || payload === null) return null;
  const claims = payload as Record<string, unknown>;
  if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) return null; // API.md: exp is required
  if (claims.iat === undefined) {
    if (claims.exp - policy.nowSeconds > policy.maxAgeSeconds) return null;
  } else {
    if (typeof claims.iat !== 'number' || !Number.isFinite(claims.iat)) return null;
    if (claims.iat > policy.nowSeconds + CLOCK_SKEW_SECONDS) return null;
    if (claims.exp - claims.iat > policy.maxAgeSeconds) return null;
  }
  // the user id is recorded with what it does (created_by, the audit trail): text PostgreSQL cannot store
  // failed every write with a 500 (a NUL) or was stored as another id (an unpaired surrogate)
  if (typeof claims.sub !== 'string' || claims.sub === '' || isUnstorableText(claims.sub)) return null;
  if (!isRole(claims.role)) return null;
  const ids = claims.subAccountIds ?? [];
  // sub-account ids are int4: one past it failed every scoped query with a 500
  if (!Array.isArray(ids) || !ids.every((id): id is number => Number.isInteger(id) && id > 0 && id <= MAX_INT_ID))
    return null;
  return { sub: claims.sub, role: claims.role, subAccountIds: ids };
}

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  private readonly maxAgeSeconds: number;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const { publicKey, secret, issuer, audience } = config.jwt;
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      ignoreExpiration: false,
      secretOrKey: publicKey ?? secret ?? '',
      algorithms: publicKey ? ['RS256'] : ['HS256'],
      ...(issuer ? { issuer } : {}),
      ...(audience ? { audience } : {}),
    });
    this.maxAgeSeconds = config.jwt.maxAgeSeconds;
  }

  validate(payload: unknown): AuthUser | false {
    return (
      claimsToUser(payload, { maxAgeSeconds: this.maxAgeSeconds, nowSeconds: Math.floor(Date.now() / 1000) }) ?? false
    );
  }
}
