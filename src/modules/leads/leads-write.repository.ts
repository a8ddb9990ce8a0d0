import { Injectable } from '@nestjs/common';
import { BoundStatement, Db } from '../../database/db';
import type { LeadInput, LeadPipelineStageChange, LeadStatus } from '../../handlers/handler-types';
import type { NormalizedContact } from './lead-normalizer';
import { instantOrNull, nul } from './lead-write-values';

export interface Touch {
  subAccountId: number;
  integrationId: number | null;
  /** What produced the touch: "event:<id>" or "sync:<integration>". */
  origin: string;
}

export interface AppliedLead {
  leadId: bigint;
  created: boolean;
  /** false when this exact touch had been recorded before (re-applied) */
  newTouch: boolean;
}

interface AppliedLeadRow {
  lead_id: string;
  created: boolean;
  new_touch: boolean;
}

/** The row of an apply_lead statement, however it was run. */
export function appliedLead(rows: readonly AppliedLeadRow[]): AppliedLead {
  const [row] = rows;
  return { leadId: BigInt(row.lead_id), created: row.created, newTouch: row.new_touch };
}

/** apply_lead as a row of a set-based statement (BoundStatement.rowForm). */
const APPLY_LEAD_ROW = {
  kind: 'apply_lead',
  types: ['int', 'int', 'text', 'jsonb', 'jsonb', 'jsonb', 'text'],
  call: `apply_lead(t.c1, t.c2, t.c3,
    ARRAY(SELECT k FROM jsonb_array_elements_text(t.c4) WITH ORDINALITY AS e(k, n) ORDER BY n), t.c5, t.c6, t.c7)`,
};

// One prepared statement per write, so the whole pipeline can run in TransactionRunner.runSql.
const SQL = {
  applyLead: {
    name: 'apply_lead_v2',
    text: 'SELECT lead_id::text AS lead_id, created, new_touch FROM apply_lead($1::int, $2::int, $3, $4::text[], $5::jsonb, $6::jsonb, $7)',
  },
  lockIdentities: {
    name: 'lead_lock_identities_v1',
    text: 'SELECT pg_advisory_xact_lock($1::int, hashtext(k)) FROM (SELECT DISTINCT unnest($2::text[]) AS k ORDER BY 1) s',
  },
  match: {
    name: 'lead_match_v1',
    text: 'SELECT key, lead_id::text AS lead_id FROM lead_identities WHERE sub_account_id = $1 AND key = ANY($2::text[])',
  },
  insertLead: {
    name: 'lead_insert_v2',
    text: `INSERT INTO leads (sub_account_id, full_name, first_name, last_name, email, phone, phone_valid, company, job_title,
             city, region, postal_code, country, tags, custom_answers, is_test, updated_at,
             origin_platform, origin_integration_id, origin_campaign_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::text[], $15::jsonb, $16, now(), $17, $18, $19)
           RETURNING id::text AS id`,
  },
  addIdentities: {
    name: 'lead_add_identities_v1',
    text: `INSERT INTO lead_identities (sub_account_id, key, lead_id)
           SELECT $1, k, $2::bigint FROM unnest($3::text[]) k ON CONFLICT (sub_account_id, key) DO NOTHING`,
  },
  link: {
    name: 'lead_link_v1',
    text: `INSERT INTO lead_identities (sub_account_id, key, lead_id) VALUES ($1, $2, $3::bigint)
           ON CONFLICT (sub_account_id, key) DO UPDATE SET lead_id = EXCLUDED.lead_id`,
  },
  sourceHash: {
    name: 'lead_source_hash_v1',
    text: `SELECT content_hash FROM lead_sources
           WHERE sub_account_id = $1 AND origin = $2 AND platform = $3 AND external_id = $4`,
  },
  updateSourceHash: {
    name: 'lead_source_hash_update_v1',
    text: `UPDATE lead_sources SET content_hash = $5
           WHERE sub_account_id = $1 AND origin = $2 AND platform = $3 AND external_id = $4`,
  },
  markSourcesDeleted: {
    name: 'lead_sources_deleted_v1',
    text: `UPDATE lead_sources SET deleted_at = now()
           WHERE sub_account_id = $1 AND platform = $2 AND external_id = $3 AND deleted_at IS NULL`,
  },
  // issue 13: the change and its fact (from, to, at, by) in one call; the rollup follows at commit
  setStatus: {
    name: 'lead_set_status_v2',
    text: `SELECT lead_set_status($1, $2::bigint, $3::"LeadStatus", $4::timestamptz, $5, $6) AS changed`,
  },
  // a dated change (a provider's) only when no status change of the lead is later than it: a replayed
  // or late delivery does not undo a newer status (concurrent ones hold the lead's identity lock)
  setStatusUnlessSuperseded: {
    name: 'lead_set_status_unless_superseded_v1',
    text: `SELECT lead_set_status($1, $2::bigint, $3::"LeadStatus", $4::timestamptz, $5, $6) AS changed
           WHERE NOT EXISTS (SELECT 1 FROM lead_status_changes
                             WHERE lead_id = $2::bigint AND sub_account_id = $1 AND at > $4::timestamptz)`,
  },
  // lead_set_status only while the lead is still in `from`: the subquery locks the row, and under READ
  // COMMITTED a row changed meanwhile is re-checked at its newest version, so a concurrent PATCH to a
  // later status is never undone
  advanceStatus: {
    name: 'lead_advance_status_v1',
    text: `SELECT lead_set_status($1, l.id, $4::"LeadStatus", $5::timestamptz, $6, $7) AS changed
           FROM (SELECT id FROM leads WHERE id = $2::bigint AND sub_account_id = $1 AND status = $3::"LeadStatus"
                 FOR UPDATE) l`,
  },
  setSourceDetails: {
    name: 'lead_source_details_v1',
    text: `UPDATE lead_sources SET details = $5::jsonb
           WHERE sub_account_id = $1 AND origin = $2 AND platform = $3 AND external_id = $4`,
  },
  // an older change (a replay, a late retry) never overwrites a newer one
  setPipelineStage: {
    name: 'lead_pipeline_stage_v1',
    text: `UPDATE leads SET pipeline_stage = $3::jsonb, updated_at = now()
           WHERE id = $2::bigint AND sub_account_id = $1
             AND (pipeline_stage IS NULL OR (pipeline_stage->>'changedAt')::timestamptz <= $4::timestamptz)`,
  },
  region: {
    name: 'sub_account_region_v1',
    text: 'SELECT default_region FROM sub_accounts WHERE id = $1',
  },
};

