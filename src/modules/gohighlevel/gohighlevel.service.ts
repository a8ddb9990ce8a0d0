import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../../common/auth/auth-user';
import { DomainException } from '../../common/errors/domain.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { OutboundError } from '../../common/outbound/http-client';
import { CalendarProvider, ContactPusher, isCalendarProvider, isContactPusher } from '../../handlers/capabilities';
import type { HandlerContext } from '../../handlers/integration-handler';
import { HandlerRegistry } from '../../handlers/handler-registry';
import { localToInstant } from '../analytics/time/time-zone';
import { missingOAuthCredentials } from '../integration-templates/config-schema.service';
import { HandlerContextFactory } from '../integrations/handler-context.factory';
import type { Integration } from '../integrations/integration';
import { IntegrationsService } from '../integrations/integrations.service';
import { LeadWriterService } from '../leads/lead-writer.service';
import { LeadsService } from '../leads/leads.service';
import {
  BlockSlotDto,
  FreeSlotsQueryDto,
  GhlBlockedSlotDto,
  GhlCalendarDto,
  GhlDaySlotsDto,
  PushContactDto,
  PushedContactDto,
} from './dto/gohighlevel.dto';

/** A free-slots bound without an offset: a date, or a date-time on a wall clock (FreeSlotsQueryDto checked it). */
const WALL_CLOCK = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?$/;

/**
 * A free-slots bound as the instant GoHighLevel takes: its get-slots operation (apps/calendars.json of
 * GoHighLevel/highlevel-api-docs) takes `startDate`/`endDate` as epoch milliseconds ("1548898600000") and
 * `timezone` only as "the timezone in which the free slots are returned". "1767312000000" is that already,
 * and a date-time with an offset or Z names its instant; a date ("2026-12-01") or a date-time without an
 * offset is a wall-clock time of the requested `timezone` (the booking screen's day), or of UTC without
 * one — never of the server's own clock, which is what reading it with Date.parse did.
 */
function slotBound(value: string, timezone: string | undefined): string | number {
  if (/^\d+$/.test(value)) return Number(value);
  const wall = WALL_CLOCK.exec(value);
  if (!wall) return value;
  const [year, month, day, hour, minute, second] = wall.slice(1, 7).map((part) => Number(part ?? 0));
  // to the millisecond, as Date.parse reads a longer fraction of a bound with an offset
  const millis = Number((wall[7] ?? '').slice(0, 3).padEnd(3, '0'));
  return localToInstant({ year, month, day }, hour, minute, timezone ?? 'UTC', second).getTime() + millis;
}

/** The CRM's booking screens and lead push, passed through to GoHighLevel with the integration's token. */
@Injectable()
export class GoHighLevelService {
  constructor(
    private readonly integrations: IntegrationsService,
    private readonly contexts: HandlerContextFactory,
    private readonly leads: LeadsService,
    private readonly leadWriter: LeadWriterService,
    private readonly registry: HandlerRegistry,
  ) {}

  async calendars(user: AuthUser, integrationId: number): Promise<GhlCalendarDto[]> {
    return this.passthrough(user, integrationId, (handler, ctx) => handler.listCalendars(ctx));
  }

  async freeSlots(
    user: AuthUser,
    integrationId: number,
    calendarId: string,
    q: FreeSlotsQueryDto,
  ): Promise<GhlDaySlotsDto[]> {
    return this.passthrough(user, integrationId, (handler, ctx) =>
      handler.freeSlots(
        ctx,
        calendarId,
        slotBound(q.startDate, q.timezone),
        slotBound(q.endDate, q.timezone),
        q.timezone,
      ),
    );
  }

  async blockSlot(
    user: AuthUser,
    integrationId: number,
    calendarId: string,
    dto: BlockSlotDto,
  ): Promise<GhlBlockedSlotDto> {
    return this.passthrough(user, integrationId, (handler, ctx) => handler.blockSlot(ctx, calendarId, dto));
  }

