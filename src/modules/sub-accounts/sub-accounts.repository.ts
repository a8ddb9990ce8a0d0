import { Injectable } from '@nestjs/common';
import type { SubAccountScope } from '../../common/auth/sub-account-scope';
import { Db } from '../../database/db';
import { scopeWhere } from '../../database/scope-where';
import type { Prisma, SubAccount } from '../../generated/prisma/client';
import type { TierName } from './dto/sub-account.dto';

export type SubAccountRow = SubAccount;

@Injectable()
export class SubAccountsRepository {
  constructor(private readonly db: Db) {}

  list(scope: SubAccountScope): Promise<SubAccountRow[]> {
    return this.db.prisma.subAccount.findMany({ where: scopeWhere(scope, 'id'), orderBy: { id: 'asc' } });
  }

  findById(id: number): Promise<SubAccountRow | null> {
    return this.db.prisma.subAccount.findUnique({ where: { id } });
  }

  create(data: { name: string; tier?: TierName; defaultRegion?: string }): Promise<SubAccountRow> {
    return this.db.prisma.subAccount.create({ data });
  }

  update(
    id: number,
    data: {
      name?: string;
      tier?: TierName;
      defaultRegion?: string;
      timezone?: string;
      funnelStages?: string[];
      scoreWeights?: Record<string, unknown>;
    },
  ): Promise<SubAccountRow> {
    const { scoreWeights, ...rest } = data;
    return this.db.prisma.subAccount.update({
      where: { id },
      data: {
        ...rest,
        ...(scoreWeights !== undefined ? { scoreWeights: scoreWeights as Prisma.InputJsonObject } : {}),
      },
    });
  }

  /**
   * True when PostgreSQL's time-zone database has the name: the analytics rollup reads local days in SQL
   * with every fact. Node's ICU also takes names PostgreSQL's tzdata dropped (US/Pacific-New) or does not
   * have yet (a zone newer than the server's tzdata).
   */
  async databaseKnowsTimeZone(name: string): Promise<boolean> {
    const [row] = await this.db.sql<{ known: boolean }>(
      {
        name: 'sub_account_time_zone_known_v1',
        // PostgreSQL reads zone names in any letter case, as Node does
        text: 'SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE lower(name) = lower($1)) AS known',
      },
      [name],
    );
    return row?.known === true;
  }

  /** A first sub-account, only when there is none yet (a development database, for trying the API). */
  async createIfNone(data: { name: string; tier: TierName; defaultRegion: string }): Promise<boolean> {
    const created = await this.db.prisma.$executeRaw`
      INSERT INTO sub_accounts (name, tier, default_region, updated_at)
      SELECT ${data.name}, ${data.tier}::"Tier", ${data.defaultRegion}, now()
      WHERE NOT EXISTS (SELECT 1 FROM sub_accounts)`;
    return created > 0;
  }
}
