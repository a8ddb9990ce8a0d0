import { defineConfig } from 'prisma/config';

// Only `generate` goes through the Prisma CLI; migrations run on the WebAssembly engine
// (scripts/db/prisma-wasm-migrate.mjs) because the CLI's engine binary cannot be downloaded here.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost/unused' },
});
