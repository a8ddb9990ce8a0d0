import type { PrismaClient } from '../generated/prisma/client';

/** What the seed needs to know of a handler to create its standard template. */
export interface SeedHandler {
  key: string;
  displayName: string;
  category: string;
  defaultConfigSchema: object;
}

/**
 * Idempotent seed, run at start after migrations (and by `npm run db:seed`): one standard template
 * per registered handler, created when missing and never overwritten (super-admins may edit them).
 * In development an empty database also gets one demo sub-account so a new user can try the API.
 */
export async function seed(
  prisma: PrismaClient,
  env: { nodeEnv: string },
  handlers: readonly SeedHandler[],
): Promise<string[]> {
  const done: string[] = [];
  for (const handler of handlers) {
    const created = await prisma.integrationTemplate.createMany({
      data: [
        {
          name: handler.key,
          displayName: handler.displayName,
          category: handler.category,
          handler: handler.key,
          configSchema: handler.defaultConfigSchema,
          description: `Standard ${handler.displayName} integration`,
        },
      ],
      skipDuplicates: true,
    });
    if (created.count > 0) done.push(`template ${handler.key}`);
  }
  if (env.nodeEnv === 'development' && (await prisma.subAccount.count()) === 0) {
    await prisma.subAccount.create({ data: { name: 'Demo sub-account', tier: 'PRO', defaultRegion: 'US' } });
    done.push('demo sub-account');
  }
  return done;
}
