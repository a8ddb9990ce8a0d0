import { Injectable } from '@nestjs/common';
import { Db } from '../../database/db';
import type { LeadActivity, LeadStatusChange } from '../../generated/prisma/client';
import type { ActivityOutcomeName, ActivityTypeName } from './dto/lead.dto';

export type LeadActivityRow = LeadActivity;
export type LeadStatusChangeRow = LeadStatusChange;

export interface NewActivity {
  type: ActivityTypeName;
  outcome: ActivityOutcomeName | null;
  userId: string;
  userName: string | null;
  occurredAt: Date;
  durationSeconds: number | null;
  note: string | null;
  createdBy: string;
}

/**
 * The append-only facts about a lead other than its status (lead_set_status writes those: see
 * LeadsWriteRepository.setStatus): assignments and activities, and the lead columns they change.
 * The rollup follows each fact at commit (triggers, migration issue13_analytics_rollup).
 */
@Injectable()
export class LeadFactsRepository {
  constructor(private readonly db: Db) {}

  /** Locks the lead row for the rest of the transaction; null when it is not this sub-account's. */
  async lock(
    subAccountId: number,
    leadId: bigint,
  ): Promise<{ assignedUserId: string | null; assignedUserName: string | null } | null> {
    const rows = await this.db.prisma.$queryRaw<
      Array<{ assigned_user_id: string | null; assigned_user_name: string | null }>
    >`
      SELECT assigned_user_id, assigned_user_name FROM leads
      WHERE id = ${leadId} AND sub_account_id = ${subAccountId} FOR UPDATE`;
    return rows.length
      ? { assignedUserId: rows[0].assigned_user_id, assignedUserName: rows[0].assigned_user_name }
      : null;
  }

  /** Assigns the lead and records the fact (when the assignee really changes). */
  async assign(
    subAccountId: number,
    leadId: bigint,
    change: { from: string | null; to: string | null; toName: string | null; at: Date; by: string },
  ): Promise<void> {
    await this.db.prisma.lead.updateMany({
      where: { id: leadId, subAccountId },
      data: { assignedUserId: change.to, assignedUserName: change.toName },
    });
    if (change.from === change.to) return;
    await this.db.prisma.leadAssignment.create({
      data: {
        subAccountId,
        leadId,
        fromUserId: change.from,
        toUserId: change.to,
        toUserName: change.toName,
        at: change.at,
        by: change.by,
      },
    });
  }

  async setTags(subAccountId: number, leadId: bigint, tags: string[]): Promise<void> {
    await this.db.prisma.lead.updateMany({ where: { id: leadId, subAccountId }, data: { tags } });
  }

  addActivity(subAccountId: number, leadId: bigint, activity: NewActivity): Promise<LeadActivityRow> {
    return this.db.prisma.leadActivity.create({ data: { subAccountId, leadId, ...activity } });
  }

  statusHistory(subAccountId: number, leadId: bigint): Promise<LeadStatusChangeRow[]> {
    return this.db.prisma.leadStatusChange.findMany({
      where: { subAccountId, leadId },
      orderBy: [{ at: 'asc' }, { id: 'asc' }],
    });
  }
}
