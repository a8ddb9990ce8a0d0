import { Injectable } from '@nestjs/common';
import { RateLimitSpec, RateLimitToken } from '../../../common/rate-limit/pg-token-bucket';
import { OutboundHttpFactory } from '../../../common/outbound/outbound-http.factory';
import { TransactionRunner } from '../../../database/transaction-runner';
import { HandlerContext } from '../../../handlers/integration-handler';
import { WhatsAppCloudHandler } from '../../../handlers/whatsapp-cloud/whatsapp-cloud.handler';
import { HandlerContextFactory } from '../../integrations/handler-context.factory';
import { IntegrationsRepository } from '../../integrations/integrations.repository';
import { isReauthorizationRequired, REAUTHORIZATION_MESSAGE } from '../../integrations/oauth-tokens.service';
import type { StoredSendError } from '../domain/send-errors';
import { LeadFields, prepareTemplateSend, StoredTemplate, TemplateParameters } from '../domain/template-send';
import { WhatsAppNumber, WhatsAppNumbersService } from '../whatsapp-numbers.service';
import { WhatsAppPairLimiter } from '../whatsapp-pair-limiter.service';
import { WhatsAppDeliveryService } from '../whatsapp-delivery.service';
import { OutboundInput, OutboundRequest, WhatsAppSendService } from '../whatsapp-send.service';
import { BulkRateLimiter, numberRateKey } from './bulk-rate';
import { BulkContactsRepository } from './bulk-contacts.repository';
import { BulkLedgerRepository, ClaimedRecipient } from './bulk-ledger.repository';
import type { BulkRow } from './bulk.repository';

/** A Graph call without an answer by then has an unknown outcome (the recipient is marked `unknown`). */
export const SEND_TIMEOUT_MS = 10_000;

/** What every send of one bulk shares: the number's context and its shared rate. */
export interface BulkSendTarget {
  ctx: HandlerContext;
  number: WhatsAppNumber;
  phoneNumberId: string;
  rateKey: string;
  rate: RateLimitSpec;
}

/** This runner's lease on the recipient was lost while its message was being written (rolled back). */
class LeaseLost extends Error {}

/** A recipient ready to send, or why not: a problem fails it; `lost`: the lease ended, nothing was written. */
export type PreparedRecipient = OutboundRequest | { problem: string } | { lost: true };

/**
 * The bulk runner's way out, through the single-send core (WhatsAppSendService, WhatsAppDeliveryService):
 * each recipient gets its outbound message row (lane `bulk`, our id sent as `biz_opaque_callback_data`, linked to the
 * ledger row in the same transaction), the Graph request is the one a single send makes, and Meta's
 * answer is written to the message as a single send's is (wamid and kept statuses, failure with its
 * code, 131050's opt-out, `unknown`). Rate: Meta's pair limit first, then the number's token bucket
 * (lane `bulk`: single sends go first), with a client whose own budget never binds before the shared
 * bucket does (the handler's default of 600/min is per process and would cap a bulk at 10/s).
 */
@Injectable()
export class BulkSender {
  constructor(
    private readonly integrations: IntegrationsRepository,
    private readonly contexts: HandlerContextFactory,
    private readonly http: OutboundHttpFactory,
    private readonly handler: WhatsAppCloudHandler,
    private readonly rate: BulkRateLimiter,
    private readonly ledger: BulkLedgerRepository,
    private readonly contacts: BulkContactsRepository,
    private readonly numbers: WhatsAppNumbersService,
    private readonly sends: WhatsAppSendService,
    private readonly deliveries: WhatsAppDeliveryService,
    private readonly pairs: WhatsAppPairLimiter,
    private readonly transactions: TransactionRunner,
  ) {}

