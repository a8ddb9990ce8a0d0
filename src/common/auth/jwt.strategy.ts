import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { AuthUser, isRole } from './auth-user';

/** Turns verified JWT claims into an AuthUser, or refuses the token (→ 401). */
export function claimsToUser(payload: unknown): AuthUser | null {
  if (typeof payload !== 'object' || payload === null) return null;
  const claims = payload as Record<string, unknown>;
  if (typeof claims.exp !== 'number') return null; // API.md: exp is required
  if (typeof claims.sub !== 'string' || claims.sub === '') return null;
  if (!isRole(claims.role)) return null;
  const ids = claims.subAccountIds ?? [];
  if (!Array.isArray(ids) || !ids.every((id): id is number => Number.isSafeInteger(id) && id > 0)) return null;
  return { sub: claims.sub, role: claims.role, subAccountIds: ids };
}

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const { publicKey, secret } = config.jwt;
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      ignoreExpiration: false,
      secretOrKey: publicKey ?? secret ?? '',
      algorithms: publicKey ? ['RS256'] : ['HS256'],
    });
  }

  validate(payload: unknown): AuthUser | false {
    return claimsToUser(payload) ?? false;
  }
}
