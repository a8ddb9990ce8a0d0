import { Injectable } from '@nestjs/common';
import { Db } from '../../../database/db';
import type { OptOutScope } from '../domain/window';

export interface BulkTemplateRow {
  id: bigint;
  name: string;
  language: string;
  category: string;
  status: string;
  components: unknown;
  parameterFormat: string;
}

/**
 * What a bulk reads about its recipients from the messaging tables (opt-outs, conversations,
 * templates), in batches: 100,000 recipients are screened in a few statements, not one per lead.
 * Read-only except the 131050 opt-out, which goes through the same upsert the webhook uses.
 */
@Injectable()
export class BulkContactsRepository {
  constructor(private readonly db: Db) {}

  async template(integrationId: number, id: bigint): Promise<BulkTemplateRow | null> {
    const [row] = await this.db.sql<{
      id: string;
      name: string;
      language: string;
      category: string;
      status: string;
      components: unknown;
      parameter_format: string;
    }>(
      {
        text: `SELECT id::text AS id, name, language, category, status, components, parameter_format
               FROM whatsapp_templates WHERE integration_id = $1 AND id = $2::bigint`,
      },
      [integrationId, id.toString()],
    );
    return row
      ? {
          id: BigInt(row.id),
          name: row.name,
          language: row.language,
          category: row.category,
          status: row.status,
          components: row.components,
          parameterFormat: row.parameter_format,
        }
      : null;
  }

  /** Opt-out scope per canonical phone (by phone or by the wa_id of the same digits); `all` wins over marketing. */
  async optOutScopes(subAccountId: number, phones: readonly string[]): Promise<Map<string, OptOutScope>> {
    const rows = await this.db.sql<{ phone: string | null; wa_id: string | null; scope: OptOutScope }>(
      {
        // WhatsApp's own opt-outs: a Messenger or Instagram STOP holds on its channel only
        name: 'wa_bulk_opt_outs_v2',
        text: `SELECT phone, wa_id, scope FROM whatsapp_opt_outs
               WHERE sub_account_id = $1 AND channel = 'whatsapp'
                 AND (phone = ANY($2::text[]) OR wa_id = ANY($3::text[]))`,
      },
      [subAccountId, phones, phones.map((p) => p.replace(/^\+/, ''))],
    );
    const byDigits = new Map(phones.map((p) => [p.replace(/^\+/, ''), p]));
    const scopes = new Map<string, OptOutScope>();
    for (const row of rows) {
      const phone = row.phone && byDigits.has(row.phone.replace(/^\+/, '')) ? row.phone : byDigits.get(row.wa_id ?? '');
      if (!phone) continue;
      if (scopes.get(phone) !== 'all') scopes.set(phone, row.scope);
    }
    return scopes;
  }

  /** The contact's last inbound message on this number, per canonical phone (none: never wrote). */
  async lastInbound(integrationId: number, phones: readonly string[]): Promise<Map<string, Date>> {
    const rows = await this.db.sql<{ phone: string; at: Date }>(
      {
        name: 'wa_bulk_last_inbound_v1',
        text: `SELECT phone_normalized AS phone, max(last_inbound_at) AS at FROM conversations
               WHERE integration_id = $1 AND phone_normalized = ANY($2::text[]) AND last_inbound_at IS NOT NULL
               GROUP BY phone_normalized`,
      },
      [integrationId, phones],
    );
    return new Map(rows.map((r) => [r.phone, r.at]));
  }
}
