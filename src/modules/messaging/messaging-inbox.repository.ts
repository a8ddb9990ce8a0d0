import { Injectable } from '@nestjs/common';
import { Db, SqlStatement } from '../../database/db';
import type { ReceiptStatus } from './domain/watermarks';

/** pg_advisory_xact_lock(class, hash of integration and mid); the class keeps it apart from other advisory locks. */
const MESSAGE_LOCK_CLASS = -16_001;

// Messenger / Instagram rows of the channel-neutral conversations and messages tables (issue 12's
// model, `channel` messenger | instagram). SQL statements only, so they join the webhook worker's
// runSql transaction with the lead writes of the same event.
const SQL: Record<string, SqlStatement> = {
  findConversation: {
    name: 'messaging_find_conversation_v2',
    text: `SELECT id::text, lead_id::text, profile_name, link_source FROM conversations
           WHERE integration_id = $1 AND contact_key = $2`,
  },
  // the lead the person's shared e-mail / phone names replaces an automatic link (never a person's
  // manual link or capture); the conversation's messages follow, as a WhatsApp relink does
  relinkShared: {
    name: 'messaging_relink_shared_v1',
    text: `WITH c AS (
             UPDATE conversations SET lead_id = $2::bigint, link_source = 'auto', linked_at = now(), linked_by = NULL,
               updated_at = now()
             WHERE id = $1::bigint AND (lead_id IS NULL OR link_source IS NULL OR link_source = 'auto')
               AND lead_id IS DISTINCT FROM $2::bigint
             RETURNING id)
           UPDATE messages SET lead_id = $2::bigint, updated_at = now() WHERE conversation_id IN (SELECT id FROM c)`,
  },
  // keeps the referral the person first came through by its `at`, not by arrival (Meta does not order deliveries)
  upsertConversation: {
    name: 'messaging_upsert_conversation_v2',
    text: `INSERT INTO conversations (sub_account_id, integration_id, channel, contact_key, user_id, profile_name,
             username, referral, updated_at)
           VALUES ($1, $2, $3, $4, $4, $5, $6, $7::jsonb, now())
           ON CONFLICT (integration_id, contact_key) DO UPDATE SET
             profile_name = COALESCE(conversations.profile_name, EXCLUDED.profile_name),
             username = COALESCE(conversations.username, EXCLUDED.username),
             referral = CASE
               WHEN conversations.referral IS NULL THEN EXCLUDED.referral
               WHEN EXCLUDED.referral IS NOT NULL AND jsonb_typeof(EXCLUDED.referral->'at') = 'string'
                 AND jsonb_typeof(conversations.referral->'at') = 'string'
                 AND (EXCLUDED.referral->>'at')::timestamptz < (conversations.referral->>'at')::timestamptz
                 THEN EXCLUDED.referral
               ELSE conversations.referral END,
             updated_at = now()
           RETURNING id::text, lead_id::text, profile_name`,
  },
  linkLead: {
    name: 'messaging_link_lead_v1',
    text: `UPDATE conversations SET lead_id = $2::bigint, link_source = 'auto', linked_at = now(), updated_at = now()
           WHERE id = $1::bigint AND lead_id IS NULL`,
  },
  leadOfIdentity: {
    name: 'messaging_lead_of_identity_v1',
    text: 'SELECT lead_id::text FROM lead_identities WHERE sub_account_id = $1 AND key = $2',
  },
  // placed in the conversation when it was written (as a WhatsApp inbound message is), not when Meta
  // delivered it: a redelivery arriving after the person's next message does not show as the newest
  insertMessage: {
    name: 'messaging_insert_message_v2',
    text: `INSERT INTO messages (sub_account_id, integration_id, conversation_id, channel, lead_id, direction, type,
             text, content, status, wamid, recipient, sent_at, received_at, send_state, created_at, updated_at)
           VALUES ($1, $2, $3::bigint, $4, $5::bigint, $6, $7, $8, $9::jsonb, $10, $11, $12, $13::timestamptz,
             $14::timestamptz, $15, COALESCE($14::timestamptz, $13::timestamptz, now()), now())
           ON CONFLICT (integration_id, wamid) DO NOTHING
           RETURNING id::text`,
  },
  // the unsent message loses its words and attachments; one that has not arrived yet is held by this
  // row (same mid), so that its late arrival is a no-op; an unsend seen twice changes nothing
  markUnsent: {
    name: 'messaging_mark_unsent_v1',
    text: `INSERT INTO messages (sub_account_id, integration_id, conversation_id, channel, lead_id, direction, type,
             text, content, status, wamid, received_at, updated_at)
           VALUES ($1, $2, $3::bigint, $4, $5::bigint, 'inbound', 'unsent', NULL,
             jsonb_build_object('deleted', jsonb_build_object('at', $7::timestamptz)), 'received', $6, $7::timestamptz, now())
           ON CONFLICT (integration_id, wamid) DO UPDATE SET text = NULL,
             content = jsonb_build_object('deleted', jsonb_build_object('at', $7::timestamptz)), updated_at = now()
           WHERE messages.content IS NULL OR NOT messages.content ? 'deleted'`,
  },
  isUnsent: {
    name: 'messaging_is_unsent_v1',
    text: `SELECT 1 FROM messages WHERE integration_id = $1 AND wamid = $2 AND content ? 'deleted'`,
  },
  laterInboundTexts: {
    name: 'messaging_later_inbound_texts_v1',
    text: `SELECT text FROM messages
           WHERE conversation_id = $1::bigint AND direction = 'inbound' AND text IS NOT NULL AND received_at > $2::timestamptz
           ORDER BY received_at LIMIT 1000`,
  },
  touchConversation: {
    name: 'messaging_touch_conversation_v1',
    text: `UPDATE conversations SET
             last_message_at = GREATEST(last_message_at, $2::timestamptz),
             last_inbound_at = CASE WHEN $3 THEN GREATEST(last_inbound_at, $2::timestamptz) ELSE last_inbound_at END,
             unread_count = unread_count + CASE WHEN $3 THEN 1 ELSE 0 END,
             updated_at = now()
           WHERE id = $1::bigint`,
  },
  // the message arriving after its own unsend, once (deleted.writtenAt marks it): the row the unsend held is
  // placed when it was written, and the conversation's last message and window as they would be in order
  claimUnsent: {
    name: 'messaging_claim_unsent_v1',
    text: `WITH m AS (
             UPDATE messages SET received_at = $3::timestamptz, created_at = $3::timestamptz,
               content = jsonb_set(content, '{deleted,writtenAt}', to_jsonb($3::timestamptz)), updated_at = now()
             WHERE integration_id = $1 AND wamid = $2 AND direction = 'inbound' AND type = 'unsent'
               AND jsonb_typeof(content->'deleted') = 'object' AND NOT (content->'deleted' ? 'writtenAt')
             RETURNING conversation_id)
           UPDATE conversations SET last_message_at = GREATEST(last_message_at, $3::timestamptz),
             last_inbound_at = GREATEST(last_inbound_at, $3::timestamptz), updated_at = now()
           WHERE id IN (SELECT conversation_id FROM m) RETURNING id::text`,
  },
  openWindow: {
    name: 'messaging_open_window_v1',
    text: `UPDATE conversations SET last_inbound_at = GREATEST(last_inbound_at, $2::timestamptz), updated_at = now()
           WHERE id = $1::bigint`,
  },
  // the person's latest reaction or removal wins by when they made it (reactionAt), not by arrival or replay;
  // only a message of their own conversation (a mid is not a secret)
  setReaction: {
    name: 'messaging_set_reaction_v3',
    text: `UPDATE messages SET content = (CASE WHEN $3::jsonb IS NULL THEN COALESCE(content, '{}'::jsonb) - 'reaction'
             ELSE jsonb_set(COALESCE(content, '{}'::jsonb), '{reaction}', $3::jsonb) END)
             || jsonb_build_object('reactionAt', to_jsonb($4::timestamptz)), updated_at = now()
           WHERE integration_id = $1 AND wamid = $2
             AND conversation_id = (SELECT c.id FROM conversations c WHERE c.integration_id = $1 AND c.contact_key = $5)
             AND (content IS NULL OR jsonb_typeof(content->'reactionAt') IS DISTINCT FROM 'string'
               OR (content->>'reactionAt')::timestamptz <= $4::timestamptz)
           RETURNING id::text`,
  },
  // the person's edit of their own message (in their own conversation): its text, and content.edit
  // { count, at, originalText }; an older edit (by num_edit, then by when it was made) or one of an unsent
  // message changes nothing
  // serialises, per message, an edit or reaction with the message's own arrival (see hold / takeHeld)
  lockMessage: {
    name: 'messaging_lock_message_v1',
    text: 'SELECT pg_advisory_xact_lock($1::int, hashtext($2::text || chr(31) || $3::text))',
  },
  messageExists: {
    name: 'messaging_message_exists_v1',
    text: 'SELECT 1 FROM messages WHERE integration_id = $1 AND wamid = $2',
  },
  // the person's latest edit (by num_edit, then when it was made) of a message not received yet
  holdEdit: {
    name: 'messaging_hold_edit_v1',
    text: `INSERT INTO messaging_held_actions (integration_id, mid, kind, contact_key, payload, at)
           VALUES ($1, $2, 'edit', $3, jsonb_build_object('text', $4::text, 'count', $5::int), $6::timestamptz)
           ON CONFLICT (integration_id, mid, kind, contact_key) DO UPDATE SET payload = EXCLUDED.payload, at = EXCLUDED.at
           WHERE ((messaging_held_actions.payload->>'count')::int, messaging_held_actions.at)
             < ((EXCLUDED.payload->>'count')::int, EXCLUDED.at)`,
  },
  // the person's latest reaction or removal (by when they made it) of a message not received yet
  holdReaction: {
    name: 'messaging_hold_reaction_v1',
    text: `INSERT INTO messaging_held_actions (integration_id, mid, kind, contact_key, payload, at)
           VALUES ($1, $2, 'reaction', $3, jsonb_build_object('reaction', $4::jsonb), $5::timestamptz)
           ON CONFLICT (integration_id, mid, kind, contact_key) DO UPDATE SET payload = EXCLUDED.payload, at = EXCLUDED.at
           WHERE messaging_held_actions.at <= EXCLUDED.at`,
  },
  takeHeld: {
    name: 'messaging_take_held_v1',
    text: `DELETE FROM messaging_held_actions WHERE integration_id = $1 AND mid = $2
           RETURNING kind, contact_key, payload, at`,
  },
  applyEdit: {
    name: 'messaging_apply_edit_v3',
    text: `UPDATE messages SET text = $3,
             content = COALESCE(content, '{}'::jsonb) || jsonb_build_object('edit', jsonb_build_object(
               'count', $4::int, 'at', to_jsonb($5::timestamptz),
               'originalText', COALESCE(content->'edit'->'originalText', to_jsonb(text)))),
             updated_at = now()
           WHERE integration_id = $1 AND wamid = $2 AND direction = 'inbound' AND type <> 'unsent'
             AND conversation_id = (SELECT c.id FROM conversations c WHERE c.integration_id = $1 AND c.contact_key = $6)
             AND (COALESCE((content->'edit'->>'count')::int, -1), COALESCE((content->'edit'->>'at')::timestamptz, '-infinity'))
               < ($4::int, $5::timestamptz)
           RETURNING id::text`,
  },
  receiptCandidates: {
    name: 'messaging_receipt_candidates_v1',
    text: `SELECT id::text, wamid, status, sent_at, delivered_at, read_at FROM messages
           WHERE conversation_id = $1::bigint AND direction = 'outbound' AND status IN ('sent', 'delivered')
             AND (wamid = ANY($2::text[]) OR sent_at <= $3::timestamptz)
           ORDER BY sent_at FOR UPDATE`,
  },
  sentAtOf: {
    name: 'messaging_sent_at_of_v1',
    text: 'SELECT sent_at FROM messages WHERE integration_id = $1 AND wamid = $2',
  },
  raiseWatermark: {
    name: 'messaging_raise_watermark_v1',
    text: `INSERT INTO messaging_watermarks (integration_id, contact_key, delivered_up_to, read_up_to)
           VALUES ($1, $2, $3::timestamptz, $4::timestamptz)
           ON CONFLICT (integration_id, contact_key) DO UPDATE SET
             delivered_up_to = GREATEST(messaging_watermarks.delivered_up_to, EXCLUDED.delivered_up_to),
             read_up_to = GREATEST(messaging_watermarks.read_up_to, EXCLUDED.read_up_to),
             updated_at = now()`,
  },
  watermarksOf: {
    name: 'messaging_watermarks_of_v1',
    // an upsert, not a read: it waits for a receipt being applied to this person right now (its row
    // lock), so a message and its receipt processed at the same time cannot both miss each other
    text: `INSERT INTO messaging_watermarks (integration_id, contact_key) VALUES ($1, $2)
           ON CONFLICT (integration_id, contact_key) DO UPDATE SET updated_at = now()
           RETURNING delivered_up_to, read_up_to`,
  },
  applyReceipt: {
    name: 'messaging_apply_receipt_v1',
    text: `UPDATE messages SET status = COALESCE($2, status), delivered_at = COALESCE($3::timestamptz, delivered_at),
             read_at = COALESCE($4::timestamptz, read_at), updated_at = now()
           WHERE id = $1::uuid`,
  },
};

