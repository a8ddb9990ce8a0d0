import { Injectable } from '@nestjs/common';
import { SubAccountScope } from '../../common/auth/sub-account-scope';
import { Db } from '../../database/db';
import type { PrismaExecutor } from '../../database/prisma.service';
import { scopeWhere } from '../../database/scope-where';
import { TransactionRunner } from '../../database/transaction-runner';
import type { Prisma, SubAccount } from '../../generated/prisma/client';
import type { Integration, IntegrationChange, IntegrationStatus, NewIntegration } from './integration';
import { IntegrationChanges } from './integration-changes';

/** The name the webhook pipeline reads integrations by (the domain type). */
export type IntegrationRow = Integration;

type StoredIntegration = Prisma.IntegrationGetPayload<{ include: { template: true } }>;

/** The stored row as the domain type: its fields, and nothing Prisma-specific (relations, methods). */
export function toIntegration(row: StoredIntegration): Integration {
  const { template, ...fields } = row;
  return {
    id: fields.id,
    subAccountId: fields.subAccountId,
    templateId: fields.templateId,
    handler: fields.handler,
    name: fields.name,
    description: fields.description,
    isActive: fields.isActive,
    activatedAt: fields.activatedAt,
    status: fields.status,
    config: fields.config,
    keyId: fields.keyId,
    routingKey: fields.routingKey,
    webhookId: fields.webhookId,
    webhookSecret: fields.webhookSecret,
    previousWebhookSecret: fields.previousWebhookSecret,
    previousSecretExpiresAt: fields.previousSecretExpiresAt,
    previousConfigSecrets: fields.previousConfigSecrets,
    previousConfigSecretsExpireAt: fields.previousConfigSecretsExpireAt,
    sealVersion: fields.sealVersion,
    errorMessage: fields.errorMessage,
    lastSyncAt: fields.lastSyncAt,
    lastSyncStatus: fields.lastSyncStatus,
    lastWebhookAt: fields.lastWebhookAt,
    createdBy: fields.createdBy,
    createdAt: fields.createdAt,
    updatedAt: fields.updatedAt,
    oauthProvider: fields.oauthProvider,
    oauthTokens: fields.oauthTokens,
    oauthExpiresAt: fields.oauthExpiresAt,
    oauthGrantKey: fields.oauthGrantKey,
    template: { ...template },
  };
}

/** A domain change as Prisma writes it (JSON columns as Prisma's JSON input). */
function updateData(change: IntegrationChange): Prisma.IntegrationUncheckedUpdateInput {
  const { config, previousConfigSecrets, ...columns } = change;
  return {
    ...columns,
    ...(config !== undefined ? { config: config as Prisma.InputJsonObject } : {}),
    ...(previousConfigSecrets !== undefined ? { previousConfigSecrets } : {}),
  };
}

export interface IntegrationFilter {
  status?: IntegrationStatus;
  templateId?: number;
}

/**
 * Runs inside the write's transaction (e.g. the audit record, which joins it through TransactionRunner):
 * if it fails, nothing of the write remains.
 */
export type AfterWrite = (row: Integration) => Promise<void>;

export type CreateOutcome =
  | { created: Integration }
  | { limitReached: { current: number; limit: number } }
  | { routingKeyTaken: string }
  | { templateGone: true }
  | { templateChanged: true };

export type UpdateOutcome = { updated: Integration } | { routingKeyTaken: string } | { notFound: true };

// another integration than $1, of any sub-account and not disconnected, of one of the handlers in $2
// whose config field (the same position in $3) holds $4; config fields that are not secrets are stored as given
const CONFIG_VALUE_IN_USE = {
  name: 'integrations_config_value_in_use',
  text: `SELECT EXISTS (
           SELECT 1 FROM integrations i
           JOIN unnest($2::text[], $3::text[]) AS f(handler, field) ON f.handler = i.handler
           WHERE i.id <> $1 AND i.status <> 'disconnected' AND i.config ->> f.field = $4
         ) AS "inUse"`,
};

/**
 * Every query about integrations takes the caller's scope (or an explicit sub-account id). Writes
 * keep the routing-key claims (one sub-account per provider routing key) in the same transaction.
 */
