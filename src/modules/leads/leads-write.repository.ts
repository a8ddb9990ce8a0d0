import { Injectable } from '@nestjs/common';
import { PrismaService, PrismaTx } from '../../database/prisma.service';
import { Lead, Prisma } from '../../generated/prisma/client';
import type { BookingInput, InteractionInput, LeadInput, LeadStatus } from '../../handlers/handler-types';
import type { NormalizedContact } from './lead-normalizer';

export interface Touch {
  subAccountId: number;
  integrationId: number | null;
  /** What produced the touch: "event:<id>" or "sync:<integration>". */
  origin: string;
}

function nul<T>(value: T | undefined): T | null {
  return value === undefined ? null : value;
}

/**
 * Lead writes, all inside the caller's transaction. Every write is keyed so that applying the same
 * outcome twice changes nothing the second time.
 */
@Injectable()
export class LeadsWriteRepository {
  constructor(private readonly prisma: PrismaService) {}

  findLead(subAccountId: number, id: bigint): Promise<Lead | null> {
    return this.prisma.lead.findFirst({ where: { id, subAccountId } });
  }

  async link(subAccountId: number, leadId: bigint, key: string): Promise<void> {
    await this.prisma.leadIdentity.upsert({ where: { subAccountId_key: { subAccountId, key } }, create: { subAccountId, key, leadId }, update: { leadId } });
  }

