import 'reflect-metadata';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from './app.factory';
import { AppConfig, ConfigError } from './config/app-config';
import { loadAppConfig } from './config/load-app-config';
import { EmbeddedPostgres } from './database/embedded-postgres';
import { runMigrations } from './database/migrate';
import { SeedService } from './seed/seed.service';

function log(message: string, extra: Record<string, unknown> = {}): void {
  process.stdout.write(
    `${JSON.stringify({ level: 30, time: Date.now(), context: 'Bootstrap', msg: message, ...extra })}\n`,
  );
}

function loadConfig(): AppConfig {
  try {
    return loadAppConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`Configuration error: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

/** Stops accepting connections and waits for the requests in flight (no-op when not listening). */
async function stopHttp(app: NestFastifyApplication): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  if (!fastify.server.listening) return;
  await fastify.close();
}

async function main(): Promise<void> {
  let config = loadConfig();
  let embedded: EmbeddedPostgres | undefined;
  if (!config.databaseUrl) {
    embedded = new EmbeddedPostgres({
      dataDir: config.embeddedPg.dir,
      port: config.embeddedPg.port,
      database: 'integration_hub',
    });
    const started = embedded;
    // if the process dies some other way than a clean shutdown, the database still goes with it
    process.once('exit', () => started.killNow());
    await embedded.start();
    config = { ...config, databaseUrl: embedded.url };
    log('embedded PostgreSQL started', { dataDir: config.embeddedPg.dir, port: config.embeddedPg.port });
  }
  const stopDatabase = async (): Promise<void> => embedded?.stop();
  try {
    if (config.migrateOnStart || embedded) log(await runMigrations(config.databaseUrl ?? ''));
    const app = await createApp(config);
    if (config.migrateOnStart || embedded) {
      const seeded = await app.get(SeedService).run(config.nodeEnv);
      if (seeded.length) log('seeded', { seeded });
    }

    let stopping = false;
    const shutdown = (signal: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      log('shutting down', { signal });
      const force = setTimeout(() => {
        log('shutdown timed out; forcing exit');
        void stopDatabase().finally(() => process.exit(1));
      }, config.shutdownTimeoutMs);
      force.unref();
      // The order matters: (1) HTTP stops accepting and answers what it has in flight, while the
      // pools are open; (2) app.close(): job workers stop claiming and their running jobs finish
      // (JobsService, within SHUTDOWN_TIMEOUT_MS); (3) only then the pools close (onApplicationShutdown).
      void stopHttp(app)
        .then(() => app.close())
        .then(stopDatabase)
        .then(
          () => process.exit(0),
          (err: unknown) => {
            process.stderr.write(`shutdown failed: ${String(err)}\n`);
            void stopDatabase().finally(() => process.exit(1));
          },
        );
    };
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);

    if (config.role === 'worker') {
      log('worker started', { role: config.role });
    } else {
      await app.listen({ port: config.port, host: config.host });
      log('listening', { url: `http://${config.host}:${config.port}/api`, role: config.role, docs: `/api/docs` });
    }
  } catch (err) {
    await stopDatabase();
    throw err;
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`Startup failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