/**
 * Lead writes (leads, identities, sources; the timeline's are LeadTimelineRepository's): SQL
 * statements only, in the caller's transaction when there is one (either kind). Every write is keyed
 * so that applying the same outcome twice changes nothing.
 */
@Injectable()
export class LeadsWriteRepository {
  constructor(private readonly db: Db) {}

  /** Records that a key (e.g. a platform's id for the person) now names this lead. */
  async link(subAccountId: number, leadId: bigint, key: string): Promise<void> {
    await this.db.execute(SQL.link, [subAccountId, key, leadId.toString()]);
  }

  /**
   * Serialises concurrent writers that share any identity key of a sub-account (transaction-scoped
   * advisory locks, taken in a fixed order so two writers cannot deadlock on them).
   */
  async lockIdentities(subAccountId: number, keys: string[]): Promise<void> {
    await this.db.execute(SQL.lockIdentities, [subAccountId, keys]);
  }

  /** The lead matched by the strongest key (keys are ordered strongest first). */
  async match(subAccountId: number, keys: string[]): Promise<bigint | null> {
    const rows = await this.db.sql<{ key: string; lead_id: string }>(SQL.match, [subAccountId, keys]);
    for (const key of keys) {
      const found = rows.find((r) => r.key === key);
      if (found) return BigInt(found.lead_id);
    }
    return null;
  }

  /** A lead started from a reference or by hand; `integrationId` is where it came from (its first touch). */
  async insertLead(
    subAccountId: number,
    lead: LeadInput,
    contact: NormalizedContact,
    integrationId: number | null = null,
  ): Promise<bigint> {
    const [row] = await this.db.sql<{ id: string }>(SQL.insertLead, [
      subAccountId,
      contact.fullName ?? contact.partialName,
      contact.firstName,
      contact.lastName,
      contact.email,
      contact.phone,
      contact.phoneValid,
      nul(lead.company),
      nul(lead.jobTitle),
      nul(lead.city),
      nul(lead.region),
      nul(lead.postalCode),
      nul(lead.country),
      lead.tags ?? [],
      JSON.stringify(lead.customAnswers ?? {}),
      lead.isTest ?? false,
      lead.platform,
      integrationId,
      nul(lead.source.campaignId),
    ]);
    return BigInt(row.id);
  }

  async addIdentities(subAccountId: number, leadId: bigint, keys: string[]): Promise<void> {
    await this.db.execute(SQL.addIdentities, [subAccountId, leadId.toString(), keys]);
  }

  /**
   * The whole lead write of one touch in one statement (the apply_lead SQL function: locks, match,
   * insert or update, identities, source row).
   */
  async applyLead(
    touch: Touch,
    lead: LeadInput,
    contact: NormalizedContact,
    keys: string[],
    contentHash: string | null,
  ): Promise<AppliedLead> {
    const statement = this.applyLeadStatement(touch, lead, contact, keys, contentHash);
    return appliedLead(await this.db.sql<AppliedLeadRow>(statement, statement.values));
  }

