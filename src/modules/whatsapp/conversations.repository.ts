import { Injectable } from '@nestjs/common';
import type { SubAccountScope } from '../../common/auth/sub-account-scope';
import type { PageRequest } from '../../common/http/pagination';
import type { JsonValue } from '../../common/json-value';
import { Db } from '../../database/db';
import { jsonInput } from '../../database/json-input';
import { scopeWhere } from '../../database/scope-where';
import type { Conversation, Prisma } from '../../generated/prisma/client';
import { likeLiteral } from '../../database/like-literal';
import { nationalPhonesOf } from '../../database/phone-search';
import { foldName } from '../../database/name-fold';
import { canonicalPhone, phoneMatchKeys, phoneSearchOf } from './domain/phone-match';

export type ConversationRow = Conversation;

/** Identity and referral changes of a conversation (BSUID/phone changes, a later ad referral). */
export interface ConversationChanges {
  waId?: string;
  userId?: string;
  phone?: string;
  referral?: JsonValue;
}

export interface ConversationFilter {
  integrationId?: number;
  channel?: string;
  linked?: boolean;
  q?: string;
}

export interface ContactFields {
  waId?: string | null;
  userId?: string | null;
  phone?: string | null;
  phoneNormalized?: string | null;
  profileName?: string | null;
  username?: string | null;
}

/** Conversations: one per contact per number (integration), channel-neutral. */
@Injectable()
export class ConversationsRepository {
  constructor(private readonly db: Db) {}

  async list(
    scope: SubAccountScope,
    filter: ConversationFilter,
    page: PageRequest,
  ): Promise<{ rows: ConversationRow[]; total: number }> {
    // what a person typed, without the spaces a paste brings along (" ana " finds Ana)
    const q = filter.q?.trim();
    // a phone as people write it: by its digits, and by the canonical forms of the whole number
    const phone = q ? phoneSearchOf(q) : null;
    // and as people write it in their country: after a trunk prefix ("07911 123456", "+44 (0)7911 …") or read
    // in the region of a sub-account searched ("8 912 345-67-89" in RU), as GET /api/leads?q= finds them
    const national = await nationalPhonesOf(this.db, scope, q);
    const where: Prisma.ConversationWhereInput = {
      ...scopeWhere(scope),
      ...(filter.integrationId !== undefined ? { integrationId: filter.integrationId } : {}),
      ...(filter.channel ? { channel: filter.channel } : {}),
      ...(filter.linked === true ? { leadId: { not: null } } : filter.linked === false ? { leadId: null } : {}),
      ...(q
        ? {
            OR: [
              // "jose" finds José (name-fold.ts: both sides folded), case-insensitively
              { profileNameFolded: { contains: likeLiteral(foldName(q) || q), mode: 'insensitive' } },
              { phone: { contains: likeLiteral(q) } },
              { waId: { contains: likeLiteral(q) } },
              // the person's id on their channel: a WhatsApp user id, a Messenger psid, an Instagram igsid
              { contactKey: { contains: likeLiteral(q) } },
              // an Instagram handle as people write it: "@ana.b" is the username "ana.b"
              { username: { contains: likeLiteral(q.replace(/^@/, '')), mode: 'insensitive' } },
              ...(phone
                ? [
                    { phone: { contains: phone.digits } },
                    { waId: { contains: phone.digits } },
                    { phoneNormalized: { contains: phone.digits } },
                    { phoneNormalized: { in: phone.canonical } },
                  ]
                : []),
              ...national.flatMap((found) => {
                const digits = found.replace(/\D/g, '');
                return [
                  { phone: { contains: digits } },
                  { waId: { contains: digits } },
                  { phoneNormalized: { contains: digits } },
                  // a whole number (E.164) also in the form its wa_id may have (Brazil's ninth digit …)
                  ...(found.startsWith('+')
                    ? [{ phoneNormalized: { in: phoneMatchKeys(found).map(canonicalPhone) } }]
                    : []),
                ];
              }),
            ],
          }
        : {}),
    };
    const [rows, total] = await Promise.all([
      this.db.prisma.conversation.findMany({
        where,
        orderBy: [{ lastMessageAt: { sort: 'desc', nulls: 'last' } }, { id: 'desc' }],
        ...page,
      }),
      this.db.prisma.conversation.count({ where }),
    ]);
    return { rows, total };
  }

