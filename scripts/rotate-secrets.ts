// Re-encrypts every stored secret with the first key of ENCRYPTION_KEYS, bound to its row and field:
// npm run secrets:rotate. Safe to re-run after an interruption: rows already done are skipped.
import { SecretBox } from '../src/common/crypto/secret-box';
import { loadAppConfig } from '../src/config/load-app-config';
import { PrismaService } from '../src/database/prisma.service';
import { ConfigCodec } from '../src/modules/integration-templates/config-codec';
import { ConfigSchemaService } from '../src/modules/integration-templates/config-schema.service';
import { IntegrationsRepository } from '../src/modules/integrations/integrations.repository';
import { rotateSecrets } from '../src/modules/integrations/secret-rotation';

async function main(): Promise<void> {
  const config = loadAppConfig();
  if (!config.databaseUrl) throw new Error('DATABASE_URL is required');
  const box = new SecretBox(config.encryptionKeys);
  const prisma = new PrismaService(config);
  try {
    const counts = await rotateSecrets(
      new IntegrationsRepository(prisma),
      new ConfigCodec(box, new ConfigSchemaService()),
      box,
      (line) => process.stdout.write(`${line}\n`),
    );
    process.stdout.write(`rotated to key "${box.currentKeyId}": ${JSON.stringify(counts)}\n`);
    if (counts.failed > 0) process.exitCode = 1;
  } finally {
    await prisma.$disconnect();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`secrets:rotate failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
