// The OpenAPI document the CRM generates its client from, checked in as openapi.json:
//   npm run openapi:write   regenerates openapi.json from the application's routes and DTOs
//   npm run openapi:check   fails (exit 1) when the document the application serves differs from it
// No database is needed: the application is built as main.ts builds it but never initialised
// (nothing connects), and the document is read from the route that serves it (/api/docs-json).
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { buildApp } from '../src/app.factory';
import {
  clashingSchemaNames,
  controllersOf,
  routeModels,
  undeclaredResponses,
  undocumentedOperations,
} from '../src/common/http/openapi-contract';
import { parseAppConfig } from '../src/config/app-config';

export const OPENAPI_FILE = resolve(__dirname, '..', 'openapi.json');

/** The served document, as a client fetching /api/docs-json gets it, and the schema names two DTO classes claim. */
export async function servedDocument(): Promise<{ document: unknown; clashes: string[] }> {
  const config = parseAppConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    APP_ROLE: 'api',
    // never connected to: the application is not initialised
    DATABASE_URL: 'postgresql://openapi@127.0.0.1:1/openapi',
    JWT_SECRET: 'openapi-document-only-0123456789abcdef',
    ENCRYPTION_KEYS: `k1:${Buffer.alloc(32).toString('base64')}`,
    MIGRATE_ON_START: 'false',
  });
  const app = await buildApp(config);
  try {
    const res = await app.getHttpAdapter().getInstance().inject({ method: 'GET', url: '/api/docs-json' });
    if (res.statusCode !== 200) throw new Error(`GET /api/docs-json answered ${res.statusCode}`);
    const clashes = clashingSchemaNames(routeModels(controllersOf(app)));
    return { document: JSON.parse(res.body) as unknown, clashes };
  } finally {
    await app.close();
  }
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Where two documents differ, coarsely: the paths and schemas added, removed or changed. */
function differences(stored: unknown, served: unknown): string[] {
  const section = (doc: unknown, ...keys: string[]): Json => {
    let node = doc;
    for (const key of keys) node = isObject(node) ? node[key] : undefined;
    return isObject(node) ? node : {};
  };
  const out: string[] = [];
  for (const keys of [['paths'], ['components', 'schemas']]) {
    const a = section(stored, ...keys);
    const b = section(served, ...keys);
    for (const name of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (!(name in a)) out.push(`+ ${name}`);
      else if (!(name in b)) out.push(`- ${name}`);
      else if (!isDeepStrictEqual(a[name], b[name])) out.push(`~ ${name}`);
    }
  }
  return out;
}

export function serialise(document: unknown): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

async function main(mode: string | undefined): Promise<number> {
  const { document, clashes } = await servedDocument();
  if (clashes.length > 0) {
    process.stderr.write(`schema names used by two DTO classes (rename one): ${clashes.join(', ')}\n`);
    return 1;
  }
  const undeclared = undeclaredResponses(document);
  if (undeclared.length > 0) {
    process.stderr.write(`routes without a response DTO:\n  ${undeclared.join('\n  ')}\n`);
    return 1;
  }
  const undocumented = undocumentedOperations(document);
  if (undocumented.length > 0) {
    process.stderr.write(
      `operations without a summary or an error answer (@ApiOperation, @ApiErrors):\n  ${undocumented.join('\n  ')}\n`,
    );
    return 1;
  }
  if (mode === 'write') {
    writeFileSync(OPENAPI_FILE, serialise(document));
    process.stdout.write(`wrote ${OPENAPI_FILE}\n`);
    return 0;
  }
  if (mode === 'check') {
    let stored: unknown;
    try {
      stored = JSON.parse(readFileSync(OPENAPI_FILE, 'utf8')) as unknown;
    } catch (err) {
      process.stderr.write(`openapi.json cannot be read: ${err instanceof Error ? err.message : String(err)}\n`);
      return 1;
    }
    if (!isDeepStrictEqual(stored, document)) {
      process.stderr.write(
        `openapi.json differs from the document the application serves (${differences(stored, document).join(', ') || 'order or metadata'}): run \`npm run openapi:write\` and commit it\n`,
      );
      return 1;
    }
    process.stdout.write('openapi.json matches the served document\n');
    return 0;
  }
  process.stderr.write('usage: openapi.ts write|check\n');
  return 2;
}

if (require.main === module) {
  main(process.argv[2]).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