  find(scope: SubAccountScope, id: bigint): Promise<ConversationRow | null> {
    return this.db.prisma.conversation.findFirst({ where: { id, ...scopeWhere(scope) } });
  }

  findById(id: bigint): Promise<ConversationRow | null> {
    return this.db.prisma.conversation.findUnique({ where: { id } });
  }

  /** The conversation row locked for the rest of the transaction. */
  async lock(id: bigint): Promise<ConversationRow | null> {
    await this.db.prisma.$queryRaw`SELECT id FROM conversations WHERE id = ${id} FOR UPDATE`;
    return this.findById(id);
  }

  /** A contact on a number: by its key, then by wa_id or user id, then by any form of its phone. */
  async findContact(
    integrationId: number,
    keys: { contactKey?: string; waId?: string; userId?: string; phones?: readonly string[] },
  ): Promise<ConversationRow | null> {
    const or: Prisma.ConversationWhereInput[] = [];
    if (keys.contactKey) or.push({ contactKey: keys.contactKey });
    if (keys.waId) or.push({ waId: keys.waId });
    if (keys.userId) or.push({ userId: keys.userId });
    if (keys.phones?.length)
      or.push({ phone: { in: [...keys.phones] } }, { phoneNormalized: { in: [...keys.phones] } });
    if (or.length === 0) return null;
    const rows = await this.db.prisma.conversation.findMany({
      where: { integrationId, OR: or },
      orderBy: { id: 'asc' },
    });
    // the exact key wins over a phone variant
    return (
      rows.find((r) => keys.contactKey !== undefined && r.contactKey === keys.contactKey) ??
      rows.find((r) => keys.waId !== undefined && r.waId === keys.waId) ??
      rows.find((r) => keys.userId !== undefined && r.userId === keys.userId) ??
      rows[0] ??
      null
    );
  }

  /** Creates the contact's conversation, or returns the one a concurrent writer created. */
  async create(data: {
    subAccountId: number;
    integrationId: number;
    channel: string;
    contactKey: string;
    contact: ContactFields;
    leadId?: bigint | null;
    linkSource?: string | null;
    referral?: JsonValue;
  }): Promise<{ row: ConversationRow; created: boolean }> {
    const rows = await this.db.prisma.$queryRaw<Array<{ id: bigint }>>`
      INSERT INTO conversations (sub_account_id, integration_id, channel, contact_key, wa_id, user_id, phone,
        phone_normalized, profile_name, username, lead_id, link_source, linked_at, referral, updated_at)
      VALUES (${data.subAccountId}, ${data.integrationId}, ${data.channel}, ${data.contactKey},
        ${data.contact.waId ?? null}, ${data.contact.userId ?? null}, ${data.contact.phone ?? null},
        ${data.contact.phoneNormalized ?? null}, ${data.contact.profileName ?? null}, ${data.contact.username ?? null},
        ${data.leadId ?? null}::bigint, ${data.linkSource ?? null}, ${data.leadId ? new Date() : null}::timestamptz,
        ${data.referral === undefined ? null : JSON.stringify(data.referral)}::jsonb, now())
      ON CONFLICT (integration_id, contact_key) DO NOTHING
      RETURNING id`;
    if (rows[0]) {
      const row = await this.findById(rows[0].id);
      if (row) return { row, created: true };
    }
    const existing = await this.db.prisma.conversation.findUnique({
      where: { integrationId_contactKey: { integrationId: data.integrationId, contactKey: data.contactKey } },
    });
    if (!existing) throw new Error('conversation vanished after a conflicting insert');
    return { row: existing, created: false };
  }

