import type { HandlerContext, IntegrationConfig, IntegrationHandler } from '../../handlers/integration-handler';
import type { MessagingSendResult } from '../../handlers/shared/meta-messaging-send';

/** A handler that sends Messenger Platform texts (Facebook Messenger, Instagram Direct). */
export interface ChannelSender {
  humanAgentAllowed(config: IntegrationConfig): boolean;
  /** The page's or account's shared Send API bucket. */
  sendRateKey(config: IntegrationConfig): string;
  sendText(
    ctx: HandlerContext,
    to: string,
    text: string,
    options?: { tag?: 'HUMAN_AGENT'; replyToMid?: string },
  ): Promise<MessagingSendResult>;
}

export function sendsChannelText(handler: IntegrationHandler): handler is IntegrationHandler & ChannelSender {
  const candidate = handler as Partial<ChannelSender>;
  return (
    typeof candidate.sendText === 'function' &&
    typeof candidate.humanAgentAllowed === 'function' &&
    typeof candidate.sendRateKey === 'function'
  );
}