export interface ConversationRef {
  id: bigint;
  leadId: bigint | null;
  profileName: string | null;
}

/** A conversation and how its lead was linked (auto | manual | capture). */
export interface ConversationLink extends ConversationRef {
  linkSource: string | null;
}

export interface NewConversation {
  subAccountId: number;
  integrationId: number;
  channel: string;
  contactKey: string;
  profileName: string | null;
  username: string | null;
  referral: Record<string, unknown> | null;
}

export interface NewMessage {
  subAccountId: number;
  integrationId: number;
  conversationId: bigint;
  channel: string;
  leadId: bigint | null;
  direction: 'inbound' | 'outbound';
  type: string;
  text: string | null;
  content: Record<string, unknown> | null;
  status: 'received' | 'sent';
  wamid: string;
  recipient: string | null;
  sentAt: Date | null;
  receivedAt: Date | null;
}

/** A person's edit of their own message (Meta's message_edits): the new text and num_edit. */
export interface MessageEdit {
  integrationId: number;
  contactKey: string;
  mid: string;
  text: string;
  count: number;
  at: Date;
}

/** A person's reaction (null: its removal) to a message of their conversation. */
export interface HeldReaction {
  integrationId: number;
  contactKey: string;
  mid: string;
  reaction: Record<string, unknown> | null;
  at: Date;
}

