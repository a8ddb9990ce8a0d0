import { SecretBox } from '../../common/crypto/secret-box';
import type { Prisma, PrismaClient } from '../../generated/prisma/client';
import { ConfigCodec, ConfigObject } from '../integration-templates/config-codec';

interface SealedRow {
  config: unknown;
  webhookSecret: string;
  previousWebhookSecret: string | null;
  template: { configSchema: unknown };
}

/** Every sealed value of a row (config secrets, webhook secrets) re-sealed with the current key. */
export function resealedRow(
  row: SealedRow,
  codec: ConfigCodec,
  box: SecretBox,
): Prisma.IntegrationUncheckedUpdateInput {
  const schema = row.template.configSchema;
  return {
    config: codec.seal(schema, codec.open(schema, row.config as ConfigObject)) as Prisma.InputJsonObject,
    webhookSecret: box.seal(box.open(row.webhookSecret)),
    previousWebhookSecret: row.previousWebhookSecret === null ? null : box.seal(box.open(row.previousWebhookSecret)),
    keyId: box.currentKeyId,
  };
}

export interface RotationCounts {
  scanned: number;
  rotated: number;
  skipped: number;
  failed: number;
}

/**
 * Re-seals every integration still on an older key with the current (first) key, a row per
 * transaction; rows already on the current key are not touched, so an interrupted run can simply
 * be run again.
 */
export async function rotateSecrets(
  prisma: PrismaClient,
  codec: ConfigCodec,
  box: SecretBox,
  log: (line: string) => void = () => undefined,
  batchSize = 100,
): Promise<RotationCounts> {
  const counts: RotationCounts = { scanned: 0, rotated: 0, skipped: 0, failed: 0 };
  let afterId = 0;
  for (;;) {
    const rows = await prisma.integration.findMany({
      where: { id: { gt: afterId }, keyId: { not: box.currentKeyId } },
      include: { template: { select: { configSchema: true } } },
      orderBy: { id: 'asc' },
      take: batchSize,
    });
    if (rows.length === 0) break;
    for (const row of rows) {
      afterId = row.id;
      counts.scanned += 1;
      try {
        // only if nobody re-sealed it meanwhile (key unchanged since we read it)
        const result = await prisma.integration.updateMany({
          where: { id: row.id, keyId: row.keyId },
          data: resealedRow(row, codec, box),
        });
        if (result.count === 1) counts.rotated += 1;
        else counts.skipped += 1;
      } catch (err) {
        counts.failed += 1;
        log(`integration ${row.id}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    log(`… ${counts.scanned} scanned, ${counts.rotated} rotated`);
  }
  return counts;
}
