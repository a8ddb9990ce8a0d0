import { Injectable } from '@nestjs/common';
import { Db, SqlStatement } from '../../database/db';

// Messenger / Instagram rows of the opt-out list (whatsapp_opt_outs, channel messenger | instagram):
// keyed by the person's PSID / IGSID on one page or account, so they never match a WhatsApp wa_id or
// phone and a WhatsApp entry never matches them. SQL statements, to join the webhook worker's runSql
// transaction with the message that asked for it.
const SQL: Record<string, SqlStatement> = {
  add: {
    name: 'messaging_opt_out_add_v1',
    text: `INSERT INTO whatsapp_opt_outs (sub_account_id, integration_id, channel, contact_key, scope, source, created_by, updated_at)
           VALUES ($1, $2, $3, $4, 'all', $5, $6, now())
           ON CONFLICT (integration_id, contact_key) DO UPDATE SET scope = 'all', updated_at = now()`,
  },
  remove: {
    name: 'messaging_opt_out_remove_v1',
    text: 'DELETE FROM whatsapp_opt_outs WHERE integration_id = $1 AND contact_key = $2 AND channel <> $3',
  },
  optedOut: {
    name: 'messaging_opted_out_v1',
    text: `SELECT contact_key FROM whatsapp_opt_outs
           WHERE sub_account_id = $1 AND integration_id = $2 AND channel <> 'whatsapp' AND contact_key = ANY($3::text[])`,
  },
};

@Injectable()
export class MessagingOptOutsRepository {
  constructor(private readonly db: Db) {}

  /** The person asked this page or account to stop: every message (scope all). */
  async add(
    entry: { subAccountId: number; integrationId: number; channel: string; contactKey: string },
    source: 'keyword' | 'manual',
    createdBy: string | null = null,
  ): Promise<void> {
    await this.db.execute(SQL.add, [
      entry.subAccountId,
      entry.integrationId,
      entry.channel,
      entry.contactKey,
      source,
      createdBy,
    ]);
  }

  async remove(integrationId: number, contactKey: string): Promise<number> {
    return this.db.execute(SQL.remove, [integrationId, contactKey, 'whatsapp']);
  }

  /** The persons among these who opted out of this page or account. */
  async optedOut(subAccountId: number, integrationId: number, contactKeys: readonly string[]): Promise<Set<string>> {
    if (contactKeys.length === 0) return new Set();
    const rows = await this.db.sql<{ contact_key: string }>(SQL.optedOut, [
      subAccountId,
      integrationId,
      [...contactKeys],
    ]);
    return new Set(rows.map((r) => r.contact_key));
  }
}