/** What a person did to a message before the hub received it, applied when it arrives. */
export type HeldAction = ({ kind: 'edit' } & MessageEdit) | ({ kind: 'reaction' } & HeldReaction);

export interface ReceiptRow {
  id: string;
  mid: string | null;
  status: ReceiptStatus;
  sentAt: Date | null;
  deliveredAt: Date | null;
  readAt: Date | null;
}

const big = (value: string | null | undefined): bigint | null => (value ? BigInt(value) : null);
const ref = (row: { id: string; lead_id: string | null; profile_name: string | null }): ConversationRef => ({
  id: BigInt(row.id),
  leadId: big(row.lead_id),
  profileName: row.profile_name,
});

@Injectable()
export class MessagingInboxRepository {
  constructor(private readonly db: Db) {}

  async findConversation(integrationId: number, contactKey: string): Promise<ConversationLink | null> {
    const rows = await this.db.sql<{
      id: string;
      lead_id: string | null;
      profile_name: string | null;
      link_source: string | null;
    }>(SQL.findConversation, [integrationId, contactKey]);
    return rows[0] ? { ...ref(rows[0]), linkSource: rows[0].link_source } : null;
  }

  /** Links the conversation (and its messages) to the lead a shared e-mail / phone names, unless a person linked it. */
  async relinkShared(conversationId: bigint, leadId: bigint): Promise<void> {
    await this.db.execute(SQL.relinkShared, [conversationId.toString(), leadId.toString()]);
  }