  /**
   * Serialises concurrent writers that share any identity key of a sub-account (transaction-scoped
   * advisory locks, taken in a fixed order so two writers cannot deadlock on them).
   */
  async lockIdentities(tx: PrismaTx, subAccountId: number, keys: string[]): Promise<void> {
    const sorted = [...new Set(keys)].sort();
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${subAccountId}::int, hashtext(k)) FROM (SELECT unnest(${sorted}::text[]) AS k ORDER BY 1) s`;
  }

  /** The lead matched by the strongest key (keys are ordered strongest first). */
  async match(tx: PrismaTx, subAccountId: number, keys: string[]): Promise<bigint | null> {
    const rows = await tx.$queryRaw<Array<{ key: string; lead_id: bigint }>>`
      SELECT key, lead_id FROM lead_identities WHERE sub_account_id = ${subAccountId} AND key = ANY(${keys}::text[])`;
    for (const key of keys) {
      const found = rows.find((r) => r.key === key);
      if (found) return found.lead_id;
    }
    return null;
  }

  async insertLead(tx: PrismaTx, subAccountId: number, lead: LeadInput, contact: NormalizedContact): Promise<bigint> {
    const created = await tx.lead.create({
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
        customAnswers: (lead.customAnswers ?? {}),
        isTest: lead.isTest ?? false,
      },
      select: { id: true },
    });
    return created.id;
  }

  /** The latest non-empty values win; answers and tags accumulate; a lead stays "test" only while every touch is. */
  async updateLead(tx: PrismaTx, id: bigint, lead: LeadInput, contact: NormalizedContact): Promise<void> {
    const answers = JSON.stringify(lead.customAnswers ?? {});
    await tx.$executeRaw`
      UPDATE leads SET
        full_name = COALESCE(${contact.fullName}, full_name),
        first_name = COALESCE(${contact.firstName}, first_name),
        last_name = COALESCE(${contact.lastName}, last_name),
        email = COALESCE(${contact.email}, email),
        phone = CASE WHEN ${contact.phone}::text IS NOT NULL AND (${contact.phoneValid} OR phone IS NULL) THEN ${contact.phone} ELSE phone END,
        phone_valid = CASE WHEN ${contact.phone}::text IS NOT NULL AND (${contact.phoneValid} OR phone IS NULL) THEN ${contact.phoneValid} ELSE phone_valid END,
        company = COALESCE(${nul(lead.company)}, company),
        job_title = COALESCE(${nul(lead.jobTitle)}, job_title),
        city = COALESCE(${nul(lead.city)}, city),
        region = COALESCE(${nul(lead.region)}, region),
        postal_code = COALESCE(${nul(lead.postalCode)}, postal_code),
        country = COALESCE(${nul(lead.country)}, country),
        tags = ARRAY(SELECT DISTINCT t FROM unnest(tags || ${lead.tags ?? []}::text[]) t ORDER BY t),
        custom_answers = custom_answers || ${answers}::jsonb,
        is_test = is_test AND ${lead.isTest ?? false},
        updated_at = now()
      WHERE id = ${id}`;
  }

  async addIdentities(tx: PrismaTx, subAccountId: number, leadId: bigint, keys: string[]): Promise<void> {
    await tx.$executeRaw`
      INSERT INTO lead_identities (sub_account_id, key, lead_id)
      SELECT ${subAccountId}, k, ${leadId} FROM unnest(${keys}::text[]) k
      ON CONFLICT (sub_account_id, key) DO NOTHING`;
  }

  /** One source row per touch; false when this touch was already recorded (a re-applied outcome). */
  async addSource(tx: PrismaTx, touch: Touch, leadId: bigint, lead: LeadInput, contentHash: string | null): Promise<boolean> {
    const s = lead.source;
    const rows = await tx.$queryRaw<Array<{ id: bigint }>>`
      INSERT INTO lead_sources (lead_id, sub_account_id, integration_id, platform, external_id, origin, campaign_id, campaign_name,
        ad_group_id, ad_group_name, ad_id, ad_name, form_id, form_name, creative_id, asset_group_id, gclid, is_organic, lead_stage,
        cost, currency, is_test, content_hash, submitted_at)
      VALUES (${leadId}, ${touch.subAccountId}, ${touch.integrationId}, ${lead.platform}, ${lead.externalId}, ${touch.origin},
        ${nul(s.campaignId)}, ${nul(s.campaignName)}, ${nul(s.adGroupId)}, ${nul(s.adGroupName)}, ${nul(s.adId)}, ${nul(s.adName)},
        ${nul(s.formId)}, ${nul(s.formName)}, ${nul(s.creativeId)}, ${nul(s.assetGroupId)}, ${nul(s.gclid)}, ${nul(s.isOrganic)},
        ${nul(s.leadStage)}, ${s.cost === undefined ? null : new Prisma.Decimal(s.cost)}, ${nul(s.currency)}, ${lead.isTest ?? false},
        ${contentHash}, ${lead.submittedAt ? new Date(lead.submittedAt) : null})
      ON CONFLICT (sub_account_id, origin, platform, external_id) DO NOTHING
      RETURNING id`;
    return rows.length > 0;
  }

  async sourceHash(tx: PrismaTx, touch: Touch, platform: string, externalId: string): Promise<string | null | undefined> {
    const rows = await tx.$queryRaw<Array<{ content_hash: string | null }>>`
      SELECT content_hash FROM lead_sources
      WHERE sub_account_id = ${touch.subAccountId} AND origin = ${touch.origin} AND platform = ${platform} AND external_id = ${externalId}`;
    return rows[0]?.content_hash;
  }

  async updateSourceHash(tx: PrismaTx, touch: Touch, platform: string, externalId: string, hash: string): Promise<void> {
    await tx.$executeRaw`
      UPDATE lead_sources SET content_hash = ${hash}
      WHERE sub_account_id = ${touch.subAccountId} AND origin = ${touch.origin} AND platform = ${platform} AND external_id = ${externalId}`;
  }

  async markSourcesDeleted(tx: PrismaTx, subAccountId: number, platform: string, externalId: string): Promise<number> {
    return tx.$executeRaw`
      UPDATE lead_sources SET deleted_at = now()
      WHERE sub_account_id = ${subAccountId} AND platform = ${platform} AND external_id = ${externalId} AND deleted_at IS NULL`;
  }

  async setStatus(tx: PrismaTx, leadId: bigint, status: LeadStatus): Promise<void> {
    await tx.lead.update({ where: { id: leadId }, data: { status } });
  }

  async upsertBooking(tx: PrismaTx, touch: Touch, leadId: bigint, booking: BookingInput): Promise<void> {
    const data = {
      leadId,
      calendarId: nul(booking.calendarId),
      title: nul(booking.title),
      startTime: booking.startTime ? new Date(booking.startTime) : null,
      endTime: booking.endTime ? new Date(booking.endTime) : null,
      status: nul(booking.status),
    };
    await tx.booking.upsert({
      where: { subAccountId_platform_externalBookingId: { subAccountId: touch.subAccountId, platform: booking.platform, externalBookingId: booking.externalBookingId } },
      create: { ...data, subAccountId: touch.subAccountId, integrationId: touch.integrationId, platform: booking.platform, externalBookingId: booking.externalBookingId },
      update: data,
    });
  }

  async addInteraction(tx: PrismaTx, touch: Touch, leadId: bigint, interaction: InteractionInput, origin: string): Promise<void> {
    await tx.$executeRaw`
      INSERT INTO lead_interactions (lead_id, sub_account_id, integration_id, platform, channel, direction, body, external_message_id, origin, occurred_at)
      VALUES (${leadId}, ${touch.subAccountId}, ${touch.integrationId}, ${interaction.platform}, ${interaction.channel}, ${interaction.direction},
        ${nul(interaction.body)}, ${nul(interaction.externalMessageId)}, ${origin}, ${interaction.occurredAt ? new Date(interaction.occurredAt) : new Date()})
      ON CONFLICT (sub_account_id, origin) DO NOTHING`;
  }

  async subAccountRegion(tx: PrismaTx, subAccountId: number): Promise<string> {
    const row = await tx.subAccount.findUnique({ where: { id: subAccountId }, select: { defaultRegion: true } });
    return row?.defaultRegion ?? 'US';
  }
}
