import { Injectable } from '@nestjs/common';
import { AuthUser } from '../../common/auth/auth-user';
import { listScope } from '../../common/auth/sub-account-scope';
import { Page, skipTake, toPage } from '../../common/http/pagination';
import { redactDeep } from '../../logging/redact';
import { AuditRepository, AuditRow } from './audit.repository';
import { AuditEntryDto, AuditQueryDto } from './dto/audit.dto';

export interface AuditEntry {
  action: string;
  entity: string;
  entityId: string | number;
  subAccountId?: number | null;
  before?: unknown;
  after?: unknown;
}

const toEntryDto = (r: AuditRow): AuditEntryDto => ({
  id: r.id.toString(),
  actorSub: r.actorSub,
  actorRole: r.actorRole,
  action: r.action,
  entity: r.entity,
  entityId: r.entityId,
  subAccountId: r.subAccountId,
  changes: r.changes,
  createdAt: r.createdAt.toISOString(),
});

/** Writes and reads the audit trail. Secrets are redacted here, whatever the caller passes. */
@Injectable()
export class AuditService {
  constructor(private readonly repository: AuditRepository) {}

  /** Joins the caller's transaction when there is one (TransactionRunner.run). */
  async record(actor: AuthUser, entry: AuditEntry): Promise<void> {
    const changes =
      entry.before === undefined && entry.after === undefined
        ? undefined
        : (JSON.parse(
            JSON.stringify(redactDeep({ before: entry.before ?? null, after: entry.after ?? null })),
          ) as unknown);
    await this.repository.insert({
      actorSub: actor.sub,
      actorRole: actor.role,
      action: entry.action,
      entity: entry.entity,
      entityId: String(entry.entityId),
      subAccountId: entry.subAccountId ?? null,
      changes,
    });
  }

  /** ADMIN: entries of their sub-accounts; SUPER_ADMIN: all (including template changes). */
  async list(user: AuthUser, query: AuditQueryDto): Promise<Page<AuditEntryDto>> {
    const { rows, total } = await this.repository.list(
      listScope(user, query.subAccountId),
      { entity: query.entity, entityId: query.entityId },
      skipTake(query),
    );
    return toPage(rows.map(toEntryDto), total, query);
  }
}
