import type { OutboundResponse } from '../../common/outbound/http-client';
import type { HandlerContext } from '../integration-handler';
import { asId, asRecords, asString, configString, isRecord } from '../shared/json';
import { graphRequest } from '../shared/meta-graph';
import { BSUID_PATTERN } from './whatsapp-cloud.payload';
import { toSendError, WhatsAppSendError } from './whatsapp-send-error';

export interface WhatsAppSendResult {
  /** The wamid that later status webhooks refer to. */
  messageId: string;
}

/** One Graph call of the WhatsApp handler, with the integration's own token and app secret. */
export interface WhatsAppGraphCall {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  retry?: boolean;
}

/** Every Graph call carries appsecret_proof: the app secret is always configured here (issue 10 point 6). */
export function whatsAppCall(ctx: HandlerContext, req: WhatsAppGraphCall): Promise<OutboundResponse> {
  return graphRequest(ctx, {
    method: req.method,
    path: req.path,
    query: req.query,
    body: req.body,
    retry: req.retry,
    accessToken: configString(ctx.config, 'accessToken'),
    appSecret: configString(ctx.config, 'appSecret'),
  });
}

/** POST /<phone number id>/messages once: a retried send could reach the user twice. */
export async function postMessage(
  ctx: HandlerContext,
  body: Record<string, unknown>,
): Promise<WhatsAppSendResult & { waId?: string }> {
  let res: OutboundResponse;
  try {
    res = await whatsAppCall(ctx, {
      method: 'POST',
      path: `${configString(ctx.config, 'phoneNumberId')}/messages`,
      body,
      retry: false,
    });
  } catch (err) {
    throw toSendError(err);
  }
  const messageId = isRecord(res.body) ? asString(asRecords(res.body.messages)[0]?.id) : undefined;
  const waId = isRecord(res.body) ? asId(asRecords(res.body.contacts)[0]?.wa_id) : undefined;
  if (!messageId)
    throw new WhatsAppSendError(
      'server',
      `WhatsApp accepted the send without a message id (HTTP ${res.status})`,
      undefined,
      false,
      undefined,
      res.status,
      res.body,
    );
  return { messageId, ...(waId ? { waId } : {}) };
}

/**
 * The recipient field of a send: `to` for a phone number or wa_id, `recipient` for a BSUID (a
 * username-only user has no number to send to). The BSUID page describes sending by BSUID; the
 * `recipient` field name is UNCONFIRMED from it (read from integrations following it).
 */
export function recipientOf(to: string): { to: string } | { recipient: string } {
  return BSUID_PATTERN.test(to) ? { recipient: to } : { to };
}
