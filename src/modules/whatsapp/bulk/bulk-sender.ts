import { Injectable } from '@nestjs/common';
import { RateLimitSpec, RateLimitToken } from '../../../common/rate-limit/pg-token-bucket';
import { OutboundHttpFactory } from '../../../common/outbound/outbound-http.factory';
import { HandlerContext } from '../../../handlers/integration-handler';
import {
  WhatsAppCloudHandler,
  WhatsAppTemplateComponent,
} from '../../../handlers/whatsapp-cloud/whatsapp-cloud.handler';
import { HandlerContextFactory } from '../../integrations/handler-context.factory';
import { IntegrationsRepository } from '../../integrations/integrations.repository';
import { LeadFields, prepareTemplateSend, StoredTemplate, TemplateParameters } from '../domain/template-send';
import { BulkRateLimiter, numberRateKey } from './bulk-rate';
import { BulkRepository, BulkRow, ClaimedRecipient } from './bulk.repository';

/** A Graph call without an answer by then has an unknown outcome (the recipient is marked `unknown`). */
export const SEND_TIMEOUT_MS = 10_000;

/** What every send of one bulk shares: the number's context and its shared rate. */
export interface BulkSendTarget {
  ctx: HandlerContext;
  phoneNumberId: string;
  rateKey: string;
  rate: RateLimitSpec;
}

/** One recipient's message, ready to go. */
export type PreparedSend =
  | { kind: 'text'; text: string; messageId: string | null }
  | {
      kind: 'template';
      name: string;
      language: string;
      components: WhatsAppTemplateComponent[];
      messageId: string | null;
    };

/**
 * The bulk runner's way out: the number's token bucket (lane `bulk`: single sends go first) and
 * the Graph call through the WhatsApp handler, with a client whose own budget never binds before the
 * shared bucket does (the handler's default of 600/min is per process and would cap a bulk at 10/s).
 */
@Injectable()
export class BulkSender {
  constructor(
    private readonly integrations: IntegrationsRepository,
    private readonly contexts: HandlerContextFactory,
    private readonly http: OutboundHttpFactory,
    private readonly handler: WhatsAppCloudHandler,
    private readonly rate: BulkRateLimiter,
    private readonly repo: BulkRepository,
  ) {}

  async target(bulk: BulkRow): Promise<BulkSendTarget | { problem: string }> {
    const integration = await this.integrations.findForProcessing(bulk.integrationId);
    if (!integration || integration.handler !== this.handler.key)
      return { problem: 'The WhatsApp integration is gone' };
    if (!integration.isActive || integration.status === 'disconnected')
      return { problem: 'The WhatsApp integration is not active' };
    const { ctx } = this.contexts.build(integration);
    const perSecond = this.handler.messagesPerSecond(ctx.config);
    const phoneNumberId = typeof ctx.config.phoneNumberId === 'string' ? ctx.config.phoneNumberId : '';
    // twice the number's rate: this client must never be the limit (the shared bucket is)
    const http = this.http.forKey(`whatsapp-send:${integration.id}`, {
      limit: perSecond * 2,
      windowMs: 1000,
      // below the runner's send lease (15 s): an answer never arrives after the row was given up
      timeoutMs: SEND_TIMEOUT_MS,
    });
    return {
      ctx: { ...ctx, http },
      phoneNumberId,
      rateKey: numberRateKey(phoneNumberId),
      // no reserve: single sends still go first (a waiting priority caller holds the bulk lane off the
      // next tokens), and a reserved token would cost the bulk 1/capacity of the number's rate
      rate: { capacity: perSecond, windowMs: 1000, bulkReserve: 0 },
    };
  }

  /** Resolves the template's parameters for this lead (placeholders); a problem fails only this recipient. */
  async prepare(
    bulk: BulkRow,
    _target: BulkSendTarget,
    r: ClaimedRecipient,
    _leaseId: string,
  ): Promise<PreparedSend | { problem: string }> {
    if (bulk.kind === 'text') return { kind: 'text', text: bulk.text ?? '', messageId: r.messageId };
    const stored = bulk.template as unknown as StoredTemplate | null;
    if (!stored) return { problem: 'The bulk has no template' };
    const params = (bulk.parameters ?? {}) as TemplateParameters;
    const needsLead = Object.values(params).some((v) => typeof v === 'string' && v.includes('{{'));
    const lead: LeadFields | undefined = needsLead ? await this.repo.leadFields(r.leadId) : undefined;
    const prepared = prepareTemplateSend(stored, params, lead);
    if (!prepared.ok)
      return {
        problem: `Template parameters invalid: ${prepared.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
      };
    return {
      kind: 'template',
      name: prepared.template.name,
      language: prepared.template.language.code,
      components: prepared.template.components ?? [],
      messageId: r.messageId,
    };
  }

  /**
   * A token of the number on the bulk lane, booked before its start time (`startAt`, this process's
   * clock): the ledger's request mark is written while the token's start comes near, so it does not
   * lengthen the token's hold (the rate the number achieves is capacity / (window + hold)).
   */
  async book(target: BulkSendTarget): Promise<{ token: RateLimitToken; startAt: number }> {
    const token = await this.rate.bucket.book(target.rateKey, target.rate, 'bulk');
    return { token, startAt: Date.now() + token.waitMs };
  }

  async release(token: RateLimitToken, used: boolean): Promise<void> {
    await this.rate.bucket.release(token, used);
  }

  async pauseNumber(target: BulkSendTarget, ms: number): Promise<void> {
    await this.rate.bucket.pause(target.rateKey, new Date(Date.now() + ms));
  }

  /** One Graph call (never retried here: a retry could reach the user twice); the wamid. */
  async send(target: BulkSendTarget, prepared: PreparedSend, r: ClaimedRecipient): Promise<string> {
    const to = r.phone ?? '';
    const result =
      prepared.kind === 'text'
        ? await this.handler.sendText(target.ctx, to, prepared.text)
        : await this.handler.sendTemplate(target.ctx, to, prepared.name, prepared.language, prepared.components);
    return result.messageId;
  }

  // The outbound message rows (issue 12 point 2) follow the ledger; wired in with the messages module.
  async markUnknown(_rows: readonly ClaimedRecipient[]): Promise<void> {}
  async messagesUnknown(_ids: readonly string[]): Promise<void> {}
  async messageAccepted(_target: BulkSendTarget, _id: string, _wamid: string): Promise<void> {}
  async messageFailed(
    _target: BulkSendTarget,
    _id: string,
    _error: { code: number | null; title: string; details: string | null },
  ): Promise<void> {}
}
