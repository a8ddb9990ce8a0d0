import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Clock, CLOCK, systemClock } from '../../../common/clock';
import { OutboundError } from '../../../common/outbound/http-client';
import { APP_CONFIG, AppConfig } from '../../../config/app-config';
import { JobHandler } from '../../../jobs/job-definition';
import { JobsService } from '../../../jobs/jobs.service';
import { TransactionRunner } from '../../../database/transaction-runner';
import { MessagesRepository } from '../messages.repository';
import { WhatsAppTemplatesResync } from '../whatsapp-templates-resync';
import { classifyGraphError, classifyTransportFailure, isTemplateUnusable } from '../domain/send-errors';
import { BulkPolicy } from './bulk-policy';
import { BulkLedgerRepository, ClaimedRecipient } from './bulk-ledger.repository';
import { BulkRepository, BulkRow } from './bulk.repository';
import { BulkSender, BulkSendTarget, PreparedRecipient } from './bulk-sender';
import { resolveFailure, SendResolution, SkipReason } from './bulk-states';

/** Recipients one claim takes (per runner); small enough that a killed runner strands few for long. */
const CLAIM_BATCH = 60;
/** Sends one runner has in flight at once (each waits for its own token of the number's bucket). */
const CONCURRENCY = 32;
/** A claim's lease: longer than a batch takes at the number's rate, short enough to resume soon after a crash. */
const CLAIM_LEASE_MS = 10_000;
/** From the committed request mark to the answer: beyond the send client's timeout (BulkSender, 10 s). */
const SEND_LEASE_MS = 15_000;
const LANE_LEASE_MS = 15_000;
/** Longest one job works before handing over to its continuation (graceful shutdowns stay short). */
const MAX_SLICE_MS = 50_000;

/**
 * Works bulk jobs: each `whatsapp-bulk-run` job takes one of the bulk's lanes (at most `lanes`
 * runners at once, across every worker process), claims recipients under a lease, sends each at
 * the number's shared rate, and hands over to a continuation job after a slice. The ledger, not the
 * job, is the truth: a runner killed at any point leaves rows that another claims again (not yet
 * requested) or marks `unknown` (requested, answer lost); nothing is sent twice.
 */
@Injectable()
export class BulkRunner {
  private readonly logger = new Logger(BulkRunner.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repo: BulkRepository,
    private readonly ledger: BulkLedgerRepository,
    private readonly sender: BulkSender,
    private readonly policy: BulkPolicy,
    private readonly jobs: JobsService,
    private readonly transactions: TransactionRunner,
    private readonly messages: MessagesRepository,
    private readonly resync: WhatsAppTemplatesResync,
    @Optional() @Inject(CLOCK) private readonly clock: Clock = systemClock,
  ) {}

  /** Enqueues one job per lane (creation, resume); extra ones find no free lane and end at once. */
  async kick(bulk: Pick<BulkRow, 'id' | 'lanes' | 'scheduledAt'>): Promise<void> {
    const startAfter = bulk.scheduledAt && bulk.scheduledAt.getTime() > this.clock.now() ? bulk.scheduledAt : undefined;
    for (let i = 0; i < bulk.lanes; i++)
      await this.jobs.send('whatsapp-bulk-run', { bulkId: bulk.id }, startAfter ? { startAfter } : {});
  }

  @JobHandler('whatsapp-bulk-run')
  async run({ bulkId }: { bulkId: bigint }): Promise<void> {
    await this.repo.start(bulkId);
    const bulk = await this.repo.findForRun(bulkId);
    if (!bulk) return;
    if (bulk.status === 'queued' && bulk.scheduledAt) {
      // scheduled later than this job (its time was moved): come back then
      await this.jobs.send('whatsapp-bulk-run', { bulkId }, { startAfter: bulk.scheduledAt });
      return;
    }
    if (bulk.status !== 'running') return;
    const owner = randomUUID();
    const lane = await this.ledger.takeLane(bulkId, owner, LANE_LEASE_MS);
    if (lane === null) return; // every lane has a live runner
    let next: Date | null;
    try {
      next = await this.slice(bulk, owner);
    } finally {
      await this.ledger.releaseLane(bulkId, owner);
    }
    if (next)
      await this.jobs.send(
        'whatsapp-bulk-run',
        { bulkId },
        next.getTime() > this.clock.now() ? { startAfter: next } : {},
      );
  }