@Injectable()
export class IntegrationsRepository {
  constructor(
    private readonly db: Db,
    private readonly transactions: TransactionRunner,
    private readonly changes: IntegrationChanges,
  ) {}

  async list(
    scope: SubAccountScope,
    filter: IntegrationFilter,
    skip: number,
    take: number,
  ): Promise<{ rows: Integration[]; total: number }> {
    const where: Prisma.IntegrationWhereInput = { ...scopeWhere(scope), ...filter };
    const [rows, total] = await Promise.all([
      this.db.prisma.integration.findMany({ where, include: { template: true }, orderBy: { id: 'asc' }, skip, take }),
      this.db.prisma.integration.count({ where }),
    ]);
    return { rows: rows.map(toIntegration), total };
  }

  async findById(scope: SubAccountScope, id: number): Promise<Integration | null> {
    const row = await this.db.prisma.integration.findFirst({
      where: { id, ...scopeWhere(scope) },
      include: { template: true },
    });
    return row && toIntegration(row);
  }

  findSubAccount(subAccountId: number): Promise<SubAccount | null> {
    return this.db.prisma.subAccount.findUnique({ where: { id: subAccountId } });
  }

  /** The sub-account that owns a routing key, if any sub-account has claimed it. */
  async routingKeyOwner(handler: string, routingKey: string): Promise<number | null> {
    const claim = await this.db.prisma.webhookRoutingClaim.findUnique({
      where: { handler_routingKey: { handler, routingKey } },
    });
    return claim?.subAccountId ?? null;
  }

  /**
   * Inserts unless the sub-account already has `limit` integrations of this handler, or its routing
   * key belongs to another sub-account. The sub-account row is locked first, so concurrent creates
   * for one sub-account are decided one at a time; the claim's primary key decides between
   * sub-accounts. `build` gets the new row's id (secrets are sealed for it).
   */
  async createWithinLimit(
    input: {
      subAccountId: number;
      templateId: number;
      /** The template version the config was validated against (and is sealed with). */
      templateVersion: number;
      handler: string;
      routingKey: string | null;
    },
    build: (id: number) => NewIntegration,
    limitFor: (tier: SubAccount['tier']) => number,
    after: AfterWrite,
  ): Promise<CreateOutcome> {
    return this.transactions.run(async () => {
      const tx = this.db.prisma;
      const locked = await tx.$queryRaw<
        Array<{ tier: SubAccount['tier'] }>
      >`SELECT tier FROM sub_accounts WHERE id = ${input.subAccountId} FOR UPDATE`;
      // the template held (SHARE) until commit: a DELETE or a change of it waits and then counts this
      // integration, or it went first and this create is 404 rather than a foreign-key failure, or (a
      // changed schema) the config is validated and sealed again: sealed with the schema read before the
      // change, a field the new schema marks secret was stored in plaintext
      const template = await tx.$queryRaw<
        Array<{ id: number; version: number; handler: string }>
      >`SELECT id, version, handler FROM integration_templates WHERE id = ${input.templateId} FOR SHARE`;
      if (template.length === 0) return { templateGone: true as const };
      if (template[0].version !== input.templateVersion || template[0].handler !== input.handler)
        return { templateChanged: true as const };
      const limit = limitFor(locked[0].tier);
      const current = await tx.integration.count({
        where: { subAccountId: input.subAccountId, handler: input.handler },
      });
      if (limit >= 0 && current >= limit) return { limitReached: { current, limit } };
      if (input.routingKey !== null && !(await this.claim(tx, input.handler, input.routingKey, input.subAccountId)))
        return { routingKeyTaken: input.routingKey };
      const [{ id }] = await tx.$queryRaw<
        Array<{ id: number }>
      >`SELECT nextval(pg_get_serial_sequence('integrations', 'id'))::int AS id`;
      const fields = build(id);
      const created = toIntegration(
        await tx.integration.create({
          data: { ...fields, config: fields.config as Prisma.InputJsonObject, id },
          include: { template: true },
        }),
      );
      await after(created);
      // a routing key or webhook id looked up before now named no integration
      await this.changes.changed(created.id);
      return { created };
    });
  }

