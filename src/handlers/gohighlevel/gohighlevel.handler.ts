import { Injectable } from '@nestjs/common';
import { SYNC_INTERVAL_PROPERTY } from '../shared/sync-interval';
import { OutboundError } from '../../common/outbound/http-client';
import type {
  Capability,
  ConfigProblem,
  JsonSchemaObject,
  LeadPipelineStageChange,
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
import { GhlApi, GhlBlockedSlot, GhlCalendar, GhlContactInput, GhlDaySlots } from './ghl-api';
import {
  appointmentToBooking,
  contactToLead,
  firstInstant,
  ghlEventExternalId,
  ghlEventType,
  ghlLocationId,
  messageToInteraction,
  opportunityStageChange,
  opportunityStatusChange,
} from './ghl-payloads';
import { GhlKeyType, parseGhlPublicKey, verifyGhlDelivery } from './ghl-signature';
import { syncGhlContacts } from './ghl-sync';
import type { HandlerOAuth } from '../oauth/oauth-provider';
import { GOHIGHLEVEL_SETUP } from './setup-instructions';

export { GHL_SYNC_PAGE_LIMIT } from './ghl-sync';

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
      'x-oauth': true,
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
      title: 'Webhook RSA public key (x-wh-signature, legacy)',
      description:
        "PEM public key for the legacy x-wh-signature. Leave empty to use GoHighLevel's published key; set it after a key rotation.",
      minLength: 1,
      maxLength: 4096,
    },
    webhookEd25519PublicKey: {
      type: 'string',
      title: 'Webhook Ed25519 public key (x-ghl-signature)',
      description:
        "PEM Ed25519 public key for x-ghl-signature, GoHighLevel's current header. Leave empty to use GoHighLevel's published key; set it after a key rotation.",
      minLength: 1,
      maxLength: 1024,
    },
    ...SYNC_INTERVAL_PROPERTY,
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

/**
 * The event types processWebhook applies (docs/webhook events/ of GoHighLevel's highlevel-api-docs).
 * Not ContactDndUpdate ("Called whenever a contact's dnd field is updated",
 * marketplace.gohighlevel.com/docs/webhook/ContactDndUpdate: the contact plus `dnd` and per-channel
 * `dndSettings`): a lead has no do-not-disturb field, and the opt-outs of API.md are the WhatsApp and
 * Messenger channels' own (sources keyword, user_preferences, error_131050, manual), not GoHighLevel's
 * channels. It is answered `ignored`; its copy of the contact's other fields is not applied either
 * (ContactCreate/ContactUpdate and the periodic sync keep them).
 */