  /** Works until the slice ends; returns when the continuation should run, or null when none is needed. */
  private async slice(bulk: BulkRow, owner: string): Promise<Date | null> {
    const leaseSeconds = this.config.jobs.leaseSeconds;
    const budget = Math.min(MAX_SLICE_MS, leaseSeconds ? Math.max(1000, (leaseSeconds * 1000) / 2) : MAX_SLICE_MS);
    const deadline = this.clock.now() + budget;
    const target = await this.sender.target(bulk);
    if ('problem' in target) {
      await this.fail(bulk.id, target.problem);
      return null;
    }
    // a pool of sends fed by claims; the next batch is claimed and its message rows written while
    // this one's sends are in flight (writing a batch's rows takes about as long as sending it)
    const pool = new SendPool(CONCURRENCY);
    let ahead: Promise<ReadyBatch> | null = null;
    try {
      while (this.clock.now() < deadline && !pool.stopped) {
        await this.ledger.renewLane(bulk.id, owner, LANE_LEASE_MS);
        const batch = await (ahead ?? this.nextBatch(bulk, target));
        ahead = null;
        if (batch.claimed === 0) {
          await pool.drain(); // what is in flight may still be retried or finish the bulk
          const work = await this.ledger.nextWork(bulk.id);
          if (work.status !== 'running') return null;
          if (work.open === 0) {
            await this.repo.complete(bulk.id);
            return null;
          }
          const wait = (work.nextAt?.getTime() ?? this.clock.now() + 1000) - this.clock.now();
          if (this.clock.now() + wait >= deadline) return new Date(this.clock.now() + Math.max(0, wait));
          await this.clock.sleep(Math.min(1000, Math.max(50, wait)));
          continue;
        }
        if (this.clock.now() < deadline) ahead = this.nextBatch(bulk, target);
        const unsent: bigint[] = [];
        for (const { r, prepared } of batch.ready) {
          await pool.room();
          if (pool.stopped) unsent.push(r.id);
          else pool.run(() => this.sendOne(bulk, target, r, batch.leaseId, prepared));
        }
        await this.ledger.unclaim(unsent, batch.leaseId);
      }
    } finally {
      await pool.drain();
      // a batch claimed ahead and not sent goes back at once (its message rows stay for the next claim)
      const left = ahead ? await ahead.catch(() => null) : null;
      if (left)
        await this.ledger.unclaim(
          left.ready.map((x) => x.r.id),
          left.leaseId,
        );
    }
    return pool.stopped ? null : new Date(this.clock.now());
  }

  /**
   * A claimed batch made ready to send: lost answers marked unknown, recipients opted out or out of
   * their window meanwhile skipped, the others' message rows written (BulkSender.prepareBatch).
   */
  private async nextBatch(bulk: BulkRow, target: BulkSendTarget): Promise<ReadyBatch> {
    const leaseId = randomUUID();
    const claimed = await this.ledger.claim(bulk.id, leaseId, CLAIM_BATCH, CLAIM_LEASE_MS);
    if (claimed.length === 0) return { leaseId, claimed: 0, ready: [] };
    const lost = claimed.filter((r) => r.state === 'unknown');
    if (lost.length > 0) await this.sender.markUnknown(lost);
    const live = claimed.filter((r) => r.state === 'claimed');
    const blocked = await this.policy.blockedNow(bulk, live);
    for (const [id, reason] of blocked) {
      await this.ledger.finish(id, leaseId, 'skipped', { skipReason: reason });
      const messageId = live.find((row) => row.id === id)?.messageId;
      if (messageId) await this.sender.messageSkipped(messageId, skipCode(reason));
    }
    const toSend = live.filter((row) => !blocked.has(row.id));
    const prepared = await this.sender.prepareBatch(bulk, target, toSend, leaseId);
    const ready: ReadyBatch['ready'] = [];
    for (const r of toSend) {
      const p = prepared.get(r.id);
      if (p) ready.push({ r, prepared: p }); // else it could not be prepared now: the lease hands it on
    }
    return { leaseId, claimed: claimed.length, ready };
  }

