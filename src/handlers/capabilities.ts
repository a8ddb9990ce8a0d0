/**
 * Provider extras beyond the handler contract, as capability interfaces with type guards: a module
 * asks "can this handler send a message / show calendars / take a contact?" instead of checking
 * `instanceof` a provider's class, so another provider offering the same gains the feature by
 * implementing the interface in its own folder.
 */
import type { HandlerContext, IntegrationHandler } from './integration-handler';

/** A message accepted by the provider, by the id its later status webhooks refer to. */
export interface SentMessage {
  messageId: string;
}

/** Sends a free-form text to a person (WhatsApp wa_id or BSUID, Messenger PSID, Instagram IGSID). */
export interface MessageSender {
  sendText(ctx: HandlerContext, to: string, body: string): Promise<SentMessage>;
}

export interface Calendar {
  id: string;
  name: string;
  description?: string;
  calendarType?: string;
  groupId?: string;
  isActive?: boolean;
}

/** The free slots of one day (YYYY-MM-DD). */
export interface DaySlots {
  date: string;
  slots: string[];
}

export interface BlockedSlot {
  id: string;
  calendarId?: string;
  title?: string;
  startTime?: string;
  endTime?: string;
}

/** Booking screens: calendars, their free slots, and blocking a slot. Throws RangeError for a bad range. */
export interface CalendarProvider {
  listCalendars(ctx: HandlerContext): Promise<Calendar[]>;
  freeSlots(
    ctx: HandlerContext,
    calendarId: string,
    startDate: string | number,
    endDate: string | number,
    timezone?: string,
  ): Promise<DaySlots[]>;
  blockSlot(
    ctx: HandlerContext,
    calendarId: string,
    slot: { startTime: string; endTime: string; title: string },
  ): Promise<BlockedSlot>;
}

/** A lead as a CRM contact. */
export interface ContactInput {
  firstName?: string;
  lastName?: string;
  name?: string;
  email?: string;
  phone?: string;
  companyName?: string;
  tags?: string[];
  source?: string;
}

/** Creates or updates a contact in the provider (matched by the provider's own duplicate rules). */
export interface ContactPusher {
  upsertContact(ctx: HandlerContext, contact: ContactInput): Promise<{ contactId: string; created: boolean }>;
}

/**
 * The WhatsApp Business Platform's messaging and template management (Cloud API today; an on-premises
 * or BSP-hosted API offering the same calls would implement this in its own folder): one send of a
 * prepared message body, and the WABA's message templates.
 */
export interface WhatsAppBusinessMessaging {
  sendMessage(ctx: HandlerContext, body: Record<string, unknown>): Promise<SentMessage & { waId?: string }>;
  listTemplates(
    ctx: HandlerContext,
    after?: string,
    limit?: number,
  ): Promise<{ data: Record<string, unknown>[]; after?: string }>;
  createTemplate(
    ctx: HandlerContext,
    request: Record<string, unknown>,
  ): Promise<{ id: string; status: string; category?: string }>;
  deleteTemplate(ctx: HandlerContext, name: string, templateId?: string): Promise<void>;
  /** The number's configured send rate (messages per second). */
  messagesPerSecond(config: Record<string, unknown>): number;
}

/**
 * A handler whose integrations receive webhooks because the app their token belongs to is subscribed
 * to a WhatsApp Business Account (meta.oauth.ts subscribes it while connecting): Meta delivers them
 * until the app is unsubscribed, whether or not any integration still receives them.
 */
export interface WabaWebhookSubscriber {
  /** The (non-secret) config field naming the integration's WhatsApp Business Account. */
  readonly wabaField: string;
  /**
   * Unsubscribes the app from that account's webhooks with the integration's token, once (no
   * retries). False without a call when the config holds no token to call with; throws when Meta
   * refuses, does not answer or does not confirm.
   */
  unsubscribeApp(ctx: HandlerContext): Promise<boolean>;
}

function hasMethods(handler: IntegrationHandler, ...names: string[]): boolean {
  const record = handler as unknown as Record<string, unknown>;
  return names.every((name) => typeof record[name] === 'function');
}

export function isMessageSender(handler: IntegrationHandler): handler is IntegrationHandler & MessageSender {
  return handler.capabilities.includes('send') && hasMethods(handler, 'sendText');
}

export function isCalendarProvider(handler: IntegrationHandler): handler is IntegrationHandler & CalendarProvider {
  return hasMethods(handler, 'listCalendars', 'freeSlots', 'blockSlot');
}

export function isContactPusher(handler: IntegrationHandler): handler is IntegrationHandler & ContactPusher {
  return hasMethods(handler, 'upsertContact');
}

export function isWhatsAppBusinessMessaging(
  handler: IntegrationHandler,
): handler is IntegrationHandler & WhatsAppBusinessMessaging {
  return hasMethods(handler, 'sendMessage', 'listTemplates', 'createTemplate', 'deleteTemplate', 'messagesPerSecond');
}

export function isWabaWebhookSubscriber(
  handler: IntegrationHandler,
): handler is IntegrationHandler & WabaWebhookSubscriber {
  return typeof (handler as { wabaField?: unknown }).wabaField === 'string' && hasMethods(handler, 'unsubscribeApp');
}
