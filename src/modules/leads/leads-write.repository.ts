import { Injectable } from '@nestjs/common';
import { Db } from '../../database/db';
import type {
  BookingInput,
  InteractionInput,
  LeadInput,
  LeadPipelineStageChange,
  LeadStatus,
} from '../../handlers/handler-types';
import type { NormalizedContact } from './lead-normalizer';

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

function nul<T>(value: T | undefined): T | null {
  return value === undefined ? null : value;
}

const APPLY_LEAD = {
  name: 'apply_lead_v2',
  text: 'SELECT lead_id::text AS lead_id, created, new_touch FROM apply_lead($1::int, $2::int, $3, $4::text[], $5::jsonb, $6::jsonb, $7)',
};

/**
 * Lead writes (leads, identities, sources, interactions, bookings), in the caller's transaction when
 * there is one. Every write is keyed so that applying the same outcome twice changes nothing.
 */
@Injectable()
export class LeadsWriteRepository {
  constructor(private readonly db: Db) {}

  async link(subAccountId: number, leadId: bigint, key: string): Promise<void> {
    await this.db.prisma.leadIdentity.upsert({
      where: { subAccountId_key: { subAccountId, key } },
      create: { subAccountId, key, leadId },
      update: { leadId },
    });
  }

  /**
   * Serialises concurrent writers that share any identity key of a sub-account (transaction-scoped
   * advisory locks, taken in a fixed order so two writers cannot deadlock on them).
   */
  async lockIdentities(subAccountId: number, keys: string[]): Promise<void> {
    const sorted = [...new Set(keys)].sort();
    await this.db.prisma
      .$executeRaw`SELECT pg_advisory_xact_lock(${subAccountId}::int, hashtext(k)) FROM (SELECT unnest(${sorted}::text[]) AS k ORDER BY 1) s`;
  }

  /** The lead matched by the strongest key (keys are ordered strongest first). */
  async match(subAccountId: number, keys: string[]): Promise<bigint | null> {
    const rows = await this.db.prisma.$queryRaw<Array<{ key: string; lead_id: bigint }>>`
      SELECT key, lead_id FROM lead_identities WHERE sub_account_id = ${subAccountId} AND key = ANY(${keys}::text[])`;
    for (const key of keys) {
      const found = rows.find((r) => r.key === key);
      if (found) return found.lead_id;
    }
    return null;
  }

  async insertLead(subAccountId: number, lead: LeadInput, contact: NormalizedContact): Promise<bigint> {
    const created = await this.db.prisma.lead.create({
      data: {
        subAccountId,
        ...contact,
        company: nul(lead.company),
        jobTitle: nul(lead.jobTitle),
        city: nul(lead.city),
        region: nul(lead.region),
        postalCode: nul(lead.postalCode),
        country: nul(lead.country),
        tags: lead.tags ?? [],
        customAnswers: lead.customAnswers ?? {},
        isTest: lead.isTest ?? false,
      },
      select: { id: true },
    });
    return created.id;
  }

  async addIdentities(subAccountId: number, leadId: bigint, keys: string[]): Promise<void> {
    await this.db.prisma.$executeRaw`
      INSERT INTO lead_identities (sub_account_id, key, lead_id)
      SELECT ${subAccountId}, k, ${leadId} FROM unnest(${keys}::text[]) k
      ON CONFLICT (sub_account_id, key) DO NOTHING`;
  }