  /** The conversation of (integration, person), created on first contact; a known name or referral is kept. */
  async upsertConversation(input: NewConversation): Promise<ConversationRef> {
    const rows = await this.db.sql<{ id: string; lead_id: string | null; profile_name: string | null }>(
      SQL.upsertConversation,
      [
        input.subAccountId,
        input.integrationId,
        input.channel,
        input.contactKey,
        input.profileName,
        input.username,
        input.referral === null ? null : JSON.stringify(input.referral),
      ],
    );
    return ref(rows[0]);
  }

  async linkLead(conversationId: bigint, leadId: bigint): Promise<void> {
    await this.db.execute(SQL.linkLead, [conversationId.toString(), leadId.toString()]);
  }

  async leadOfIdentity(subAccountId: number, key: string): Promise<bigint | null> {
    const rows = await this.db.sql<{ lead_id: string }>(SQL.leadOfIdentity, [subAccountId, key]);
    return big(rows[0]?.lead_id);
  }

  /** Inserts a message once per Meta mid; false when it was already there (a redelivery, or our own send). */
  async insertMessage(m: NewMessage): Promise<boolean> {
    const rows = await this.db.sql<{ id: string }>(SQL.insertMessage, [
      m.subAccountId,
      m.integrationId,
      m.conversationId.toString(),
      m.channel,
      m.leadId?.toString() ?? null,
      m.direction,
      m.type,
      m.text,
      m.content === null ? null : JSON.stringify(m.content),
      m.status,
      m.wamid,
      m.recipient,
      m.sentAt,
      m.receivedAt,
      m.direction === 'outbound' ? 'accepted' : null,
    ]);
    return rows.length > 0;
  }