  async target(bulk: BulkRow): Promise<BulkSendTarget | { problem: string }> {
    const integration = await this.integrations.findForProcessing(bulk.integrationId);
    if (!integration || integration.handler !== this.handler.key)
      return { problem: 'The WhatsApp integration is gone' };
    if (!integration.isActive || integration.status === 'disconnected')
      return { problem: 'The WhatsApp integration is not active' };
    // once per slice, not per recipient: an OAuth token due within the refresh margin is refreshed
    // here, and one that is refused or ran out stops the bulk instead of failing every recipient at Meta
    let built: Awaited<ReturnType<HandlerContextFactory['buildFresh']>>;
    try {
      built = await this.contexts.buildFresh(integration);
    } catch (err) {
      if (isReauthorizationRequired(err)) return { problem: REAUTHORIZATION_MESSAGE };
      throw err;
    }
    const { ctx } = built;
    const perSecond = this.handler.messagesPerSecond(ctx.config);
    const phoneNumberId = typeof ctx.config.phoneNumberId === 'string' ? ctx.config.phoneNumberId : '';
    // twice the number's rate, in this process only: the number's shared bucket is the limit, and a
    // shared budget here would add a database round trip inside every token's hold (lowering the rate)
    const http = this.http.forKey(`whatsapp-send:${integration.id}`, {
      limit: perSecond * 2,
      windowMs: 1000,
      scope: 'local',
      // below the runner's send lease (15 s): an answer never arrives after the row was given up
      timeoutMs: SEND_TIMEOUT_MS,
    });
    return {
      ctx: { ...ctx, http },
      number: this.numbers.numberOf(built.row, ctx.config),
      phoneNumberId,
      rateKey: numberRateKey(phoneNumberId),
      // no reserve: single sends still go first (a waiting priority caller holds the bulk lane off the
      // next tokens), and a reserved token would cost the bulk 1/capacity of the number's rate
      // booked up to 250 ms ahead (the default is 100): the ledger's request mark is written while the
      // token's start comes near, so the token starts on time and its hold is the Graph call alone
      rate: { capacity: perSecond, windowMs: 1000, bulkReserve: 0, horizonMs: 250 },
    };
  }

  /**
   * The outbound messages of a claimed batch: written (template parameters resolved per lead) and
   * linked to their ledger rows in one transaction, or the ones written on an earlier claim (a
   * retry). If that transaction fails (a lease lost, a conversation written concurrently), the rows
   * are prepared one by one, so one row's trouble never holds up the others. A row missing from the
   * answer could not be prepared now: it stays claimed and its lease hands it on.
   */
  async prepareBatch(
    bulk: BulkRow,
    target: BulkSendTarget,
    rows: readonly ClaimedRecipient[],
    leaseId: string,
  ): Promise<Map<bigint, PreparedRecipient>> {
    const out = new Map<bigint, PreparedRecipient>();
    const fresh: Array<{ r: ClaimedRecipient; input: OutboundInput }> = [];
    for (const r of rows) {
      if (r.messageId) {
        out.set(
          r.id,
          (await this.sends.outboundRequest(r.messageId)) ?? { problem: "The recipient's message is gone" },
        );
        continue;
      }
      const input = await this.input(bulk, target, r);
      if ('problem' in input) out.set(r.id, input);
      else fresh.push({ r, input });
    }
    // two transactions at once: the rows are written one after another inside each
    const half = Math.ceil(fresh.length / 2);
    await Promise.all([fresh.slice(0, half), fresh.slice(half)].map((part) => this.writeBatch(part, leaseId, out)));
    return out;
  }

  private async writeBatch(
    fresh: ReadonlyArray<{ r: ClaimedRecipient; input: OutboundInput }>,
    leaseId: string,
    out: Map<bigint, PreparedRecipient>,
  ): Promise<void> {
    if (fresh.length === 0) return;
    try {
      const made = await this.transactions.run(async () => {
        const list: Array<{ id: bigint; request: OutboundRequest }> = [];
        for (const { r, input } of fresh)
          list.push({ id: r.id, request: (await this.sends.createOutbound(input)).request });
        const linked = await this.ledger.setMessageIds(
          leaseId,
          list.map((x) => ({ id: x.id, messageId: x.request.messageId })),
        );
        if (linked !== list.length) throw new LeaseLost();
        return list;
      });
      for (const { id, request } of made) out.set(id, request);
    } catch {
      for (const { r, input } of fresh) {
        const one = await this.prepareOne(input, r, leaseId).catch(() => null);
        if (one) out.set(r.id, one);
      }
    }
  }

  /** One recipient's message and its link, in a transaction of its own; `lost` when the lease ended. */
  private async prepareOne(input: OutboundInput, r: ClaimedRecipient, leaseId: string): Promise<PreparedRecipient> {
    try {
      return await this.transactions.run(async () => {
        const created = await this.sends.createOutbound(input);
        if (!(await this.ledger.setMessageId(r.id, leaseId, created.messageId))) throw new LeaseLost();
        return created.request;
      });
    } catch (err) {
      if (err instanceof LeaseLost) return { lost: true };
      throw err;
    }
  }