  /** The same write as a statement for another repository to run inside its own (see BoundStatement). */
  applyLeadStatement(
    touch: Touch,
    lead: LeadInput,
    contact: NormalizedContact,
    keys: string[],
    contentHash: string | null,
  ): BoundStatement {
    const fields = JSON.stringify({
      platform: lead.platform,
      externalId: lead.externalId,
      ...contact,
      company: lead.company,
      jobTitle: lead.jobTitle,
      city: lead.city,
      region: lead.region,
      postalCode: lead.postalCode,
      country: lead.country,
      tags: lead.tags ?? [],
      customAnswers: lead.customAnswers ?? {},
      isTest: lead.isTest ?? false,
      submittedAt: instantOrNull(lead.submittedAt),
      observedAt: instantOrNull(lead.observedAt),
    });
    const source = JSON.stringify(lead.source);
    return {
      ...SQL.applyLead,
      // apply_lead locks the person's identities first (see lockIdentities)
      locks: { namespace: touch.subAccountId, keys },
      values: [touch.subAccountId, touch.integrationId, touch.origin, keys, fields, source, contentHash],
      rowForm: {
        ...APPLY_LEAD_ROW,
        // the keys in their order (strongest first): arrays of other lengths cannot share one text[][]
        row: [touch.subAccountId, touch.integrationId, touch.origin, JSON.stringify(keys), fields, source, contentHash],
      },
    };
  }

  /** The content hash this touch's source row was last written with; undefined when there is none. */
  async sourceHash(touch: Touch, platform: string, externalId: string): Promise<string | null | undefined> {
    const rows = await this.db.sql<{ content_hash: string | null }>(SQL.sourceHash, [
      touch.subAccountId,
      touch.origin,
      platform,
      externalId,
    ]);
    return rows[0]?.content_hash;
  }

  async updateSourceHash(touch: Touch, platform: string, externalId: string, hash: string): Promise<void> {
    await this.db.execute(SQL.updateSourceHash, [touch.subAccountId, touch.origin, platform, externalId, hash]);
  }

  async markSourcesDeleted(subAccountId: number, platform: string, externalId: string): Promise<number> {
    return this.db.execute(SQL.markSourcesDeleted, [subAccountId, platform, externalId]);
  }

  /** The touch's extra attribution and consents (its source row was written by apply_lead just before). */
  async setSourceDetails(
    touch: Touch,
    platform: string,
    externalId: string,
    details: Record<string, unknown>,
  ): Promise<void> {
    await this.db.execute(SQL.setSourceDetails, [
      touch.subAccountId,
      touch.origin,
      platform,
      externalId,
      JSON.stringify(details),
    ]);
  }

  /** Where the CRM's pipeline has the lead; an older change (a replay, a late retry) never overwrites a newer one. */
  async setPipelineStage(subAccountId: number, leadId: bigint, stage: LeadPipelineStageChange): Promise<void> {
    const { platform: _platform, externalId: _externalId, ...value } = stage;
    // only a real instant orders changes; anything else sorts before every dated change
    const changedAt = instantOrNull(stage.changedAt) ?? new Date(0).toISOString();
    const stored = JSON.stringify({ platform: stage.platform, ...value, changedAt });
    await this.db.execute(SQL.setPipelineStage, [subAccountId, leadId.toString(), stored, changedAt]);
  }

  /**
   * Moves the lead to `status` and records the fact `{ from, to, at, by }` when it really changes
   * (lead_set_status: the lead row locked, the assignee of the moment kept for team figures).
   * `unlessSuperseded`: not when the lead has a status change later than `change.at` (a provider's
   * change, dated when it happened, that a newer one already superseded).
   */
  async setStatus(
    subAccountId: number,
    leadId: bigint,
    status: LeadStatus,
    change: { at: Date; by: string; origin: string },
    unlessSuperseded = false,
  ): Promise<boolean> {
    const statement = unlessSuperseded ? SQL.setStatusUnlessSuperseded : SQL.setStatus;
    const rows = await this.db.sql<{ changed: boolean }>(statement, [
      subAccountId,
      leadId.toString(),
      status,
      change.at.toISOString(),
      change.by,
      change.origin,
    ]);
    return rows[0]?.changed ?? false;
  }

  /**
   * setStatus, but only from `from` (a step forward that must not undo a later status): the fact
   * `{ from, to, at, by }` is recorded when the lead was in `from`, nothing happens otherwise.
   */
  async advanceStatus(
    subAccountId: number,
    leadId: bigint,
    from: LeadStatus,
    to: LeadStatus,
    change: { at: Date; by: string; origin: string },
  ): Promise<boolean> {
    const rows = await this.db.sql<{ changed: boolean }>(SQL.advanceStatus, [
      subAccountId,
      leadId.toString(),
      from,
      to,
      change.at.toISOString(),
      change.by,
      change.origin,
    ]);
    return rows[0]?.changed ?? false;
  }

  /** The region national phone numbers of a sub-account are read in. */
  async subAccountRegion(subAccountId: number): Promise<string> {
    const rows = await this.db.sql<{ default_region: string }>(SQL.region, [subAccountId]);
    return rows[0]?.default_region ?? 'US';
  }
}
