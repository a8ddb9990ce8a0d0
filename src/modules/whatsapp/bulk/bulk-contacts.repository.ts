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

export interface LeadForBulk {
  id: bigint;
  phone: string | null;
  phoneValid: boolean;
}

export interface LeadFilter {
  status?: string;
  source?: string;
  createdFrom?: Date;
  createdTo?: Date;
  tags?: string[];
}

/**
 * What a bulk reads about its recipients from the leads and messaging tables (leads, opt-outs,
 * conversations, templates), in batches: 100,000 recipients are screened in a few statements, not
 * one per lead. Read-only except the 131050 opt-out, which goes through the same upsert the webhook uses.
 */
@Injectable()
export class BulkContactsRepository {
  constructor(private readonly db: Db) {}

  /** The leads of one sub-account among these ids (others are not found, whoever owns them). */
  async leadsByIds(subAccountId: number, ids: readonly bigint[]): Promise<LeadForBulk[]> {
    const rows = await this.db.sql<{ id: string; phone: string | null; phone_valid: boolean }>(
      {
        text: `SELECT l.id::text AS id, l.phone, l.phone_valid FROM leads l
               WHERE l.sub_account_id = $1 AND l.id = ANY($2::bigint[]) ORDER BY l.id`,
      },
      [subAccountId, ids.map(String)],
    );
    return rows.map((r) => ({ id: BigInt(r.id), phone: r.phone, phoneValid: r.phone_valid }));
  }

  /** Leads of one sub-account matching a filter, oldest first, at most `limit`. */
  async leadsByFilter(subAccountId: number, filter: LeadFilter, limit: number): Promise<LeadForBulk[]> {
    const rows = await this.db.sql<{ id: string; phone: string | null; phone_valid: boolean }>(
      {
        text: `SELECT l.id::text AS id, l.phone, l.phone_valid FROM leads l
               WHERE l.sub_account_id = $1
                 AND ($2::text IS NULL OR l.status::text = $2)
                 AND ($3::text IS NULL OR EXISTS (
                   SELECT 1 FROM lead_sources s WHERE s.lead_id = l.id AND s.platform = $3 AND s.deleted_at IS NULL))
                 AND ($4::timestamptz IS NULL OR l.created_at >= $4)
                 AND ($5::timestamptz IS NULL OR l.created_at < $5)
                 AND ($6::text[] IS NULL OR l.tags && $6::text[])
               ORDER BY l.id LIMIT $7`,
      },
      [
        subAccountId,
        filter.status ?? null,
        filter.source ?? null,
        filter.createdFrom ?? null,
        filter.createdTo ?? null,
        filter.tags && filter.tags.length > 0 ? filter.tags : null,
        limit,
      ],
    );
    return rows.map((r) => ({ id: BigInt(r.id), phone: r.phone, phoneValid: r.phone_valid }));
  }

  /** The fields a template parameter's `{{lead.x}}` may name. */
  async leadFields(leadId: bigint): Promise<Record<string, string | null>> {
    const [row] = await this.db.sql<Record<string, string | null>>(
      {
        name: 'wa_bulk_lead_fields_v1',
        text: `SELECT first_name AS "firstName", last_name AS "lastName", full_name AS "fullName", email, phone, company,
                      job_title AS "jobTitle", city, region, postal_code AS "postalCode", country
               FROM leads WHERE id = $1::bigint`,
      },
      [leadId.toString()],
    );
    return row ?? {};
  }

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
