// Re-encrypts every stored secret with the first key of ENCRYPTION_KEYS, bound to its row and field:
// npm run secrets:rotate. Safe to re-run after an interruption: rows already done are skipped.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { CryptoModule } from '../src/common/crypto/crypto.module';
import { SecretBox } from '../src/common/crypto/secret-box';
import { ConfigModule } from '../src/config/config.module';
import { loadAppConfig } from '../src/config/load-app-config';
import { DatabaseModule } from '../src/database/database.module';
import { ConfigCodec } from '../src/modules/integration-templates/config-codec';
import { ConfigSchemaService } from '../src/modules/integration-templates/config-schema.service';
import { IntegrationsRepository } from '../src/modules/integrations/integrations.repository';
import { rotateSecrets } from '../src/modules/integrations/secret-rotation';

async function main(): Promise<void> {
  const config = loadAppConfig();
  if (!config.databaseUrl) throw new Error('DATABASE_URL is required');
  // the providers the rotation needs, as the application builds them (no HTTP, no job queue)
  const context = await NestFactory.createApplicationContext(
    {
      module: DatabaseModule,
      imports: [ConfigModule.forRoot(config), CryptoModule],
      providers: [IntegrationsRepository, ConfigSchemaService, ConfigCodec],
    },
    { logger: false },
  );
  try {
    const box = context.get(SecretBox);
    const counts = await rotateSecrets(context.get(IntegrationsRepository), context.get(ConfigCodec), box, (line) =>
      process.stdout.write(`${line}\n`),
    );
    process.stdout.write(`rotated to key "${box.currentKeyId}": ${JSON.stringify(counts)}\n`);
    if (counts.failed > 0) process.exitCode = 1;
  } finally {
    await context.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`secrets:rotate failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
