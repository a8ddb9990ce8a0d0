import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Client, Notification } from 'pg';
import { DbPool } from './db-pool';

/** What a channel's subscriber is told. */
export interface ChannelListener {
  /** A notification's payload (a NOTIFY, or pg_notify, committed by some session). */
  notify(payload: string): void;
  /** Notifications may have been missed (the session was lost, or has just come back): forget everything. */
  reset(): void;
}

const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 10_000;

/**
 * The process's one LISTEN session, shared by every channel, on the connection DbPool keeps for it.
 * PostgreSQL sends a notification only to sessions listening when it is delivered, and a session's
 * registrations end with it (https://www.postgresql.org/docs/current/sql-listen.html and
 * sql-notify.html): whatever was sent while the session was down is lost. So a lost session resets
 * every subscriber, and so does its return (changes made before LISTEN took effect were missed
 * too); it reconnects with a capped exponential backoff meanwhile, and never fails the process.
 */
@Injectable()
export class PgNotifications implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PgNotifications.name);
  private readonly channels = new Map<string, ChannelListener[]>();
  private client: Client | null = null;
  private retry: NodeJS.Timeout | null = null;
  private failures = 0;
  private closed = false;

  constructor(private readonly dbPool: DbPool) {}

  /** Subscribes before the application has bootstrapped (from a constructor): LISTEN starts then. */
  on(channel: string, listener: ChannelListener): void {
    this.channels.set(channel, [...(this.channels.get(channel) ?? []), listener]);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.channels.size === 0) return;
    if (!this.dbPool.listens)
      this.logger.warn(
        'DB_POOL_SIZE leaves no connection to LISTEN on: changes made by other processes wait for the TTL',
      );
    else await this.connect();
  }

  // with the pools, after every module is destroyed; no timer survives it
  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  /** Opens the session and listens; on failure schedules the next attempt. Never rejects. */
  private async connect(): Promise<void> {
    const client = this.dbPool.listenConnection();
    if (!client || this.closed) return;
    // set before connecting: an error or an end at any point after this is handled once, by lost()
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client));
    client.on('notification', (message) => this.deliver(message));
    this.client = client;
    try {
      await client.connect();
      for (const channel of this.channels.keys()) await client.query(`LISTEN ${client.escapeIdentifier(channel)}`);
    } catch (err) {
      this.lost(client, err);
      return;
    }
    if (this.client !== client) return; // lost, or closed, while it was connecting
    if (this.failures > 0) this.logger.log('listening for changes again');
    this.failures = 0;
    this.resetAll();
  }

  private deliver(message: Notification): void {
    for (const listener of this.channels.get(message.channel) ?? []) listener.notify(message.payload ?? '');
  }

  private lost(client: Client, err?: unknown): void {
    if (this.client !== client) return; // already handled, or our own end at shutdown
    this.client = null;
    client.end().catch(() => undefined);
    this.resetAll();
    if (this.closed) return;
    const delay = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** this.failures) * (0.5 + Math.random() / 2);
    this.failures += 1;
    const reason = err instanceof Error ? err.message : 'connection ended';
    this.logger.warn(`LISTEN session lost (${reason}); caches dropped, reconnecting in ${Math.round(delay)} ms`);
    this.retry = setTimeout(() => {
      this.retry = null;
      void this.connect();
    }, delay);
    // the retry never keeps a process alive that has nothing else to do
    this.retry.unref();
  }

  private resetAll(): void {
    for (const listeners of this.channels.values()) for (const listener of listeners) listener.reset();
  }
}