  /**
   * Changes one integration: the row is locked and read again, `change` computes the update from
   * that current row (so concurrent changes never overwrite each other's reading), a changed
   * routing key is claimed and the old one released, and `after` runs in the same transaction.
   */
  async mutate(
    subAccountId: number,
    id: number,
    change: (row: Integration) => IntegrationChange,
    after?: AfterWrite,
  ): Promise<UpdateOutcome> {
    return this.transactions.run(async () => {
      const tx = this.db.prisma;
      const locked = await tx.$queryRaw<
        Array<{ id: number }>
      >`SELECT id FROM integrations WHERE id = ${id} AND sub_account_id = ${subAccountId} FOR UPDATE`;
      if (locked.length === 0) return { notFound: true as const };
      // its template held (SHARE) until commit: a change of the template's schema waits and then sees this
      // config, rather than this config being sealed with the schema read before the change
      await tx.$queryRaw`SELECT t.id FROM integration_templates t JOIN integrations i ON i.template_id = t.id WHERE i.id = ${id} FOR SHARE OF t`;
      const row = toIntegration(await tx.integration.findUniqueOrThrow({ where: { id }, include: { template: true } }));
      const data = change(row);
      const next = data.routingKey === undefined ? row.routingKey : data.routingKey;
      if (next !== row.routingKey) {
        if (next !== null && !(await this.claim(tx, row.handler, next, subAccountId))) return { routingKeyTaken: next };
      }
      const updated = toIntegration(
        await tx.integration.update({ where: { id }, data: updateData(data), include: { template: true } }),
      );
      if (next !== row.routingKey && row.routingKey !== null) await this.release(tx, row.handler, row.routingKey);
      if (after) await after(updated);
      await this.changes.changed(id);
      return { updated };
    });
  }

  /** Deletes one integration, releasing its routing key when no integration holds it any more. */
  async delete(subAccountId: number, id: number, after: AfterWrite): Promise<boolean> {
    return this.transactions.run(async () => {
      const tx = this.db.prisma;
      const row = await tx.integration.findFirst({ where: { id, subAccountId }, include: { template: true } });
      if (!row) return false;
      await tx.integration.delete({ where: { id } });
      if (row.routingKey !== null) await this.release(tx, row.handler, row.routingKey);
      await after(toIntegration(row));
      await this.changes.changed(id);
      return true;
    });
  }

  async countByHandler(subAccountId: number): Promise<Map<string, number>> {
    const rows = await this.db.prisma.integration.groupBy({
      by: ['handler'],
      where: { subAccountId },
      _count: { _all: true },
    });
    return new Map(rows.map((r) => [r.handler, r._count._all]));
  }

  /** For workers: the integration an event belongs to. */
  async findForProcessing(id: number): Promise<Integration | null> {
    const row = await this.db.prisma.integration.findUnique({ where: { id }, include: { template: true } });
    return row && toIntegration(row);
  }

  async touchLastWebhook(id: number, at: Date): Promise<void> {
    await this.db.prisma.integration.updateMany({
      where: { id, OR: [{ lastWebhookAt: null }, { lastWebhookAt: { lt: at } }] },
      data: { lastWebhookAt: at },
    });
  }

  /**
   * For workers: a setup the provider refuses (a sunset API version …) is reported on the
   * integration, which stops receiving until a person fixes it and its connection test passes again.
   */
  async markSetupError(id: number, message: string): Promise<void> {
    await this.markError(id, message);
  }

  /** The outcome of a sync run, as the integration shows it (lastSyncAt moves only on success). */
  async recordSyncResult(id: number, status: 'SUCCEEDED' | 'FAILED', at: Date): Promise<void> {
    await this.db.prisma.integration.update({
      where: { id },
      data: { lastSyncStatus: status, ...(status === 'SUCCEEDED' ? { lastSyncAt: at } : {}) },
    });
  }

  /** A provider refused the stored credentials during background work. */
  async markCredentialsInvalid(id: number, message: string): Promise<void> {
    await this.markError(id, `INVALID_CREDENTIALS: ${message}`);
  }

