import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const MIGRATE_SCRIPT = resolve(__dirname, '..', '..', 'scripts', 'db', 'prisma-wasm-migrate.mjs');

/**
 * Applies pending migrations (= `prisma migrate deploy`) through the WebAssembly schema engine,
 * in a child process so the engine's memory is returned when it is done.
 */
export async function runMigrations(databaseUrl: string): Promise<string> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [MIGRATE_SCRIPT, 'deploy'], {
      cwd: resolve(__dirname, '..', '..'),
      env: { ...process.env, DATABASE_URL: databaseUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolveRun(out.trim()) : reject(new Error(`migrations failed: ${out.trim()}`)),
    );
  });
}
