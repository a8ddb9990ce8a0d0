import { Injectable } from '@nestjs/common';
import type { SubAccountScope } from '../../common/auth/sub-account-scope';
import type { PageRequest } from '../../common/http/pagination';
import { Db } from '../../database/db';
import { scopeWhere } from '../../database/scope-where';
import type { Prisma, WhatsAppOptOut } from '../../generated/prisma/client';

export type OptOutRow = WhatsAppOptOut;

/** The table holds every channel's opt-outs (issue 16); these are WhatsApp's, and only theirs. */
const WHATSAPP = 'whatsapp';

const LOCK_CONTACT = {
  name: 'opt_out_lock_contact_v1',
  text: `SELECT pg_advisory_xact_lock($1::int, hashtext('opt-out:' || k))
         FROM (SELECT DISTINCT unnest($2::text[]) AS k ORDER BY 1) s`,
};

/** The suppression list: per sub-account, keyed by wa_id and canonical phone. */
@Injectable()
export class OptOutsRepository {
  constructor(private readonly db: Db) {}

  async list(scope: SubAccountScope, page: PageRequest): Promise<{ rows: OptOutRow[]; total: number }> {
    const where: Prisma.WhatsAppOptOutWhereInput = { ...scopeWhere(scope), channel: WHATSAPP };
    const [rows, total] = await Promise.all([
      this.db.prisma.whatsAppOptOut.findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], ...page }),
      this.db.prisma.whatsAppOptOut.count({ where }),
    ]);
    return { rows, total };
  }

  async subAccountExists(id: number): Promise<boolean> {
    return (await this.db.prisma.subAccount.count({ where: { id } })) > 0;
  }

  find(scope: SubAccountScope, id: bigint): Promise<OptOutRow | null> {
    return this.db.prisma.whatsAppOptOut.findFirst({ where: { id, ...scopeWhere(scope), channel: WHATSAPP } });
  }

  /**
   * Serialises the writers of one contact's entries until the transaction ends (an agent's two clicks,
   * a keyword and Meta's user_preferences at once): advisory locks on its wa_id and phone forms, taken
   * in a fixed order so that two writers cannot deadlock. Without them both find no entry and the
   * second insert breaks a unique index.
   */
  async lockContact(subAccountId: number, keys: readonly string[]): Promise<void> {
    await this.db.execute(LOCK_CONTACT, [subAccountId, [...keys]]);
  }

  /** Entries matching any of these wa_ids or phones. */
  matching(subAccountId: number, waIds: readonly string[], phones: readonly string[]): Promise<OptOutRow[]> {
    const or: Prisma.WhatsAppOptOutWhereInput[] = [];
    if (waIds.length) or.push({ waId: { in: [...waIds] } });
    if (phones.length) or.push({ phone: { in: [...phones] } });
    if (or.length === 0) return Promise.resolve([]);
    return this.db.prisma.whatsAppOptOut.findMany({ where: { subAccountId, channel: WHATSAPP, OR: or } });
  }

  create(data: Prisma.WhatsAppOptOutUncheckedCreateInput): Promise<OptOutRow> {
    return this.db.prisma.whatsAppOptOut.create({ data });
  }

  update(id: bigint, data: Prisma.WhatsAppOptOutUncheckedUpdateInput): Promise<OptOutRow> {
    return this.db.prisma.whatsAppOptOut.update({ where: { id }, data });
  }

  async delete(ids: bigint[]): Promise<number> {
    if (ids.length === 0) return 0;
    const { count } = await this.db.prisma.whatsAppOptOut.deleteMany({ where: { id: { in: ids } } });
    return count;
  }

  count(subAccountId: number, from: Date, to: Date): Promise<number> {
    return this.db.prisma.whatsAppOptOut.count({
      where: { subAccountId, channel: WHATSAPP, createdAt: { gte: from, lte: to } },
    });
  }
}
