import { Injectable } from '@nestjs/common';
import { DomainException } from '../../common/errors/domain.exception';
import { ErrorCode } from '../../common/errors/error-code';
import type { HandlerContext } from '../../handlers/integration-handler';
import { asNumber, asString } from '../../handlers/shared/json';
import { isWhatsAppBusinessMessaging, type WhatsAppBusinessMessaging } from '../../handlers/capabilities';
import { DEFAULT_MESSAGES_PER_SECOND } from '../../handlers/whatsapp-cloud/whatsapp-cloud.config';
import { HandlerContextFactory } from '../integrations/handler-context.factory';
import type { IntegrationRow } from '../integrations/integrations.repository';
import { OAuthTokensService } from '../integrations/oauth-tokens.service';
import { WhatsAppNumbersRepository } from './whatsapp-numbers.repository';

/** One business number: the integration behind it and what sends need to know of its config. */
export interface WhatsAppNumber {
  integrationId: number;
  subAccountId: number;
  phoneNumberId: string;
  wabaId: string;
  messagesPerSecond: number;
  /** The number's shared token bucket (PgTokenBucket) key. */
  rateKey: string;
  optOutKeywords: string[] | null;
  optInKeywords: string[] | null;
  active: boolean;
}

/** The shared rate-limit key of a business number: every process and both lanes take its tokens. */
export function whatsAppRateKey(phoneNumberId: string): string {
  return `whatsapp:number:${phoneNumberId}`;
}

function strings(value: unknown): string[] | null {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : null;
}

/** Resolves a sub-account's WhatsApp number and builds the handler context to call Meta with. */
@Injectable()
export class WhatsAppNumbersService {
  constructor(
    private readonly repository: WhatsAppNumbersRepository,
    private readonly contexts: HandlerContextFactory,
    private readonly oauth: OAuthTokensService,
  ) {}

  /**
   * The integration a request names, or the sub-account's only active one when it names none.
   * 404 when the sub-account has no such WhatsApp integration; 409 INTEGRATION_NOT_ACTIVE when it is not active.
   * An active one connected through OAuth must have a usable token (refreshed ahead of expiry, no
   * database call while it is not due): 409 REAUTHORIZATION_REQUIRED before anything is queued otherwise.
   */
  async resolve(subAccountId: number, integrationId?: number, requireActive = true): Promise<WhatsAppNumber> {
    const rows = await this.repository.listForSubAccount(subAccountId);
    let row: IntegrationRow | undefined;
    if (integrationId !== undefined) {
      row = rows.find((r) => r.id === integrationId);
      if (!row) throw DomainException.notFound('WhatsApp integration');
    } else {
      const active = rows.filter((r) => r.isActive && r.status === 'active');
      if (active.length === 1) row = active[0];
      else if (active.length === 0 && rows.length === 0) throw DomainException.notFound('WhatsApp integration');
      else if (active.length === 0)
        throw new DomainException(
          ErrorCode.INTEGRATION_NOT_ACTIVE,
          'The sub-account has no active WhatsApp integration',
        );
      else
        throw DomainException.validation(
          'The sub-account has several active WhatsApp integrations: give integrationId',
          [{ field: 'integrationId', message: 'required when the sub-account has several WhatsApp integrations' }],
        );
    }
    // first: a number stopped by a refused or expired grant answers what to do about it (reconnect)
    if (requireActive) await this.oauth.fresh(row);
    const number = this.numberOf(row);
    if (requireActive && !number.active)
      throw new DomainException(ErrorCode.INTEGRATION_NOT_ACTIVE, 'The WhatsApp integration is not active');
    return number;
  }

  /**
   * For workers: the number and a handler context of an integration, or null when it is gone. The
   * context carries a usable OAuth token (an OAuth-connected number's token refreshed ahead of expiry);
   * throws REAUTHORIZATION_REQUIRED when there is none, so nothing is sent with a token Meta refuses.
   */
  async forWorker(
    integrationId: number,
  ): Promise<{ number: WhatsAppNumber; handler: WhatsAppBusinessMessaging; ctx: HandlerContext } | null> {
    const found = await this.repository.find(integrationId);
    if (!found) return null;
    const { handler, ctx, row } = await this.contexts.buildFresh(found);
    if (!isWhatsAppBusinessMessaging(handler)) return null;
    return { number: this.numberOf(row, ctx.config), handler, ctx };
  }

  activeIntegrationIds(): Promise<number[]> {
    return this.repository.activeIds();
  }

  numberOf(row: IntegrationRow, opened?: Record<string, unknown>): WhatsAppNumber {
    // phoneNumberId, wabaId and the keyword lists are never sealed: the stored config holds them as given
    const config = opened ?? (row.config as Record<string, unknown>);
    const phoneNumberId = asString(config.phoneNumberId) ?? '';
    const mps = asNumber(config.messagesPerSecond);
    return {
      integrationId: row.id,
      subAccountId: row.subAccountId,
      phoneNumberId,
      wabaId: asString(config.wabaId) ?? '',
      messagesPerSecond:
        mps !== undefined && Number.isInteger(mps) && mps >= 1 && mps <= 1000 ? mps : DEFAULT_MESSAGES_PER_SECOND,
      rateKey: whatsAppRateKey(phoneNumberId),
      optOutKeywords: strings(config.optOutKeywords),
      optInKeywords: strings(config.optInKeywords),
      active: row.isActive && row.status === 'active',
    };
  }
}
