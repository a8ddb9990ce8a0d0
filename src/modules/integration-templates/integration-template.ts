/** An integration template as the services see it (IntegrationTemplatesRepository reads and writes it). */
export interface IntegrationTemplate {
  id: number;
  name: string;
  displayName: string;
  description: string | null;
  category: string;
  icon: string | null;
  /** The registered handler's key. */
  handler: string;
  /** JSON Schema (2020-12) of an integration's config; `x-secret: true` marks secrets. */
  configSchema: unknown;
  setupInstructions: string | null;
  apiVersion: string | null;
  isActive: boolean;
  /** Outbound requests per minute per integration; null = the handler's default. */
  rateLimitPerMinute: number | null;
  /** Bumped whenever configSchema changes: compiled validators are cached per (id, version). */
  version: number;
  createdAt: Date;
  updatedAt: Date;
}
