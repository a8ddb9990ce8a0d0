import { DomainException } from '../errors/domain.exception';
import { AuthUser } from './auth-user';

/**
 * The sub-accounts a caller may act on, as services pass it to repositories:
 * `'all'` for a super-admin, otherwise the explicit list from the token.
 */
export type SubAccountScope = 'all' | readonly number[];

export function scopeOf(user: AuthUser): SubAccountScope {
  return user.role === 'SUPER_ADMIN' ? 'all' : user.subAccountIds;
}

export function canActOn(user: AuthUser, subAccountId: number): boolean {
  return user.role === 'SUPER_ADMIN' || user.subAccountIds.includes(subAccountId);
}

/** For an explicit `subAccountId` in a request: 403 when the caller may not act on it. */
export function assertCanActOn(user: AuthUser, subAccountId: number): void {
  if (!canActOn(user, subAccountId)) {
    throw DomainException.forbidden(`You may not act on sub-account ${subAccountId}`);
  }
}

/**
 * For a record found by id: a record of a sub-account the caller may not act on is reported as
 * not found, so that its existence is never revealed.
 */
export function assertVisible<T extends { subAccountId: number }>(user: AuthUser, record: T | null, entity: string): T {
  if (!record || !canActOn(user, record.subAccountId)) throw DomainException.notFound(entity);
  return record;
}

/** Narrows an optional `subAccountId` filter to what the caller may see (403 for a foreign one). */
export function listScope(user: AuthUser, subAccountId?: number): SubAccountScope {
  if (subAccountId !== undefined) {
    assertCanActOn(user, subAccountId);
    return [subAccountId];
  }
  return scopeOf(user);
}
