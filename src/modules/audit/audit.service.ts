import { Injectable } from '@nestjs/common';
import { AuthUser } from '../../common/auth/auth-user';
import type { PrismaTx } from '../../database/prisma.service';
import type { Prisma } from '../../generated/prisma/client';
import { redactDeep } from '../../logging/redact';
import { AuditRepository } from './audit.repository';

export interface AuditEntry {
  action: string;
  entity: string;
  entityId: string | number;
  subAccountId?: number | null;
  before?: unknown;
  after?: unknown;
}

/** Writes the audit trail. Secrets are redacted here, whatever the caller passes. */
@Injectable()
export class AuditService {
  constructor(private readonly repository: AuditRepository) {}

  async record(actor: AuthUser, entry: AuditEntry, tx?: PrismaTx): Promise<void> {
    const changes =
      entry.before === undefined && entry.after === undefined
        ? undefined
        : (JSON.parse(
            JSON.stringify(redactDeep({ before: entry.before ?? null, after: entry.after ?? null })),
          ) as Prisma.InputJsonValue);
    await this.repository.insert(
      {
        actorSub: actor.sub,
        actorRole: actor.role,
        action: entry.action,
        entity: entry.entity,
        entityId: String(entry.entityId),
        subAccountId: entry.subAccountId ?? null,
        changes,
      },
      tx,
    );
  }
}