  /**
   * The whole lead write of one touch in one statement (the apply_lead SQL function: locks, match,
   * insert or update, identities, source row): a prepared statement on its own, or part of the
   * caller's transaction.
   */
  async applyLead(
    touch: Touch,
    lead: LeadInput,
    contact: NormalizedContact,
    keys: string[],
    contentHash: string | null,
  ): Promise<AppliedLead> {
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
      submittedAt: lead.submittedAt,
    });
    const [row] = await this.db.sql<{ lead_id: string; created: boolean; new_touch: boolean }>(APPLY_LEAD, [
      touch.subAccountId,
      touch.integrationId,
      touch.origin,
      keys,
      fields,
      JSON.stringify(lead.source),
      contentHash,
    ]);
    return { leadId: BigInt(row.lead_id), created: row.created, newTouch: row.new_touch };
  }

  async sourceHash(touch: Touch, platform: string, externalId: string): Promise<string | null | undefined> {
    const rows = await this.db.prisma.$queryRaw<Array<{ content_hash: string | null }>>`
      SELECT content_hash FROM lead_sources
      WHERE sub_account_id = ${touch.subAccountId} AND origin = ${touch.origin} AND platform = ${platform} AND external_id = ${externalId}`;
    return rows[0]?.content_hash;
  }

  async updateSourceHash(touch: Touch, platform: string, externalId: string, hash: string): Promise<void> {
    await this.db.prisma.$executeRaw`
      UPDATE lead_sources SET content_hash = ${hash}
      WHERE sub_account_id = ${touch.subAccountId} AND origin = ${touch.origin} AND platform = ${platform} AND external_id = ${externalId}`;
  }

  async markSourcesDeleted(subAccountId: number, platform: string, externalId: string): Promise<number> {
    return this.db.prisma.$executeRaw`
      UPDATE lead_sources SET deleted_at = now()
      WHERE sub_account_id = ${subAccountId} AND platform = ${platform} AND external_id = ${externalId} AND deleted_at IS NULL`;
  }

  /** The touch's extra attribution and consents (its source row was written by apply_lead just before). */
  async setSourceDetails(
    touch: Touch,
    platform: string,
    externalId: string,
    details: Record<string, unknown>,
  ): Promise<void> {
    await this.db.prisma.$executeRaw`
      UPDATE lead_sources SET details = ${JSON.stringify(details)}::jsonb
      WHERE sub_account_id = ${touch.subAccountId} AND origin = ${touch.origin} AND platform = ${platform} AND external_id = ${externalId}`;
  }

  /** Where the CRM's pipeline has the lead; an older change (a replay, a late retry) never overwrites a newer one. */
  async setPipelineStage(subAccountId: number, leadId: bigint, stage: LeadPipelineStageChange): Promise<void> {
    const { platform: _platform, externalId: _externalId, ...value } = stage;
    // only a real instant orders changes; anything else sorts before every dated change
    const at = stage.changedAt === undefined ? Number.NaN : Date.parse(stage.changedAt);
    const changedAt = new Date(Number.isNaN(at) ? 0 : at).toISOString();
    await this.db.prisma.$executeRaw`
      UPDATE leads SET pipeline_stage = ${JSON.stringify({ platform: stage.platform, ...value, changedAt })}::jsonb, updated_at = now()
      WHERE id = ${leadId} AND sub_account_id = ${subAccountId}
        AND (pipeline_stage IS NULL OR (pipeline_stage->>'changedAt')::timestamptz <= ${changedAt}::timestamptz)`;
  }

  async setStatus(subAccountId: number, leadId: bigint, status: LeadStatus): Promise<void> {
    await this.db.prisma.lead.update({ where: { id: leadId, subAccountId }, data: { status } });
  }

  /**
   * Creates or updates a booking. Events of one booking may be applied out of order (an
   * AppointmentCreate after its AppointmentUpdate): a change older than the stored one is dropped,
   * and a deleted booking only yields to a strictly newer change. Undated changes always apply.
   */
  async upsertBooking(touch: Touch, leadId: bigint, booking: BookingInput): Promise<void> {
    const date = (text: string | undefined): Date | null => {
      const ms = text === undefined ? Number.NaN : Date.parse(text);
      return Number.isNaN(ms) ? null : new Date(ms);
    };
    await this.db.prisma.$executeRaw`
      INSERT INTO bookings (lead_id, sub_account_id, integration_id, platform, external_booking_id, calendar_id,
                            title, start_time, end_time, status, changed_at, updated_at)
      VALUES (${leadId}, ${touch.subAccountId}, ${touch.integrationId}, ${booking.platform}, ${booking.externalBookingId},
              ${nul(booking.calendarId)}, ${nul(booking.title)}, ${date(booking.startTime)}, ${date(booking.endTime)},
              ${nul(booking.status)}, ${date(booking.changedAt)}, now())
      ON CONFLICT (sub_account_id, platform, external_booking_id) DO UPDATE SET
        lead_id = EXCLUDED.lead_id, calendar_id = EXCLUDED.calendar_id, title = EXCLUDED.title,
        start_time = EXCLUDED.start_time, end_time = EXCLUDED.end_time, status = EXCLUDED.status,
        changed_at = COALESCE(EXCLUDED.changed_at, bookings.changed_at), updated_at = now()
      WHERE EXCLUDED.changed_at IS NULL OR bookings.changed_at IS NULL
         OR EXCLUDED.changed_at > bookings.changed_at
         OR (EXCLUDED.changed_at = bookings.changed_at AND bookings.status IS DISTINCT FROM 'deleted')`;
  }

  async addInteraction(touch: Touch, leadId: bigint, interaction: InteractionInput, origin: string): Promise<void> {
    await this.db.prisma.$executeRaw`
      INSERT INTO lead_interactions (lead_id, sub_account_id, integration_id, platform, channel, direction, body, external_message_id, origin, occurred_at)
      VALUES (${leadId}, ${touch.subAccountId}, ${touch.integrationId}, ${interaction.platform}, ${interaction.channel}, ${interaction.direction},
        ${nul(interaction.body)}, ${nul(interaction.externalMessageId)}, ${origin}, ${interaction.occurredAt ? new Date(interaction.occurredAt) : new Date()})
      ON CONFLICT (sub_account_id, origin) DO NOTHING`;
  }

  /** The region national phone numbers of a sub-account are read in. */
  async subAccountRegion(subAccountId: number): Promise<string> {
    const row = await this.db.prisma.subAccount.findUnique({
      where: { id: subAccountId },
      select: { defaultRegion: true },
    });
    return row?.defaultRegion ?? 'US';
  }
}
