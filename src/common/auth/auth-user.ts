export const ROLES = ['SUPER_ADMIN', 'ADMIN', 'MANAGER', 'AGENT'] as const;
export type Role = (typeof ROLES)[number];

/** The verified caller, built from the JWT claims. */
export interface AuthUser {
  sub: string;
  role: Role;
  /** Sub-accounts the caller may act on; ignored for SUPER_ADMIN, who may act on all. */
  subAccountIds: readonly number[];
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
