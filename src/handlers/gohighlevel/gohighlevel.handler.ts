import { Injectable } from '@nestjs/common';
import { OutboundError } from '../../common/outbound/http-client';
import type {
  Capability,
  ConfigProblem,
  JsonSchemaObject,
  SyncPage,
  TestResult,
  WebhookOutcome,
} from '../handler-types';
import {
  HandlerContext,
  IntegrationConfig,
  IntegrationHandler,
  PermanentEventError,
  StoredEvent,
  WebhookSpec,
} from '../integration-handler';
import { isRecord, optionalConfigString } from '../shared/json';
import {
  GhlApi,
  GhlBlockedSlot,
  GhlCalendar,
  GhlContactInput,
  GhlDaySlots,
  GhlSearchPage,
  GhlSearchPosition,
} from './ghl-api';
import {
  appointmentToBooking,
  contactToLead,
  ghlEventExternalId,
  ghlEventType,
  ghlLocationId,
  messageToInteraction,
  opportunityStatusChange,
} from './ghl-payloads';
import { GhlKeyType, parseGhlPublicKey, verifyGhlDelivery } from './ghl-signature';

/** The search endpoint's largest page. */
export const GHL_SYNC_PAGE_LIMIT = 100;
/** GoHighLevel refuses free-slot ranges longer than 31 days. */
const MAX_SLOT_RANGE_MS = 31 * 24 * 60 * 60_000;

export const GOHIGHLEVEL_CONFIG_SCHEMA: JsonSchemaObject = {
  type: 'object',
  title: 'GoHighLevel',
  description: 'A GoHighLevel sub-account (location) connected with a Private Integration token.',
  properties: {
    locationId: {
      type: 'string',
      title: 'Location ID',
      description: 'The sub-account (location) id; webhooks are routed to this integration by it.',
      minLength: 1,
      maxLength: 100,
    },
    privateIntegrationToken: {
      type: 'string',
      title: 'Private Integration token',
      description: 'Token of a Private Integration of the location (Settings → Private Integrations).',
      minLength: 1,
      'x-secret': true,
    },
    calendarId: {
      type: 'string',
      title: 'Calendar ID',
      description: 'Default calendar for booking screens (optional).',
      minLength: 1,
      maxLength: 100,
    },
    webhookPublicKey: {
      type: 'string',
      title: 'Webhook RSA public key (x-wh-signature)',
      description:
        "PEM public key for x-wh-signature. Leave empty to use GoHighLevel's published key; set it after a key rotation.",
      minLength: 1,
      maxLength: 4096,
    },
    webhookEd25519PublicKey: {
      type: 'string',
      title: 'Webhook Ed25519 public key (x-ghl-signature)',
      description:
        'PEM Ed25519 public key from the Webhook Integration Guide; when set, x-ghl-signature is checked instead of x-wh-signature.',
      minLength: 1,
      maxLength: 1024,
    },
  },
  required: ['locationId', 'privateIntegrationToken'],
  additionalProperties: false,
};

/** ISO-8601 or epoch milliseconds (number or digits) → epoch milliseconds. */
export function toEpochMs(value: string | number, name: string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
  } else if (/^\d+$/.test(value.trim())) {
    return Number(value.trim());
  } else {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) return ms;
  }
  throw new RangeError(`${name} must be an ISO-8601 date or epoch milliseconds`);
}

/** Sync cursor: `{"searchAfter": [...]}` (the search endpoint's keyset) or `{"page": n}` (its page mode). */
function parseCursor(cursor: string | null): GhlSearchPosition {
  if (cursor === null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(cursor);
  } catch {
    parsed = undefined;
  }
  if (isRecord(parsed) && Array.isArray(parsed.searchAfter) && parsed.searchAfter.length > 0)
    return { searchAfter: parsed.searchAfter };
  if (isRecord(parsed) && typeof parsed.page === 'number' && Number.isInteger(parsed.page) && parsed.page > 1)
    return { page: parsed.page };
  throw new Error('invalid GoHighLevel sync cursor');
}

/**
 * Prefers the keyset (`searchAfter` of the last contact: unlimited depth, stable while contacts
 * change); falls back to `meta.nextPage` when an answer carries no keyset (page mode stops at
 * 10,000 records). A short page ends the run.
 */
function nextCursor(page: GhlSearchPage): string | null {
  if (page.contacts.length < GHL_SYNC_PAGE_LIMIT) return null;
  const last = page.contacts[page.contacts.length - 1];
  if (Array.isArray(last.searchAfter) && last.searchAfter.length > 0)
    return JSON.stringify({ searchAfter: last.searchAfter });
  if (page.nextPage !== undefined && page.nextPage > 1) return JSON.stringify({ page: page.nextPage });
  return null;
}

function connectionFailure(err: unknown): TestResult {
  if (!(err instanceof OutboundError)) throw err;
  if (err.kind === 'auth')
    return { success: false, code: 'INVALID_CREDENTIALS', message: `GoHighLevel rejected the token: ${err.message}` };
  return { success: false, code: 'CONNECTION_FAILED', message: err.message };
}

@Injectable()
export class GoHighLevelHandler implements IntegrationHandler {
  readonly key = 'gohighlevel';
  readonly displayName = 'GoHighLevel';
  readonly category = 'CRM';
  readonly capabilities: readonly Capability[] = ['webhook', 'sync', 'test'];
  readonly defaultConfigSchema = GOHIGHLEVEL_CONFIG_SCHEMA;
  readonly defaultRateLimitPerMinute = 600;
  /** GoHighLevel's burst limit: 100 requests per 10 s per location (configure the client with it). */
  readonly rateLimit = { limit: 100, windowMs: 10_000 } as const;

