import type { PrismaClient } from '../generated/prisma/client';

/**
 * Idempotent seed, run at start after migrations (and by `npm run db:seed`).
 * In development an empty database gets one demo sub-account so a new user can try the API at once.
 */
export async function seed(prisma: PrismaClient, env: { nodeEnv: string }): Promise<string[]> {
  const done: string[] = [];
  if (env.nodeEnv === 'development' && (await prisma.subAccount.count()) === 0) {
    await prisma.subAccount.create({ data: { name: 'Demo sub-account', tier: 'PRO', defaultRegion: 'US' } });
    done.push('demo sub-account');
  }
  return done;
}
