import { Injectable } from '@nestjs/common';
import type { PrismaTx } from '../../database/prisma.service';
import { Prisma } from '../../generated/prisma/client';
import type { TrafficInput } from '../../handlers/handler-types';

/** Daily website traffic (traffic_daily): one row per integration, day, source, medium and campaign. */
@Injectable()
export class TrafficRepository {
  /** Upserted inside the page's transaction: a re-read day (GA revises recent days) replaces its numbers. */
  async upsertDaily(
    tx: PrismaTx,
    subAccountId: number,
    integrationId: number,
    traffic: readonly TrafficInput[],
  ): Promise<void> {
    for (const t of traffic) {
      const key = {
        integrationId,
        day: new Date(`${t.day}T00:00:00Z`),
        source: t.source,
        medium: t.medium,
        campaignName: t.campaignName,
        campaignId: t.campaignId,
      };
      const data = {
        sessions: t.sessions,
        engagedSessions: t.engagedSessions,
        keyEvents: new Prisma.Decimal(t.keyEvents),
      };
      await tx.trafficDaily.upsert({
        where: { integrationId_day_source_medium_campaignName_campaignId: key },
        create: { ...key, ...data, subAccountId, platform: t.platform },
        update: data,
      });
    }
  }
}