const APPLIED_EVENT_TYPES: ReadonlySet<string> = new Set([
  'ContactCreate',
  'ContactUpdate',
  'ContactTagUpdate',
  'ContactDelete',
  'AppointmentCreate',
  'AppointmentUpdate',
  'AppointmentDelete',
  'OpportunityStatusUpdate',
  'OpportunityStageUpdate',
  'InboundMessage',
  'OutboundMessage',
]);

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
  readonly setupInstructions = GOHIGHLEVEL_SETUP;
  readonly category = 'CRM';
  readonly capabilities: readonly Capability[] = ['webhook', 'sync', 'test'];
  readonly defaultConfigSchema = GOHIGHLEVEL_CONFIG_SCHEMA;
  readonly defaultRateLimitPerMinute = 600;
  /** GoHighLevel's burst limit: 100 requests per 10 s per location (configure the client with it). */
  readonly rateLimit = { limit: 100, windowMs: 10_000 } as const;
  /**
   * A Marketplace app installed on the location: its location access token replaces the Private
   * Integration token (both are bearer tokens to the same API). Scopes as the calls need them
   * (marketplace.gohighlevel.com/docs/Authorization/Scopes).
   */
  readonly oauth: HandlerOAuth = {
    provider: 'gohighlevel',
    scopes: [
      'contacts.readonly',
      'contacts.write',
      'calendars.readonly',
      'calendars/events.readonly',
      'calendars/events.write',
      'opportunities.readonly',
      'locations.readonly',
    ],
    tokenField: 'privateIntegrationToken',
    locationIdField: 'locationId',
  };

  readonly webhook: WebhookSpec = {
    routing: 'provider',
    routingKeys: (payload) => {
      const locationId = ghlLocationId(payload);
      return locationId === undefined ? [] : [locationId];
    },
    routingKeyOf: (config) => optionalConfigString(config, 'locationId'),
    selectForRoutingKey: (payload) => payload,
    verify: (req, keys) => verifyGhlDelivery(req, keys.config),
    // API.md "Webhooks": a verified delivery with nothing in it to process is answered `ignored`, not
    // stored; GoHighLevel sends every event type the app subscribes to (invoices, notes, INSTALL …)
    extractEvents: (payload) => {
      const eventType = ghlEventType(payload);
      return APPLIED_EVENT_TYPES.has(eventType)
        ? [{ externalId: ghlEventExternalId(payload), eventType, payload }]
        : [];
    },
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

  async processWebhook(event: StoredEvent, ctx: HandlerContext): Promise<WebhookOutcome> {
    const payload = event.payload;
    if (!isRecord(payload)) throw new PermanentEventError('GoHighLevel event payload is not an object');
    switch (event.eventType) {
      // ContactTagUpdate carries the contact with its current tags; tags accumulate on the lead
      case 'ContactCreate':
      case 'ContactUpdate':
      case 'ContactTagUpdate': {
        const lead = contactToLead(payload);
        if (!lead) throw new PermanentEventError(`${event.eventType} has no contact id`);
        // what the record is as of, so a late ContactCreate does not undo the ContactUpdate before it:
        // its dateUpdated when sent; a create is the contact as added; else when GoHighLevel sent it (the
        // signed body `timestamp`: a retry of an older update arriving after a newer one stays older);
        // else the delivery's arrival. A date naming no instant is skipped: apply_lead would otherwise
        // fall back to dateAdded and take a current update for one older than everything
        const asAdded = event.eventType === 'ContactCreate' ? payload.dateAdded : undefined;
        const observedAt = firstInstant(payload.dateUpdated, asAdded, payload.timestamp);
        return { leads: [{ ...lead, observedAt: observedAt ?? event.receivedAt.toISOString() }] };
      }
      case 'ContactDelete': {
        const contactId = contactToLead(payload)?.externalId;
        if (!contactId) throw new PermanentEventError('ContactDelete has no contact id');
        return { leads: [], deletedLeads: [{ platform: 'gohighlevel', externalId: contactId }] };
      }
      case 'AppointmentCreate':
      case 'AppointmentUpdate':
      case 'AppointmentDelete': {
        const booking = appointmentToBooking(payload, event.eventType === 'AppointmentDelete');
        if (!booking) throw new PermanentEventError(`${event.eventType} has no appointment id or contactId`);
        // without a date in the payload, the delivery's arrival orders it against other changes of the booking
        return {
          leads: [],
          bookings: [{ ...booking, changedAt: booking.changedAt ?? event.receivedAt.toISOString() }],
        };
      }
      case 'OpportunityStatusUpdate': {
        const result = opportunityStatusChange(payload);
        // without a date in the payload, the delivery's arrival orders it against the lead's other status
        // changes, so a replay of an old event does not undo a newer one
        return 'change' in result
          ? {
              leads: [],
              statusChanges: [
                { ...result.change, changedAt: result.change.changedAt ?? event.receivedAt.toISOString() },
              ],
            }
          : { leads: [], ignoredReason: result.ignoredReason };
      }
      case 'OpportunityStageUpdate': {
        const change = opportunityStageChange(payload);
        if (!change) return { leads: [], ignoredReason: 'opportunity stage update without contact, pipeline or stage' };
        // without a date in the payload, the delivery's arrival orders it against other stage changes
        const dated = { ...change, changedAt: change.changedAt ?? event.receivedAt.toISOString() };
        return { leads: [], stageChanges: [await this.namedStage(ctx, dated)] };
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
        // not stored any more (APPLIED_EVENT_TYPES); events stored before are processed as nothing
        return { leads: [], ignoredReason: `event type ${event.eventType} is not applied` };
    }
  }

  /** Incremental: contacts updated since the previous run (all of them the first time). */
  syncData(ctx: HandlerContext, cursor: string | null): Promise<SyncPage> {
    return syncGhlContacts(ctx, cursor);
  }

  /** Pipeline and stage names for the CRM; a lookup that fails leaves the ids, which are what matters. */
  private async namedStage(ctx: HandlerContext, change: LeadPipelineStageChange): Promise<LeadPipelineStageChange> {
    try {
      const pipeline = (await GhlApi.fromContext(ctx).pipelines()).find((p) => p.id === change.pipelineId);
      const stage = pipeline?.stages.find((s) => s.id === change.stageId);
      return {
        ...change,
        ...(pipeline?.name ? { pipelineName: pipeline.name } : {}),
        ...(stage?.name ? { stageName: stage.name } : {}),
      };
    } catch (err) {
      if (!(err instanceof OutboundError)) throw err;
      ctx.logger.warn({ status: err.status, kind: err.kind }, 'GoHighLevel pipelines unavailable; stage kept by id');
      return change;
    }
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
    return GhlApi.fromContext(ctx).freeSlots(calendarId, start, end, timezone, (unreadable) =>
      ctx.logger.warn(
        { calendarId: calendarId.slice(0, 100), days: unreadable.days, slots: unreadable.slots },
        'GoHighLevel free slots: unreadable days or slots left out',
      ),
    );
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