  async markUnsent(
    m: Omit<NewMessage, 'direction' | 'type' | 'text' | 'content' | 'status' | 'recipient' | 'sentAt' | 'receivedAt'>,
    at: Date,
  ): Promise<void> {
    await this.db.execute(SQL.markUnsent, [
      m.subAccountId,
      m.integrationId,
      m.conversationId.toString(),
      m.channel,
      m.leadId?.toString() ?? null,
      m.wamid,
      at,
    ]);
  }

  async isUnsent(integrationId: number, mid: string): Promise<boolean> {
    return (await this.db.sql(SQL.isUnsent, [integrationId, mid])).length > 0;
  }

  /** The words of the person's messages in this conversation written after `at` (keywords out of order). */
  async laterInboundTexts(conversationId: bigint, at: Date): Promise<string[]> {
    const rows = await this.db.sql<{ text: string }>(SQL.laterInboundTexts, [conversationId.toString(), at]);
    return rows.map((r) => r.text);
  }

  async touchConversation(conversationId: bigint, at: Date, inbound: boolean): Promise<void> {
    await this.db.execute(SQL.touchConversation, [conversationId.toString(), at, inbound]);
  }

  /** The person acted in the thread without a message (an m.me / ig.me link into it): the window reopens from `at`. */
  async openWindow(conversationId: bigint, at: Date): Promise<void> {
    await this.db.execute(SQL.openWindow, [conversationId.toString(), at]);
  }

  /** Sets (null: removes) the reaction on the message of this mid, unless one the person made after `at` is there. */
  /**
   * Sets (null: removes) the person's reaction on the message of this mid in their conversation, unless one
   * they made after `at` is there. False when nothing changed (a newer reaction, or no such message).
   */
  async setReaction(held: HeldReaction): Promise<boolean> {
    const json = held.reaction === null ? null : JSON.stringify(held.reaction);
    const rows = await this.db.sql(SQL.setReaction, [held.integrationId, held.mid, json, held.at, held.contactKey]);
    return rows.length > 0;
  }

  /** True when the edit is now the message's text (false: an older edit, another person's, or no such message). */
  async applyEdit(edit: MessageEdit): Promise<boolean> {
    const rows = await this.db.sql(SQL.applyEdit, [
      edit.integrationId,
      edit.mid,
      edit.text,
      edit.count,
      edit.at,
      edit.contactKey,
    ]);
    return rows.length > 0;
  }

  /**
   * Until the caller's transaction ends, no other transaction holding this lock sees or changes this
   * message's arrival or its held edits: an edit and its message processed at once cannot both miss
   * each other (READ COMMITTED: each statement after the lock sees what the other committed).
   */
  async lockMessage(integrationId: number, mid: string): Promise<void> {
    await this.db.execute(SQL.lockMessage, [MESSAGE_LOCK_CLASS, String(integrationId), mid]);
  }

  async messageExists(integrationId: number, mid: string): Promise<boolean> {
    return (await this.db.sql(SQL.messageExists, [integrationId, mid])).length > 0;
  }

  /** Keeps an edit of a message not received yet (the person's latest by num_edit, then time). */
  async holdEdit(edit: MessageEdit): Promise<void> {
    await this.db.execute(SQL.holdEdit, [
      edit.integrationId,
      edit.mid,
      edit.contactKey,
      edit.text,
      edit.count,
      edit.at,
    ]);
  }

