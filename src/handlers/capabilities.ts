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
