import { integrationSecretContext, SecretBox } from '../../common/crypto/secret-box';
import { ConfigCodec, ConfigObject } from '../integration-templates/config-codec';
import type { Integration, IntegrationChange } from './integration';
import type { IntegrationsRepository } from './integrations.repository';
import {
  OAUTH_TOKENS_POINTER,
  PREVIOUS_WEBHOOK_SECRET_POINTER,
  previousSecretPointer,
  WEBHOOK_SECRET_POINTER,
} from './sealed-fields';

/** Rows written with this version hold only values bound to their row and field. */
export const SEAL_VERSION = 2;

type SealedRow = Pick<
  Integration,
  'id' | 'config' | 'webhookSecret' | 'previousWebhookSecret' | 'previousConfigSecrets' | 'sealVersion' | 'oauthTokens'
> & { template: { configSchema: unknown } };

/**
 * A row's sealed values outside its config (webhook secrets, previous verification secrets)
 * re-sealed with the current key and bound to the row and field. Throws if one does not open.
 */
export function resealedColumns(row: Omit<SealedRow, 'config' | 'template'>, box: SecretBox): IntegrationChange {
  const legacy = row.sealVersion < SEAL_VERSION;
  const reseal = (sealed: string, pointer: string): string => {
    const context = integrationSecretContext(row.id, pointer);
    return box.seal(box.open(sealed, context, legacy), context);
  };
  const previous = row.previousConfigSecrets;
  let previousConfigSecrets: Record<string, string> | undefined;
  if (previous && typeof previous === 'object' && !Array.isArray(previous)) {
    const out: Record<string, string> = {};
    for (const [field, value] of Object.entries(previous))
      if (typeof value === 'string') out[field] = reseal(value, previousSecretPointer(field));
    previousConfigSecrets = out;
  }
  return {
    webhookSecret: reseal(row.webhookSecret, WEBHOOK_SECRET_POINTER),
    previousWebhookSecret:
      row.previousWebhookSecret === null ? null : reseal(row.previousWebhookSecret, PREVIOUS_WEBHOOK_SECRET_POINTER),
    ...(previousConfigSecrets ? { previousConfigSecrets } : {}),
    // issue 15: OAuth tokens (always sealed bound to the row) move to the current key with the rest
    ...(row.oauthTokens ? { oauthTokens: reseal(row.oauthTokens, OAUTH_TOKENS_POINTER) } : {}),
    keyId: box.currentKeyId,
    sealVersion: SEAL_VERSION,
  };
}

/** Every sealed value of a row, its config's secrets included, re-sealed and bound (see resealedColumns). */
export function resealedRow(row: SealedRow, codec: ConfigCodec, box: SecretBox): IntegrationChange {
  const schema = row.template.configSchema;
  const plain = codec.open(schema, row.config as ConfigObject, {
    integrationId: row.id,
    legacy: row.sealVersion < SEAL_VERSION,
  });
  return { ...resealedColumns(row, box), config: codec.seal(schema, plain, row.id) };
}

export interface RotationCounts {
  scanned: number;
  rotated: number;
  skipped: number;
  failed: number;
}

/**
 * Re-seals every integration still on an older key, or still holding legacy values that are not
 * bound to their row, with the current (first) key, a row per statement; rows already done are not
 * touched, so an interrupted run can simply be run again. A row that does not open is counted as
 * failed (and named in the log) and the others go on.
 */
export async function rotateSecrets(
  repository: Pick<IntegrationsRepository, 'findNeedingReseal' | 'resealIfUnchanged'>,
  codec: ConfigCodec,
  box: SecretBox,
  log: (line: string) => void = () => undefined,
  batchSize = 100,
  options: { legacyOnly?: boolean } = {},
): Promise<RotationCounts> {
  const counts: RotationCounts = { scanned: 0, rotated: 0, skipped: 0, failed: 0 };
  let afterId = 0;
  for (;;) {
    const keyId = options.legacyOnly ? null : box.currentKeyId;
    const rows = await repository.findNeedingReseal(afterId, keyId, SEAL_VERSION, batchSize);
    if (rows.length === 0) break;
    for (const row of rows) {
      afterId = row.id;
      counts.scanned += 1;
      try {
        // only if nobody re-sealed or rewrote it meanwhile
        if (await repository.resealIfUnchanged(row, resealedRow(row, codec, box))) counts.rotated += 1;
        else counts.skipped += 1;
      } catch (err) {
        counts.failed += 1;
        log(`integration ${row.id}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (!options.legacyOnly) log(`… ${counts.scanned} scanned, ${counts.rotated} rotated`);
  }
  return counts;
}