  /**
   * A background failure (a sync run, an event) reported on the integration, unless an admin disconnected
   * it meanwhile: a disconnected integration stays `disconnected` (API.md) until a config change and a
   * passed test reconnect it, and its erased or revoked token is what the provider refused.
   */
  private async markError(id: number, message: string): Promise<void> {
    const { count } = await this.db.prisma.integration.updateMany({
      where: { id, status: { not: 'disconnected' } },
      data: { status: 'error', errorMessage: message },
    });
    if (count === 1) await this.changes.changed(id, 'own');
  }

  /**
   * Whether a provider resource that integrations of several sub-accounts can share (a WhatsApp
   * Business Account) is still used by another live integration than `id`: one not disconnected, of
   * one of `fields`' handlers, whose non-secret config field holds `value`. Across sub-accounts on
   * purpose: the resource is the provider's, not a sub-account's.
   */
  async configValueInUse(
    id: number,
    fields: ReadonlyArray<{ handler: string; field: string }>,
    value: string,
  ): Promise<boolean> {
    const rows = await this.db.sql<{ inUse: boolean }>(CONFIG_VALUE_IN_USE, [
      id,
      fields.map((f) => f.handler),
      fields.map((f) => f.field),
      value,
    ]);
    return rows[0]?.inUse === true;
  }

  /** Key ids that sealed stored secrets (checked against ENCRYPTION_KEYS at boot). */
  async keyIdsInUse(): Promise<string[]> {
    const rows = await this.db.prisma.integration.findMany({ distinct: ['keyId'], select: { keyId: true } });
    return rows.map((r) => r.keyId);
  }

  /** Rows to re-seal: still holding legacy (unbound) values, or (given a key id) on another key. */
  async findNeedingReseal(
    afterId: number,
    currentKeyId: string | null,
    sealVersion: number,
    take: number,
  ): Promise<Integration[]> {
    const stale: Prisma.IntegrationWhereInput[] = [{ sealVersion: { lt: sealVersion } }];
    if (currentKeyId !== null) stale.push({ keyId: { not: currentKeyId } });
    const rows = await this.db.prisma.integration.findMany({
      where: { id: { gt: afterId }, OR: stale },
      include: { template: true },
      orderBy: { id: 'asc' },
      take,
    });
    return rows.map(toIntegration);
  }

  /** Writes re-sealed values only if nobody re-sealed or rewrote the row since it was read. */
  async resealIfUnchanged(row: Integration, change: IntegrationChange): Promise<boolean> {
    const result = await this.db.prisma.integration.updateMany({
      where: { id: row.id, keyId: row.keyId, sealVersion: row.sealVersion, updatedAt: row.updatedAt },
      data: updateData(change),
    });
    // the same values sealed again: routed exactly as before
    if (result.count === 1) await this.changes.changed(row.id, 'own');
    return result.count === 1;
  }

  /** Claims a routing key for a sub-account; false when another sub-account holds it. Locks the claim row. */
  private async claim(tx: PrismaExecutor, handler: string, routingKey: string, subAccountId: number): Promise<boolean> {
    const rows = await tx.$queryRaw<Array<{ sub_account_id: number }>>`
      INSERT INTO webhook_routing_claims (handler, routing_key, sub_account_id)
      VALUES (${handler}, ${routingKey}, ${subAccountId})
      ON CONFLICT (handler, routing_key) DO UPDATE SET sub_account_id = webhook_routing_claims.sub_account_id
      RETURNING sub_account_id`;
    return rows[0]?.sub_account_id === subAccountId;
  }

  /**
   * Drops a claim no integration uses any more. The claim row is locked first, so a concurrent
   * claimer that holds it commits before the second statement looks for integrations still using it.
   */
  private async release(tx: PrismaExecutor, handler: string, routingKey: string): Promise<void> {
    await tx.$queryRaw`SELECT 1 FROM webhook_routing_claims WHERE handler = ${handler} AND routing_key = ${routingKey} FOR UPDATE`;
    await tx.$executeRaw`
      DELETE FROM webhook_routing_claims c
      WHERE c.handler = ${handler} AND c.routing_key = ${routingKey}
        AND NOT EXISTS (SELECT 1 FROM integrations i WHERE i.handler = c.handler AND i.routing_key = c.routing_key)`;
  }
}