  readonly webhook: WebhookSpec = {
    routing: 'provider',
    routingKeys: (payload) => {
      const locationId = ghlLocationId(payload);
      return locationId === undefined ? [] : [locationId];
    },
    routingKeyOf: (config) => optionalConfigString(config, 'locationId'),
    selectForRoutingKey: (payload) => payload,
    verify: (req, keys) => verifyGhlDelivery(req, keys.config),
    extractEvents: (payload) => [
      { externalId: ghlEventExternalId(payload), eventType: ghlEventType(payload), payload },
    ],
  };

  validateConfig(config: IntegrationConfig): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    const keys: Array<[string, GhlKeyType]> = [
      ['webhookPublicKey', 'rsa'],
      ['webhookEd25519PublicKey', 'ed25519'],
    ];
    for (const [field, type] of keys) {
      const pem = optionalConfigString(config, field);
      const parsed = pem === undefined ? undefined : parseGhlPublicKey(pem, type);
      if (typeof parsed === 'string') problems.push({ pointer: `/${field}`, message: `${field} ${parsed}` });
    }
    return problems;
  }

  async testConnection(ctx: HandlerContext): Promise<TestResult> {
    try {
      // a token scoped to another location is refused by GoHighLevel (401/403); the id is checked too
      const location = await GhlApi.fromContext(ctx).getLocation();
      const locationId = optionalConfigString(ctx.config, 'locationId');
      if (location.id !== locationId) {
        return {
          success: false,
          code: 'INVALID_CREDENTIALS',
          message: `The token does not reach location ${locationId ?? '(none)'}`,
        };
      }
      return { success: true, message: `Connected to location ${location.name ?? location.id}` };
    } catch (err) {
      return connectionFailure(err);
    }
  }

  async processWebhook(event: StoredEvent, _ctx: HandlerContext): Promise<WebhookOutcome> {
    const payload = event.payload;
    if (!isRecord(payload)) throw new PermanentEventError('GoHighLevel event payload is not an object');
    switch (event.eventType) {
      case 'ContactCreate':
      case 'ContactUpdate': {
        const lead = contactToLead(payload);
        if (!lead) throw new PermanentEventError(`${event.eventType} has no contact id`);
        return { leads: [lead] };
      }
      case 'AppointmentCreate': {
        const booking = appointmentToBooking(payload);
        if (!booking) throw new PermanentEventError('AppointmentCreate has no appointment id or contactId');
        return { leads: [], bookings: [booking] };
      }
      case 'OpportunityStatusUpdate': {
        const result = opportunityStatusChange(payload);
        return 'change' in result
          ? { leads: [], statusChanges: [result.change] }
          : { leads: [], ignoredReason: result.ignoredReason };
      }
      case 'InboundMessage':
      case 'OutboundMessage': {
        const interaction = messageToInteraction(
          payload,
          event.eventType === 'InboundMessage' ? 'inbound' : 'outbound',
        );
        if (!interaction) throw new PermanentEventError(`${event.eventType} has no contactId`);
        return { leads: [], interactions: [interaction] };
      }
      default:
        return { leads: [], ignoredReason: `event type ${event.eventType} is not applied` };
    }
  }

  async syncData(ctx: HandlerContext, cursor: string | null): Promise<SyncPage> {
    const page = await GhlApi.fromContext(ctx).searchContacts(GHL_SYNC_PAGE_LIMIT, parseCursor(cursor));
    const leads = page.contacts.map(contactToLead).filter((lead) => lead !== undefined);
    if (leads.length < page.contacts.length)
      ctx.logger.warn({ skipped: page.contacts.length - leads.length }, 'GoHighLevel contacts without an id skipped');
    const next = nextCursor(page);
    if (next === null && page.contacts.length === GHL_SYNC_PAGE_LIMIT) {
      ctx.logger.warn(
        { total: page.total },
        'GoHighLevel search gave a full page with neither searchAfter nor meta.nextPage; sync stopped',
      );
    }
    return { leads, fetched: page.contacts.length, nextCursor: next };
  }

  // Passthrough for the CRM's booking screens (API.md "GoHighLevel passthrough"); OutboundError propagates.

  listCalendars(ctx: HandlerContext): Promise<GhlCalendar[]> {
    return GhlApi.fromContext(ctx).listCalendars();
  }

  freeSlots(
    ctx: HandlerContext,
    calendarId: string,
    startDate: string | number,
    endDate: string | number,
    timezone?: string,
  ): Promise<GhlDaySlots[]> {
    const start = toEpochMs(startDate, 'startDate');
    const end = toEpochMs(endDate, 'endDate');
    if (end < start) throw new RangeError('endDate is before startDate');
    if (end - start > MAX_SLOT_RANGE_MS) throw new RangeError('the free-slots range cannot exceed 31 days');
    return GhlApi.fromContext(ctx).freeSlots(calendarId, start, end, timezone);
  }

  blockSlot(
    ctx: HandlerContext,
    calendarId: string,
    slot: { startTime: string; endTime: string; title: string },
  ): Promise<GhlBlockedSlot> {
    return GhlApi.fromContext(ctx).blockSlot(calendarId, slot);
  }

  upsertContact(ctx: HandlerContext, lead: GhlContactInput): Promise<{ contactId: string; created: boolean }> {
    return GhlApi.fromContext(ctx).upsertContact(lead);
  }
}
