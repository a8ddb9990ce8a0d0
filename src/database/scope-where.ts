import type { SubAccountScope } from '../common/auth/sub-account-scope';

/**
 * The Prisma `where` fragment that keeps a query inside the caller's sub-accounts: nothing for a
 * super-admin ('all'), otherwise `{ subAccountId: { in: [...] } }` (or the given column, e.g. `id`
 * for sub-accounts themselves). Every repository query about a sub-account's data spreads it.
 */
export function scopeWhere(scope: SubAccountScope): { subAccountId?: { in: number[] } };
export function scopeWhere<K extends string>(scope: SubAccountScope, column: K): Partial<Record<K, { in: number[] }>>;
export function scopeWhere(scope: SubAccountScope, column = 'subAccountId'): Record<string, { in: number[] }> {
  return scope === 'all' ? {} : { [column]: { in: [...scope] } };
}
