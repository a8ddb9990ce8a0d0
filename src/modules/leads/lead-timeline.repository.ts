import { Injectable } from '@nestjs/common';
import { Db } from '../../database/db';
import type { BookingInput, InteractionInput } from '../../handlers/handler-types';
import { instantOrNull, nul } from './lead-write-values';
import type { Touch } from './leads-write.repository';

// One prepared statement per write, so the whole pipeline can run in TransactionRunner.runSql.
const SQL = {
  // out-of-order events of one booking: an older change is dropped, a deletion yields only to a newer one
  upsertBooking: {
    name: 'lead_upsert_booking_v2',
    text: `INSERT INTO bookings (lead_id, sub_account_id, integration_id, platform, external_booking_id, calendar_id, title,
             start_time, end_time, status, changed_at, updated_at)
           VALUES ($1::bigint, $2, $3, $4, $5, $6, $7, $8::timestamptz, $9::timestamptz, $10, $11::timestamptz, now())
           ON CONFLICT (sub_account_id, platform, external_booking_id) DO UPDATE SET
             lead_id = EXCLUDED.lead_id, calendar_id = EXCLUDED.calendar_id, title = EXCLUDED.title,
             start_time = EXCLUDED.start_time, end_time = EXCLUDED.end_time, status = EXCLUDED.status,
             changed_at = COALESCE(EXCLUDED.changed_at, bookings.changed_at), updated_at = now()
           WHERE EXCLUDED.changed_at IS NULL OR bookings.changed_at IS NULL
              OR EXCLUDED.changed_at > bookings.changed_at
              OR (EXCLUDED.changed_at = bookings.changed_at AND bookings.status IS DISTINCT FROM 'deleted')`,
  },
  removeInteractions: {
    name: 'lead_remove_interactions_v1',
    text: `DELETE FROM lead_interactions WHERE sub_account_id = $1 AND origin = ANY($2::text[])`,
  },
  // an unsent message: its interaction stays (the lead's history has a message there) without its words
  redactInteraction: {
    name: 'lead_redact_interaction_v1',
    text: `UPDATE lead_interactions SET body = '[message unsent]'
           WHERE sub_account_id = $1 AND integration_id = $2 AND external_message_id = $3`,
  },
  // an edited message: its interaction reads as the message now does (an unsent one stays without words)
  editInteraction: {
    name: 'lead_edit_interaction_v1',
    text: `UPDATE lead_interactions SET body = $4
           WHERE sub_account_id = $1 AND integration_id = $2 AND external_message_id = $3
             AND body IS DISTINCT FROM '[message unsent]'`,
  },
  addInteraction: {
    name: 'lead_add_interaction_v1',
    text: `INSERT INTO lead_interactions (lead_id, sub_account_id, integration_id, platform, channel, direction, body,
             external_message_id, origin, occurred_at)
           VALUES ($1::bigint, $2, $3, $4, $5, $6, $7, $8, $9, COALESCE($10::timestamptz, now()))
           ON CONFLICT (sub_account_id, origin) DO NOTHING`,
  },
};

/**
 * A lead's timeline (lead_interactions, bookings): SQL statements only, in the caller's transaction
 * when there is one (either kind). Every write is keyed so that applying the same outcome twice
 * changes nothing.
 */
@Injectable()
export class LeadTimelineRepository {
  constructor(private readonly db: Db) {}

  /**
   * Creates or updates a booking. Events of one booking may be applied out of order (an
   * AppointmentCreate after its AppointmentUpdate): a change older than the stored one is dropped,
   * and a deleted booking only yields to a strictly newer change. Undated changes always apply.
   */
  async upsertBooking(touch: Touch, leadId: bigint, booking: BookingInput): Promise<void> {
    await this.db.execute(SQL.upsertBooking, [
      leadId.toString(),
      touch.subAccountId,
      touch.integrationId,
      booking.platform,
      booking.externalBookingId,
      nul(booking.calendarId),
      nul(booking.title),
      instantOrNull(booking.startTime),
      instantOrNull(booking.endTime),
      nul(booking.status),
      instantOrNull(booking.changedAt),
    ]);
  }

  async addInteraction(touch: Touch, leadId: bigint, interaction: InteractionInput, origin: string): Promise<void> {
    await this.db.execute(SQL.addInteraction, [
      leadId.toString(),
      touch.subAccountId,
      touch.integrationId,
      interaction.platform,
      interaction.channel,
      interaction.direction,
      nul(interaction.body),
      nul(interaction.externalMessageId),
      origin,
      instantOrNull(interaction.occurredAt),
    ]);
  }

  /** Removes timeline entries by their origins (a conversation unlinked from its lead). */
  async removeInteractions(subAccountId: number, origins: readonly string[]): Promise<number> {
    if (origins.length === 0) return 0;
    return this.db.execute(SQL.removeInteractions, [subAccountId, [...origins]]);
  }

  async redactInteraction(subAccountId: number, integrationId: number, externalMessageId: string): Promise<number> {
    return this.db.execute(SQL.redactInteraction, [subAccountId, integrationId, externalMessageId]);
  }

  async editInteraction(
    subAccountId: number,
    integrationId: number,
    externalMessageId: string,
    body: string,
  ): Promise<number> {
    return this.db.execute(SQL.editInteraction, [subAccountId, integrationId, externalMessageId, body]);
  }
}
