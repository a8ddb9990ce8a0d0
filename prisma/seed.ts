// Idempotent seed: `npm run db:seed` (the service also runs it at start after migrating).
import { PrismaPg } from '@prisma/adapter-pg';
import { loadAppConfig } from '../src/config/load-app-config';
import { seed } from '../src/database/seed';
import { ALL_HANDLERS } from '../src/handlers/all-handlers';
import { PrismaClient } from '../src/generated/prisma/client';

async function main(): Promise<void> {
  const config = loadAppConfig();
  if (!config.databaseUrl)
    throw new Error('DATABASE_URL is required for db:seed (npm start seeds the embedded database itself)');
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: config.databaseUrl }) });
  try {
    const done = await seed(
      prisma,
      config,
      ALL_HANDLERS.map((Handler) => new Handler()),
    );
    process.stdout.write(done.length ? `seeded: ${done.join(', ')}\n` : 'nothing to seed\n');
  } finally {
    await prisma.$disconnect();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`seed failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
