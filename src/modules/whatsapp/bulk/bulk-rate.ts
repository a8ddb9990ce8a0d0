import { Injectable } from '@nestjs/common';
import type { QueryResultRow } from 'pg';
import { sleepAtLeast } from '../../../common/clock';
import { PgTokenBucket } from '../../../common/rate-limit/pg-token-bucket';
import { Db } from '../../../database/db';

/**
 * The key of a WhatsApp number's shared token bucket (capacity messagesPerSecond, window 1 s): the
 * same for single sends (lane `priority`) and bulk sends (lane `bulk`) in every process.
 */
export function numberRateKey(phoneNumberId: string): string {
  return `whatsapp:number:${phoneNumberId}`;
}

/** Waits that never hold the process open on their own (a closing app's last poll), as systemClock's. */
function unrefSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return sleepAtLeast(ms, { signal });
}

/** The process's PgTokenBucket on its database pool (the state itself is in PostgreSQL), never inside a caller's transaction. */
@Injectable()
export class BulkRateLimiter {
  readonly bucket: PgTokenBucket;

  constructor(db: Db) {
    this.bucket = new PgTokenBucket(
      {
        query: async <R extends QueryResultRow>(text: string, values?: unknown[]) => ({
          rows: await db.sqlAlone<R>({ text }, values ?? []),
        }),
      },
      { sleep: unrefSleep },
    );
  }
}
