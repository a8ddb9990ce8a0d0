/**
 * Text a person typed, for Prisma's `contains` / `startsWith` / `equals … insensitive` (each a LIKE or
 * ILIKE in PostgreSQL): `%` and `_` are characters to find, not wildcards, and a backslash is itself.
 * Prisma passes them on unescaped, so `q=%` matched every row and `q=a_b` matched `axb`.
 */
export function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, '\\$&');
}