  update(id: bigint, changes: ConversationChanges): Promise<ConversationRow> {
    const { referral, ...columns } = changes;
    return this.db.prisma.conversation.update({
      where: { id },
      data: { ...columns, ...(referral !== undefined ? { referral: jsonInput(referral) } : {}) },
    });
  }

  /** An inbound message: last times move forward only, unread grows, contact fields refreshed. */
  async touchInbound(id: bigint, at: Date, contact: ContactFields): Promise<void> {
    await this.db.prisma.$executeRaw`
      UPDATE conversations SET
        last_inbound_at = GREATEST(COALESCE(last_inbound_at, ${at}), ${at}),
        last_message_at = GREATEST(COALESCE(last_message_at, ${at}), ${at}),
        unread_count = unread_count + 1,
        profile_name = COALESCE(${contact.profileName ?? null}, profile_name),
        username = COALESCE(${contact.username ?? null}, username),
        user_id = COALESCE(user_id, ${contact.userId ?? null}),
        wa_id = COALESCE(wa_id, ${contact.waId ?? null}),
        phone = COALESCE(phone, ${contact.phone ?? null}),
        phone_normalized = COALESCE(phone_normalized, ${contact.phoneNormalized ?? null}),
        updated_at = now()
      WHERE id = ${id}`;
  }

  async touchOutbound(id: bigint, at: Date): Promise<void> {
    await this.db.prisma.$executeRaw`
      UPDATE conversations SET last_message_at = GREATEST(COALESCE(last_message_at, ${at}), ${at}), unread_count = 0,
        updated_at = now()
      WHERE id = ${id}`;
  }

  /** Window facts by canonical phone for many contacts of one number (bulk): phone → lastInboundAt. */
  async lastInboundByPhone(integrationId: number, phones: readonly string[]): Promise<Map<string, Date>> {
    const rows = await this.db.prisma.conversation.findMany({
      where: { integrationId, phoneNormalized: { in: [...phones] }, lastInboundAt: { not: null } },
      select: { phoneNormalized: true, lastInboundAt: true },
    });
    const out = new Map<string, Date>();
    for (const r of rows)
      if (r.phoneNormalized && r.lastInboundAt) {
        const prev = out.get(r.phoneNormalized);
        if (!prev || prev < r.lastInboundAt) out.set(r.phoneNormalized, r.lastInboundAt);
      }
    return out;
  }

  /** Unlinked conversations of a sub-account with a phone (auto-link). */
  unlinkedWithPhone(subAccountId: number): Promise<ConversationRow[]> {
    return this.db.prisma.conversation.findMany({
      where: { subAccountId, leadId: null, phoneNormalized: { not: null } },
      orderBy: { id: 'asc' },
      take: 10_000,
    });
  }

  /** Links (or unlinks) a conversation and its messages to a lead. */
  async setLead(
    id: bigint,
    leadId: bigint | null,
    source: string | null,
    by: string | null,
    capturedLeadId?: bigint,
  ): Promise<ConversationRow> {
    const row = await this.db.prisma.conversation.update({
      where: { id },
      data: {
        leadId,
        linkSource: source,
        linkedBy: by,
        linkedAt: leadId ? new Date() : null,
        ...(capturedLeadId !== undefined ? { capturedLeadId } : {}),
      },
    });
    await this.db.prisma.message.updateMany({ where: { conversationId: id }, data: { leadId } });
    return row;
  }

  countForAnalytics(
    subAccountId: number,
    from: Date,
    to: Date,
  ): Promise<{ total: number; linked: number; captured: number }> {
    const where = { subAccountId, channel: 'whatsapp', createdAt: { gte: from, lte: to } };
    return Promise.all([
      this.db.prisma.conversation.count({ where }),
      this.db.prisma.conversation.count({ where: { ...where, leadId: { not: null } } }),
      this.db.prisma.conversation.count({ where: { ...where, capturedLeadId: { not: null } } }),
    ]).then(([total, linked, captured]) => ({ total, linked, captured }));
  }
}
