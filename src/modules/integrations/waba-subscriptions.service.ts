import { Injectable, Logger } from '@nestjs/common';
import { failureFields } from '../../common/outbound/http-client';
import { isWabaWebhookSubscriber } from '../../handlers/capabilities';
import { HandlerRegistry } from '../../handlers/handler-registry';
import { isRecord } from '../../handlers/shared/json';
import { HandlerContextFactory } from './handler-context.factory';
import type { Integration } from './integration';
import { IntegrationsRepository } from './integrations.repository';

/** What is left to do once a disconnect is committed. */
export type AfterDisconnect = () => Promise<void>;

const NOTHING: AfterDisconnect = () => Promise.resolve();

/**
 * The app an integration's token belongs to stays subscribed to its WhatsApp Business Account's webhooks
 * until someone unsubscribes it, and Meta keeps delivering (and retrying for days) the messages of a
 * number nobody receives any more. A disconnect of an integration the hub connected through OAuth (and
 * so subscribed) unsubscribes it, best effort, while no other live
 * integration (not disconnected, any sub-account) uses the account: the subscription is the app's for
 * the whole account, so theirs would end too. Nothing here ever fails or stops the disconnect.
 */
@Injectable()
export class WabaSubscriptionsService {
  private readonly logger = new Logger('WabaSubscriptions');

  constructor(
    private readonly registry: HandlerRegistry,
    private readonly contexts: HandlerContextFactory,
    private readonly repository: IntegrationsRepository,
  ) {}

  /**
   * Before `row`'s tokens are erased (the call is made with them): unsubscribes now when no other live
   * integration uses its account. When one does, the answer checks once more after the disconnect is
   * committed: two integrations of one account disconnected at once each see the other live here, and
   * the later of the two then sees the other gone (it calls with the token read here, in memory; a
   * revocation comes after it).
   */
  async beforeDisconnect(row: Integration): Promise<AfterDisconnect> {
    const wabaId = this.wabaOf(row);
    if (wabaId === undefined) return NOTHING;
    try {
      if (!(await this.inUse(row, wabaId))) {
        await this.unsubscribe(row, wabaId);
        return NOTHING;
      }
    } catch (err) {
      this.failed(row, wabaId, err);
      return NOTHING;
    }
    return async () => {
      try {
        if (await this.inUse(row, wabaId))
          this.logger.log(
            { integrationId: row.id, wabaId },
            "app kept subscribed to the WhatsApp Business Account's webhooks: another live integration uses it",
          );
        else await this.unsubscribe(row, wabaId);
      } catch (err) {
        this.failed(row, wabaId, err);
      }
    };
  }

  /** The account of a WABA-subscribed handler's integration that still has its tokens. */
  private wabaOf(row: Integration): string | undefined {
    // already disconnected: its tokens are gone, and its account was seen to when they were erased
    if (row.status === 'disconnected') return undefined;
    // only what the hub did itself is undone: it subscribes the app when it connects an integration
    // through OAuth (meta.oauth.ts), and such a reconnect subscribes it again. A pasted token belongs to
    // the customer's own app, which they subscribed; unsubscribing it here would silence the number
    // after they re-activate the integration by pasting a token again (nothing would subscribe it)
    if (row.oauthProvider === null || row.oauthTokens === null) return undefined;
    const handler = this.registry.get(row.handler);
    if (!handler || !isWabaWebhookSubscriber(handler)) return undefined;
    // not a secret: stored as given
    const wabaId = isRecord(row.config) ? row.config[handler.wabaField] : undefined;
    return typeof wabaId === 'string' && wabaId !== '' ? wabaId : undefined;
  }

  private inUse(row: Integration, wabaId: string): Promise<boolean> {
    const fields = this.registry
      .list()
      .filter(isWabaWebhookSubscriber)
      .map((handler) => ({ handler: handler.key, field: handler.wabaField }));
    return this.repository.configValueInUse(row.id, fields, wabaId);
  }

  private async unsubscribe(row: Integration, wabaId: string): Promise<void> {
    // no refresh first: Meta's tokens are not refreshed, and a disconnect must not mark anything
    const { handler, ctx } = this.contexts.build(row);
    if (!isWabaWebhookSubscriber(handler)) return;
    const called = await handler.unsubscribeApp(ctx);
    this.logger.log(
      { integrationId: row.id, wabaId },
      called
        ? "app unsubscribed from the WhatsApp Business Account's webhooks"
        : "app not unsubscribed from the WhatsApp Business Account's webhooks: no token to call with",
    );
  }

  /** The error's class, kind and status only: neither tokens nor Meta's answer (which may echo them) reach the log. */
  private failed(row: Integration, wabaId: string, err: unknown): void {
    this.logger.warn(
      { integrationId: row.id, wabaId, ...failureFields(err) },
      "app not unsubscribed from the WhatsApp Business Account's webhooks; the disconnect goes on",
    );
  }
}