  /**
   * One recipient: its message row, a pair slot, a token of the number, the request mark, the call,
   * the outcome. True: stop the bulk.
   */
  private async sendOne(
    bulk: BulkRow,
    target: BulkSendTarget,
    r: ClaimedRecipient,
    leaseId: string,
    prepared: PreparedRecipient,
  ): Promise<boolean> {
    if ('lost' in prepared) return false; // the lease ended: whoever claims the row next decides it
    if ('problem' in prepared) {
      await this.ledger.finish(r.id, leaseId, 'failed', { code: null, title: prepared.problem, details: null });
      if (r.messageId)
        await this.sender.messageFailed(r.messageId, { code: null, title: prepared.problem, details: null });
      return false;
    }
    // Meta's pair limit (131056) before the number's token: this recipient waits, the others go on
    const pairWait = await this.sender.pairWait(target, prepared);
    if (pairWait > 0) {
      await this.ledger.retry(r.id, leaseId, pairWait, false, {
        code: null,
        title: 'Waiting for the pair rate limit',
        details: null,
      });
      return false;
    }
    const { token, startAt } = await this.sender.book(target);
    let marked = false;
    try {
      marked = await this.ledger.markRequest(r.id, leaseId, SEND_LEASE_MS);
    } finally {
      if (!marked) await this.sender.release(token, false);
    }
    if (!marked) {
      // paused, cancelled or the lease was lost: someone else decides this row now
      await this.ledger.unclaim([r.id], leaseId);
      return false;
    }
    // never before the token's start; the mark above usually took that long already
    const early = startAt - performance.now();
    if (early > 0) await this.clock.sleep(early);
    let resolution: SendResolution;
    let waId: string | undefined;
    let endedAt: number | undefined; // when Meta answered: the token's window runs from there, not from the writes after
    try {
      const sent = await this.sender.send(target, prepared).finally(() => (endedAt = performance.now()));
      waId = sent.waId;
      resolution = { kind: 'accepted', wamid: sent.wamid };
    } catch (err) {
      resolution = this.resolve(err, r.attempts + 1);
      if (resolution.kind === 'retry' && resolution.pauseNumberMs)
        await this.sender.pauseNumber(target, resolution.pauseNumberMs);
      if (resolution.kind === 'retry' && resolution.pausePairMs)
        await this.sender.pausePair(target, prepared, resolution.pausePairMs);
    } finally {
      await this.sender.release(token, true, endedAt);
    }
    return this.record(bulk, r, leaseId, resolution, prepared.messageId, waId);
  }

