// Idempotent seed: `npm run db:seed` (the service also runs it at start after migrating).
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { CryptoModule } from '../src/common/crypto/crypto.module';
import { ConfigModule } from '../src/config/config.module';
import { loadAppConfig } from '../src/config/load-app-config';
import { DatabaseModule } from '../src/database/database.module';
import { HandlersModule } from '../src/handlers/handlers.module';
import { SeedModule } from '../src/seed/seed.module';
import { SeedService } from '../src/seed/seed.service';

async function main(): Promise<void> {
  const config = loadAppConfig();
  if (!config.databaseUrl)
    throw new Error('DATABASE_URL is required for db:seed (npm start seeds the embedded database itself)');
  const context = await NestFactory.createApplicationContext(
    { module: SeedModule, imports: [ConfigModule.forRoot(config), DatabaseModule, CryptoModule, HandlersModule] },
    { logger: false },
  );
  try {
    const done = await context.get(SeedService).run(config.nodeEnv);
    process.stdout.write(done.length ? `seeded: ${done.join(', ')}\n` : 'nothing to seed\n');
  } finally {
    await context.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`seed failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
