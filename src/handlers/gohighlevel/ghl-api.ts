import { HttpMethod, OutboundError, OutboundHttpClient, OutboundRequest } from '../../common/outbound/http-client';
import type { HandlerContext } from '../integration-handler';
import { asId, asNumber, asRecords, asString, bodyKind, configString, isRecord, JsonRecord } from '../shared/json';
import { calendarInstantMs, isCalendarDay } from '../shared/instant';

/** GoHighLevel requires a `Version` header whose value depends on the endpoint group (NOTES.md §5, apps/*.json). */
export const GHL_VERSION = {
  contacts: '2021-07-28',
  locations: '2021-07-28',
  opportunities: '2021-07-28',
  calendars: '2021-04-15',
} as const;

export interface GhlCalendar {
  id: string;
  name: string;
  description?: string;
  calendarType?: string;
  groupId?: string;
  isActive?: boolean;
}

export interface GhlDaySlots {
  date: string; // YYYY-MM-DD
  slots: string[];
}

export interface GhlBlockedSlot {
  id: string;
  calendarId?: string;
  title?: string;
  startTime?: string;
  endTime?: string;
}

/** Fields sent to POST /contacts/upsert (a subset of the spec's UpsertContactDto). */
export interface GhlContactInput {
  firstName?: string;
  lastName?: string;
  name?: string;
  email?: string;
  phone?: string;
  companyName?: string;
  tags?: string[];
  source?: string;
}

export interface GhlSearchPage {
  contacts: JsonRecord[];
  total?: number;
  /** Page-based pagination (`meta.nextPage`), when the answer carries it. */
  nextPage?: number;
}

export type GhlSearchPosition = { searchAfter: unknown[] } | { page: number } | null;

export interface GhlPipeline {
  id: string;
  name?: string;
  stages: Array<{ id: string; name?: string }>;
}

/**
 * GoHighLevel API v2 for one location, built per call from the integration's config. Calls go
 * through the integration's shared client (rate limit, retries); OutboundError propagates.
 */
export class GhlApi {
  constructor(
    private readonly http: OutboundHttpClient,
    private readonly baseUrl: string,
    private readonly token: string,
    readonly locationId: string,
  ) {}

  static fromContext(ctx: HandlerContext): GhlApi {
    return new GhlApi(
      ctx.http,
      ctx.urls.ghlApi.replace(/\/+$/, ''),
      configString(ctx.config, 'privateIntegrationToken'),
      configString(ctx.config, 'locationId'),
    );
  }

  /**
   * GET /locations/{locationId} answers `{ location: { id, name, … } }` (GetLocationByIdSuccessfulResponseDto
   * in apps/locations.json). A 200 without `location.id` (an HTML page, `{}`, a proxy's answer) proves
   * nothing about the location: it is GoHighLevel's failure, never taken as the configured id.
   */
  async getLocation(): Promise<{ id: string; name?: string }> {
    const path = `/locations/${encodeURIComponent(this.locationId)}`;
    const body = await this.call('GET', path, GHL_VERSION.locations);
    const location = isRecord(body) && isRecord(body.location) ? body.location : undefined;
    const id = asId(location?.id);
    if (id === undefined) throw malformed('GET', path, body);
    return { id, name: asString(location?.name) };
  }

  /**
   * POST /contacts/search, oldest change first so a run that stops early resumes where it was; with
   * `updatedSince`, only contacts changed since then (filter `dateUpdated` `range`, as GoHighLevel's
   * Contacts Search documentation describes its advanced filters).
   */
  async searchContacts(pageLimit: number, position: GhlSearchPosition, updatedSince?: string): Promise<GhlSearchPage> {
    const body = await this.call('POST', '/contacts/search', GHL_VERSION.contacts, {
      body: {
        locationId: this.locationId,
        pageLimit,
        ...(position && 'searchAfter' in position ? { searchAfter: position.searchAfter } : {}),
        ...(position && 'page' in position ? { page: position.page } : {}),
        ...(updatedSince
          ? { filters: [{ field: 'dateUpdated', operator: 'range', value: { gte: updatedSince } }] }
          : {}),
        sort: [{ field: 'dateUpdated', direction: 'asc' }],
      },
    });
    // the search answers `{ contacts: [...], total }` (the Contacts Search guide cited at
    // GHL_SYNC_PAGE_LIMIT): a 200 without that list read nothing, and taken as an empty page the run
    // ended "nothing new"
    const record = expectRecord('POST', '/contacts/search', body, 'contacts');
    const meta = isRecord(record.meta) ? record.meta : {};
    return { contacts: asRecords(record.contacts), total: asNumber(record.total), nextPage: asNumber(meta.nextPage) };
  }