  private resolve(err: unknown, attempts: number): SendResolution {
    if (err instanceof OutboundError) {
      if (err.kind === 'timeout' || err.kind === 'network' || err.kind === 'circuit_open') {
        return resolveFailure(classifyTransportFailure(err.kind, attempts - 1), attempts);
      }
      return resolveFailure(
        classifyGraphError({ status: err.status, body: err.body, retryAfterMs: err.retryAfterMs }, attempts - 1),
        attempts,
      );
    }
    this.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'bulk send failed unexpectedly');
    // we cannot tell whether the request left: never resend it silently
    return { kind: 'unknown', title: 'The send failed unexpectedly; its outcome is unknown' };
  }

  private async record(
    bulk: BulkRow,
    r: ClaimedRecipient,
    leaseId: string,
    resolution: SendResolution,
    messageId: string,
    waId: string | undefined,
  ): Promise<boolean> {
    switch (resolution.kind) {
      case 'accepted':
        await this.ledger.accepted(r.id, leaseId, resolution.wamid);
        // after the ledger: statuses kept for the wamid are applied to the message and move the row on
        await this.sender.messageAccepted(messageId, resolution.wamid, waId);
        return false;
      case 'retry':
        await this.ledger.retry(r.id, leaseId, resolution.afterMs, resolution.countsAsAttempt, {
          code: null,
          title: 'Waiting to retry',
          details: null,
        });
        return false;
      case 'unknown':
        await this.ledger.finish(r.id, leaseId, 'unknown', { title: resolution.title });
        await this.sender.messagesUnknown([messageId]);
        return false;
      case 'failed': {
        await this.ledger.finish(r.id, leaseId, 'failed', resolution);
        // 131050 adds the opt-out here, exactly as a single send's failure does
        await this.sender.messageFailed(
          messageId,
          { code: resolution.code, title: resolution.title, details: resolution.details },
          resolution.optOut,
        );
        const stop = resolution.stopsBulk === true || this.stopsBulk(resolution.code);
        if (stop) await this.fail(bulk.id, `${resolution.title}${resolution.code ? ` (code ${resolution.code})` : ''}`);
        // as a single send's refusal: the template's row follows Meta's list, and the next bulk with it is 422
        // (one waiting re-sync per integration, however many recipients Meta refuses)
        if (isTemplateUnusable(resolution.code)) await this.resync.request(bulk.integrationId);
        return stop;
      }
    }
  }

  /**
   * The bulk stops for good: as a cancel does, the recipients not yet requested are skipped and the
   * messages already written for them fail, with the status in one transaction (else they stayed
   * pending and `queued` for ever). Requests already out finish and are counted.
   */
  private async fail(bulkId: bigint, error: string): Promise<void> {
    await this.transactions.run(async () => {
      if (!(await this.repo.fail(bulkId, error))) return;
      const written = await this.repo.skipUnsent(bulkId, 'bulkFailed');
      await this.messages.failUnsent(written, {
        title: 'bulk_failed',
        details: `Not sent: the bulk send stopped first (${error})`,
      });
    });
  }

  /** Errors about the template or the sender, not the recipient: every further send would fail the same way. */
  private stopsBulk(code: number | null): boolean {
    if (code === null) return false;
    return code === 190 || (code >= 200 && code <= 299) || isTemplateUnusable(code);
  }
}

interface ReadyBatch {
  leaseId: string;
  claimed: number;
  ready: Array<{ r: ClaimedRecipient; prepared: PreparedRecipient }>;
}

/** The single-send rule's code a message row skipped by the bulk's re-check carries as its title. */
function skipCode(reason: SkipReason): string {
  switch (reason) {
    case 'optedOut':
      return 'RECIPIENT_OPTED_OUT';
    case 'windowClosed':
      return 'WINDOW_CLOSED';
    case 'noPhone':
      return 'LEAD_HAS_NO_PHONE';
    default:
      return reason;
  }
}

/** At most `size` sends at once; `stopped` once one of them says the bulk must stop. */
class SendPool {
  private readonly running = new Set<Promise<void>>();
  stopped = false;

  constructor(private readonly size: number) {}

  async room(): Promise<void> {
    while (this.running.size >= this.size) await Promise.race(this.running);
  }

  run(send: () => Promise<boolean>): void {
    const p: Promise<void> = send().then(
      (stop) => {
        if (stop) this.stopped = true;
      },
      () => undefined, // a send that threw left its row claimed: the lease hands it on (as unknown if it was requested)
    );
    const tracked = p.finally(() => this.running.delete(tracked));
    this.running.add(tracked);
  }

  async drain(): Promise<void> {
    await Promise.all(this.running);
  }
}