  /** What the single-send core needs to write this recipient's message. */
  private async input(
    bulk: BulkRow,
    target: BulkSendTarget,
    r: ClaimedRecipient,
  ): Promise<OutboundInput | { problem: string }> {
    const input: OutboundInput = {
      number: target.number,
      phone: r.phone ?? '',
      leadId: r.leadId,
      lane: 'bulk',
      sentBy: bulk.createdBy,
      bulkJobId: bulk.id,
      bulkRecipientId: r.id,
    };
    if (bulk.kind === 'text') {
      input.text = bulk.text ?? '';
      return input;
    }
    const stored = bulk.template as unknown as StoredTemplate | null;
    if (!stored) return { problem: 'The bulk has no template' };
    const params = (bulk.parameters ?? {}) as TemplateParameters;
    const needsLead = Object.values(params).some((v) => typeof v === 'string' && v.includes('{{'));
    const lead: LeadFields | undefined = needsLead ? await this.contacts.leadFields(r.leadId) : undefined;
    const prepared = prepareTemplateSend(stored, params, lead);
    if (!prepared.ok)
      return {
        problem: `Template parameters invalid: ${prepared.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
      };
    input.template = {
      row: {
        id: bulk.templateId,
        name: stored.name,
        language: stored.language,
        category: bulk.templateCategory ?? 'MARKETING',
      },
      send: prepared.template,
      parameters: params,
    };
    return input;
  }

  /** Meta's pair limit for this recipient: 0 when the message may go now, else how long it waits. */
  pairWait(target: BulkSendTarget, request: OutboundRequest): Promise<number> {
    return this.pairs.take(target.rateKey, request.recipient);
  }

  /** 131056: this recipient's pair backs off, the number's other recipients go on. */
  async pausePair(target: BulkSendTarget, request: OutboundRequest, ms: number): Promise<void> {
    await this.pairs.refused(target.rateKey, request.recipient, ms);
  }

  /**
   * A token of the number on the bulk lane, booked before its start time (`startAt`, on performance.now()'s
   * clock): the ledger's request mark is written while the token's start comes near, so it does not
   * lengthen the token's hold (the rate the number achieves is capacity / (window + hold)).
   */
  async book(target: BulkSendTarget): Promise<{ token: RateLimitToken; startAt: number }> {
    const token = await this.rate.bucket.book(target.rateKey, target.rate, 'bulk');
    return { token, startAt: performance.now() + token.waitMs };
  }

  /** `endedAt`: the performance.now() of Meta's answer (see PgTokenBucket.release). */
  async release(token: RateLimitToken, used: boolean, endedAt?: number): Promise<void> {
    await this.rate.bucket.release(token, used, endedAt);
  }

  async pauseNumber(target: BulkSendTarget, ms: number): Promise<void> {
    await this.rate.bucket.pause(target.rateKey, new Date(Date.now() + ms));
  }

  /** One Graph call with the single-send request (never retried here: a retry could reach the user twice). */
  async send(target: BulkSendTarget, request: OutboundRequest): Promise<{ wamid: string; waId?: string }> {
    const result = await this.handler.sendMessage(target.ctx, request.body);
    return { wamid: result.messageId, waId: result.waId };
  }

  // ---- the message rows follow the ledger (the same writes a single send makes)

  async markUnknown(rows: readonly ClaimedRecipient[]): Promise<void> {
    await this.messagesUnknown(rows.flatMap((r) => (r.messageId ? [r.messageId] : [])));
  }

  async messagesUnknown(ids: readonly string[]): Promise<void> {
    for (const id of ids) await this.deliveries.markUnknown(id);
  }

  async messageAccepted(messageId: string, wamid: string, waId?: string): Promise<void> {
    await this.deliveries.markAccepted(messageId, wamid, waId);
  }

  async messageFailed(messageId: string, error: StoredSendError, optOut?: 'marketing'): Promise<void> {
    await this.deliveries.markFailed(messageId, error, optOut);
  }

  async messageSkipped(messageId: string, reason: string): Promise<void> {
    await this.deliveries.markSkipped(messageId, reason);
  }
}