  /** Keeps a reaction (or its removal) of a message not received yet (the person's latest by time). */
  async holdReaction(held: HeldReaction): Promise<void> {
    const json = held.reaction === null ? null : JSON.stringify(held.reaction);
    await this.db.execute(SQL.holdReaction, [held.integrationId, held.mid, held.contactKey, json, held.at]);
  }

  /** Removes and returns what was held for this message (any person's: applying keeps only its sender's). */
  async takeHeld(integrationId: number, mid: string): Promise<HeldAction[]> {
    const rows = await this.db.sql<{ kind: string; contact_key: string; payload: Record<string, unknown>; at: Date }>(
      SQL.takeHeld,
      [integrationId, mid],
    );
    const base = (r: (typeof rows)[number]) => ({ integrationId, mid, contactKey: r.contact_key, at: r.at });
    return rows.flatMap((r): HeldAction[] => {
      const p = r.payload;
      if (r.kind === 'edit' && typeof p.text === 'string' && typeof p.count === 'number')
        return [{ kind: 'edit', ...base(r), text: p.text, count: p.count }];
      if (
        r.kind === 'reaction' &&
        (p.reaction === null || (typeof p.reaction === 'object' && !Array.isArray(p.reaction)))
      )
        return [{ kind: 'reaction', ...base(r), reaction: p.reaction as Record<string, unknown> | null }];
      return [];
    });
  }

  /** The first arrival of a message whose unsend was recorded before it (placed as in order): true once. */
  async claimUnsent(integrationId: number, mid: string, at: Date): Promise<boolean> {
    return (await this.db.sql(SQL.claimUnsent, [integrationId, mid, at])).length > 0;
  }

  async sentAtOf(integrationId: number, mid: string): Promise<Date | null> {
    const rows = await this.db.sql<{ sent_at: Date | null }>(SQL.sentAtOf, [integrationId, mid]);
    return rows[0]?.sent_at ?? null;
  }

  /** Outbound messages of a conversation a receipt may move (named, or sent at or before the watermark), locked. */
  async receiptCandidates(
    conversationId: bigint,
    mids: readonly string[],
    watermark: Date | null,
  ): Promise<ReceiptRow[]> {
    const rows = await this.db.sql<{
      id: string;
      wamid: string | null;
      status: ReceiptStatus;
      sent_at: Date | null;
      delivered_at: Date | null;
      read_at: Date | null;
    }>(SQL.receiptCandidates, [conversationId.toString(), [...mids], watermark]);
    return rows.map((r) => ({
      id: r.id,
      mid: r.wamid,
      status: r.status,
      sentAt: r.sent_at,
      deliveredAt: r.delivered_at,
      readAt: r.read_at,
    }));
  }

  /** Keeps the highest delivery / read watermark Meta reported for this person (GREATEST: order does not matter). */
  async raiseWatermark(
    integrationId: number,
    contactKey: string,
    marks: { deliveredUpTo?: Date; readUpTo?: Date },
  ): Promise<void> {
    await this.db.execute(SQL.raiseWatermark, [
      integrationId,
      contactKey,
      marks.deliveredUpTo ?? null,
      marks.readUpTo ?? null,
    ]);
  }

  /** The person's watermarks, taking their row lock until the caller's transaction ends. */
  async lockWatermarks(
    integrationId: number,
    contactKey: string,
  ): Promise<{ deliveredUpTo: Date | null; readUpTo: Date | null }> {
    const rows = await this.db.sql<{ delivered_up_to: Date | null; read_up_to: Date | null }>(SQL.watermarksOf, [
      integrationId,
      contactKey,
    ]);
    return { deliveredUpTo: rows[0]?.delivered_up_to ?? null, readUpTo: rows[0]?.read_up_to ?? null };
  }

  async applyReceipt(
    messageId: string,
    patch: { status?: ReceiptStatus; deliveredAt?: Date | null; readAt?: Date | null },
  ): Promise<void> {
    await this.db.execute(SQL.applyReceipt, [
      messageId,
      patch.status ?? null,
      patch.deliveredAt ?? null,
      patch.readAt ?? null,
    ]);
  }
}
