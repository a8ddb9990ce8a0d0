import { Injectable } from '@nestjs/common';
import { DEFAULT_PAIR_LIMIT, PairLimit, pairRecipient } from './domain/pair-rate';
import { WhatsAppPairLimitsRepository } from './whatsapp-pair-limits.repository';

const PRUNE_EVERY_MS = 10 * 60_000;

/**
 * Meta's pair rate limit (domain/pair-rate.ts): single sends and bulk sends take a pair slot before
 * they take a token of the number, so a user messaged too often waits alone (the rest of the number's
 * traffic goes on), and 131056 backs off only that pair.
 */
@Injectable()
export class WhatsAppPairLimiter {
  private lastPrune = 0;

  constructor(private readonly repository: WhatsAppPairLimitsRepository) {}

  /** 0 when a message to `recipient` may go now (the slot is taken), otherwise how long to wait. */
  async take(rateKey: string, recipient: string, limit: PairLimit = DEFAULT_PAIR_LIMIT): Promise<number> {
    const key = pairRecipient(recipient);
    if (key === '') return 0; // a business-scoped user id without a phone: Meta keys the pair itself
    this.maybePrune();
    const { granted, waitMs } = await this.repository.take(rateKey, key, limit);
    return granted ? 0 : waitMs;
  }

  /** Meta answered 131056 for this pair: it waits `backOffMs` and at least one interval. */
  async refused(
    rateKey: string,
    recipient: string,
    backOffMs: number,
    limit: PairLimit = DEFAULT_PAIR_LIMIT,
  ): Promise<void> {
    const key = pairRecipient(recipient);
    if (key === '') return;
    await this.repository.refused(rateKey, key, limit, backOffMs);
  }

  private maybePrune(): void {
    const now = Date.now();
    if (now - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = now;
    void this.repository.prune().catch(() => undefined);
  }
}