  async listCalendars(): Promise<GhlCalendar[]> {
    const body = await this.call('GET', '/calendars/', GHL_VERSION.calendars, {
      query: { locationId: this.locationId },
    });
    const calendars: GhlCalendar[] = [];
    for (const c of asRecords(expectRecord('GET', '/calendars/', body, 'calendars').calendars)) {
      const id = ghlId(c.id);
      if (id === undefined) continue;
      calendars.push(
        dropUndefined({
          id,
          name: asString(c.name) ?? id,
          description: asString(c.description),
          calendarType: asString(c.calendarType),
          groupId: asId(c.groupId),
          isActive: typeof c.isActive === 'boolean' ? c.isActive : undefined,
        }),
      );
    }
    return calendars;
  }

  /**
   * The answer is keyed by day (`{"2024-10-28": {"slots": [...]}, "traceId": ...}`); days come back sorted.
   * A day key that does not exist ("9999-99-99", "2026-02-30"), a day without a slots list, or a slot
   * that is no ISO-8601 time with an offset is left out and reported through `skipped`: the booking
   * screen would offer it as bookable. An answer with such things in it and not one readable slot is
   * GoHighLevel's failure (502), never "no free slots"; `{}`, only `traceId`, or days with empty slot
   * lists are a real "no free slots".
   */
  async freeSlots(
    calendarId: string,
    startMs: number,
    endMs: number,
    timezone: string | undefined,
    skipped: (unreadable: { days: string[]; slots: number }) => void,
  ): Promise<GhlDaySlots[]> {
    const path = `/calendars/${encodeURIComponent(calendarId)}/free-slots`;
    const body = await this.call('GET', path, GHL_VERSION.calendars, {
      query: { startDate: startMs, endDate: endMs, timezone },
    });
    const days: GhlDaySlots[] = [];
    const badDays: string[] = [];
    let badSlots = 0;
    let readableSlots = 0;
    for (const [date, value] of Object.entries(expectRecord('GET', path, body))) {
      // keys that are no day are the answer's own (traceId; `_dates_`, the placeholder GoHighLevel's
      // OpenAPI document names the day keys with, which some answers are reported to carry)
      if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) continue;
      if (!isCalendarDay(date) || !isRecord(value) || !Array.isArray(value.slots)) {
        badDays.push(date.slice(0, 40));
        continue;
      }
      const slots = value.slots.filter((slot): slot is string => calendarInstantMs(slot) !== undefined);
      badSlots += value.slots.length - slots.length;
      readableSlots += slots.length;
      days.push({ date, slots });
    }
    if (badDays.length > 0 || badSlots > 0) {
      if (readableSlots === 0)
        throw new OutboundError('server', `GET ${path} answered without one readable free slot`, 200, body);
      skipped({ days: badDays.slice(0, 20), slots: badSlots });
    }
    return days.sort((a, b) => a.date.localeCompare(b.date));
  }

  /** Not retried: a repeated POST could block the slot twice. */
  async blockSlot(
    calendarId: string,
    slot: { startTime: string; endTime: string; title: string },
  ): Promise<GhlBlockedSlot> {
    const path = '/calendars/events/block-slots';
    const body = await this.call('POST', path, GHL_VERSION.calendars, {
      body: {
        locationId: this.locationId,
        calendarId,
        startTime: slot.startTime,
        endTime: slot.endTime,
        title: slot.title,
      },
      retry: false,
    });
    const record = isRecord(body) ? body : {};
    const id = ghlId(record.id);
    if (id === undefined) throw malformed('POST', path, body);
    return dropUndefined({
      id,
      calendarId: asId(record.calendarId),
      title: asString(record.title),
      startTime: asString(record.startTime),
      endTime: asString(record.endTime),
    });
  }

  /**
   * Follows the location's "Allow Duplicate Contact" setting; `new` tells a create from an update.
   * Tags never go in the upsert: there they "overwrite all current tags associated with the contact"
   * (UpsertContactDto.tags in apps/contacts.json, which recommends the Add Tag API instead), and a
   * push must not wipe what the CRM's users tagged.
   */
  async upsertContact(contact: GhlContactInput): Promise<{ contactId: string; created: boolean }> {
    const path = '/contacts/upsert';
    const { tags, ...fields } = contact;
    const body = await this.call('POST', path, GHL_VERSION.contacts, {
      body: dropUndefined({ locationId: this.locationId, ...fields }),
    });
    const record = isRecord(body) ? body : {};
    const contactId = isRecord(record.contact) ? ghlId(record.contact.id) : undefined;
    if (contactId === undefined) throw malformed('POST', path, body);
    if (tags && tags.length > 0) await this.addTags(contactId, tags);
    return { contactId, created: record.new === true };
  }

  /** POST /contacts/{id}/tags ("Add Tags"): adds to the contact's tags, keeps the others; safe to repeat. */
  async addTags(contactId: string, tags: readonly string[]): Promise<void> {
    await this.call('POST', `/contacts/${encodeURIComponent(contactId)}/tags`, GHL_VERSION.contacts, {
      body: { tags },
    });
  }

  /** GET /opportunities/pipelines: pipelines with their stages, to name a stage an opportunity moved to. */
  async pipelines(): Promise<GhlPipeline[]> {
    const body = await this.call('GET', '/opportunities/pipelines', GHL_VERSION.opportunities, {
      query: { locationId: this.locationId },
    });
    const pipelines: GhlPipeline[] = [];
    for (const p of asRecords(isRecord(body) ? body.pipelines : undefined)) {
      const id = asId(p.id);
      if (id === undefined) continue;
      const stages = asRecords(p.stages)
        .map((stage) => ({ id: asId(stage.id), name: asString(stage.name) }))
        .filter((stage): stage is { id: string; name: string | undefined } => stage.id !== undefined)
        .map((stage) => dropUndefined(stage));
      pipelines.push(dropUndefined({ id, name: asString(p.name), stages }));
    }
    return pipelines;
  }

  private async call(
    method: HttpMethod,
    path: string,
    version: string,
    extra: Pick<OutboundRequest, 'query' | 'body' | 'retry'> = {},
  ): Promise<unknown> {
    const res = await this.http.request({
      method,
      url: `${this.baseUrl}${path}`,
      headers: { Authorization: `Bearer ${this.token}`, Version: version },
      ...extra,
    });
    return res.body;
  }
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/**
 * A GoHighLevel id we can store and hand on: their ids are short opaque ASCII strings
 * ("ocQHyuzHvysMo5N5VsXc" in marketplace.gohighlevel.com/docs); one with a NUL (which PostgreSQL
 * refuses: 22021), another control character, a space, non-ASCII text or a page of text is not one.
 * UNCONFIRMED: GoHighLevel documents no id alphabet; every id in its examples is alphanumeric.
 */
export function ghlId(value: unknown): string | undefined {
  const id = asId(value);
  return id !== undefined && /^[!-~]{1,255}$/.test(id) ? id : undefined;
}

/**
 * The JSON object a 2xx answer must be (with `list` an array when named): an HTML page or an empty
 * body from GoHighLevel or a proxy in between is a failure, never "no calendars" or "no free slots".
 */
function expectRecord(method: HttpMethod, path: string, body: unknown, list?: string): JsonRecord {
  if (isRecord(body) && (list === undefined || Array.isArray(body[list]))) return body;
  const kind = isRecord(body) ? `a JSON object without ${list}` : bodyKind(body);
  throw new OutboundError('server', `${method} ${path} answered with ${kind}`, 200, body);
}

/** A 2xx answer without what the spec promises is the provider's fault, reported like its other failures. */
function malformed(method: HttpMethod, path: string, body: unknown): OutboundError {
  return new OutboundError('server', `${method} ${path} answered without the expected id`, 200, body);
}