  /** Upserts a lead of the integration's sub-account as a contact, and links the contact to the lead. */
  async pushContact(user: AuthUser, integrationId: number, dto: PushContactDto): Promise<PushedContactDto> {
    const row = await this.ghlIntegration(user, integrationId);
    const lead = await this.leads.require(row.subAccountId, BigInt(dto.leadId));
    const result = await this.call(row, (handler, ctx) =>
      handler.upsertContact(ctx, {
        firstName: lead.firstName ?? undefined,
        lastName: lead.lastName ?? undefined,
        name: lead.fullName ?? undefined,
        email: lead.email ?? undefined,
        phone: lead.phoneValid ? (lead.phone ?? undefined) : undefined,
        companyName: lead.company ?? undefined,
        tags: lead.tags,
        source: 'integration-hub',
      }),
    );
    // later GoHighLevel webhooks about this contact now match the lead
    await this.leadWriter.linkExternal(row.subAccountId, lead.id, 'gohighlevel', result.contactId);
    return result;
  }

  private async passthrough<T>(
    user: AuthUser,
    id: number,
    fn: (handler: CalendarProvider & ContactPusher, ctx: HandlerContext) => Promise<T>,
  ): Promise<T> {
    return this.call(await this.ghlIntegration(user, id), fn);
  }

  /** The integration, if its handler offers booking screens and contact push (GoHighLevel does); 404 otherwise. */
  private async ghlIntegration(user: AuthUser, id: number): Promise<Integration> {
    const row = await this.integrations.find(user, id);
    const handler = this.registry.require(row.handler);
    if (!isCalendarProvider(handler) || !isContactPusher(handler))
      throw DomainException.notFound('GoHighLevel integration');
    return row;
  }

  /**
   * `fn` with the integration's handler, its token refreshed ahead of expiry, and after a 401 refreshed once (under
   * the integration's refresh lock, shared with concurrent calls) and `fn` called once more.
   */
  private async call<T>(
    row: Integration,
    fn: (handler: CalendarProvider & ContactPusher, ctx: HandlerContext) => Promise<T>,
  ): Promise<T> {
    return this.mapped(() =>
      this.contexts.withContext(row, (handler, ctx, used) => {
        if (!isCalendarProvider(handler) || !isContactPusher(handler))
          throw DomainException.notFound('GoHighLevel integration');
        // disconnected (its token erased), or created for an OAuth connection not made yet: as its test answers
        const missing = used.oauthTokens === null ? missingOAuthCredentials(row.template.configSchema, ctx.config) : [];
        if (missing.length > 0)
          throw new DomainException(
            ErrorCode.INVALID_CREDENTIALS,
            `Not connected: connect the integration (POST /api/integrations/:id/oauth/start) or enter ${missing.join(', ')}`,
            missing.map((name) => ({ pointer: `/${name}`, message: 'missing: filled by the OAuth connection' })),
          );
        return fn(handler, ctx);
      }),
    );
  }

  /** Provider failures in the API's terms: a refused token, a refused request, or GoHighLevel being down. */
  private async mapped<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof RangeError) throw DomainException.validation(err.message);
      if (err instanceof OutboundError) {
        if (err.kind === 'auth')
          throw new DomainException(ErrorCode.INVALID_CREDENTIALS, `GoHighLevel refused the token: ${err.message}`);
        // its burst limit (100 requests per 10 s per location): the CRM waits as told rather than showing an outage
        if (err.kind === 'rate_limited') {
          const seconds = err.retryAfterMs === undefined ? undefined : Math.max(1, Math.ceil(err.retryAfterMs / 1000));
          throw new DomainException(
            ErrorCode.RATE_LIMIT_EXCEEDED,
            `GoHighLevel's rate limit was reached; retry ${seconds === undefined ? 'later' : `in ${seconds} s`}`,
            undefined,
            seconds === undefined ? undefined : { 'retry-after': String(seconds) },
          );
        }
        // a calendar or contact GoHighLevel does not have (deleted there): not a bad field of the request
        if (err.kind === 'client' && err.status === 404)
          throw new DomainException(ErrorCode.NOT_FOUND, `GoHighLevel has no such resource: ${err.message}`);
        if (err.kind === 'client') throw DomainException.validation(`GoHighLevel refused the request: ${err.message}`);
        throw new DomainException(ErrorCode.CONNECTION_FAILED, `GoHighLevel is unavailable: ${err.message}`);
      }
      throw err;
    }
  }
}
