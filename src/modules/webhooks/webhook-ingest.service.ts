import { Inject, Injectable, Logger } from '@nestjs/common';
import { createHash, createHmac } from 'node:crypto';
import { DomainException } from '../../common/errors/domain.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { HandlerRegistry } from '../../handlers/handler-registry';
import { withAppCredentials } from '../../handlers/oauth/oauth-provider';
import type {
  ExtractedEvent,
  HandshakeResponse,
  IntegrationHandler,
  WebhookRequest,
  VerifyResult,
  WebhookSpec,
} from '../../handlers/integration-handler';
import { JobsService } from '../../jobs/jobs.service';
import { IntegrationsRepository } from '../integrations/integrations.repository';
import { InboundRateLimiter } from './inbound-rate-limiter';
import { unstorableReason } from './storable-json';
import {
  batchEventIds,
  batchIdsByKey,
  batchPayload,
  DELIVERY_BATCH_EVENT,
  idDedupKey,
  MAX_INLINE_EVENTS,
} from './webhook-batch';
import { WebhookEventsRepository } from './webhook-events.repository';
import { WebhookTarget, WebhookTargets } from './webhook-targets';

export interface InboundDelivery {
  rawBody: Buffer;
  payload: unknown;
  headers: Record<string, string | undefined>;
  ip: string;
  /**
   * Why the body did not parse, at an integration's own URL only (the JSON parser in app.factory.ts
   * defers it there; elsewhere it answers 400 before the route runs). Thrown as it is, once the
   * signature has passed: the answer is the 400 Fastify gave before.
   */
  bodyError?: Error;
}

export interface IngestResult {
  status: 'received' | 'duplicate' | 'ignored';
  eventId: string | null;
  eventIds?: string[];
}

const DAY_MS = 24 * 3600_000;
const UNKNOWN = (): DomainException => new DomainException(ErrorCode.NOT_FOUND, 'Unknown webhook endpoint');
/**
 * At an integration's own URL the answer names what failed (a missing header, a stale timestamp, a
 * signature that does not match): the URL already names the integration, so the reason tells the
 * sender nothing about others, and it is what a developer wiring a form tool needs. At a provider-level
 * URL it never does (a reason would tell a known page from an unknown one).
 */
const BAD_SIGNATURE = (reason?: string): DomainException =>
  new DomainException(
    ErrorCode.WEBHOOK_SIGNATURE_INVALID,
    'Webhook signature is missing or invalid',
    reason ? [{ field: 'signature', messages: [reason] }] : [],
  );
const DUMMY_KEY = 'no-such-integration-but-spend-the-same-time';
/** The shape of our webhook ids (wh_ + 16 random bytes, base64url); anything else cannot exist. */
const WEBHOOK_ID = /^wh_[A-Za-z0-9_-]{16,64}$/;

/**
 * A routing key taken from the payload that could name an integration: a short string without NUL
 * (PostgreSQL text cannot hold NUL; looking one up failed with 22021 and answered 500, before any
 * signature was checked). Any other key names no integration.
 */
function usableRoutingKey(k: unknown): k is string {
  return typeof k === 'string' && k.length > 0 && k.length <= 256 && !k.includes('\u0000');
}

/** A handler's verification that throws (hostile input it did not expect) is a failed verification. */
function verification(spec: WebhookSpec, request: WebhookRequest, target: WebhookTarget): VerifyResult {
  return attempt((): VerifyResult => spec.verify(request, target.keys), { ok: false, reason: 'unreadable signature' });
}

function verifies(spec: WebhookSpec, request: WebhookRequest, target: WebhookTarget): boolean {
  return verification(spec, request, target).ok;
}

/** Sender-controlled input never turns a handler's exception into a 5xx. */
function attempt<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    return fallback;
  }
}

/**
 * DESIGN.md "Webhook pipeline" steps 1–4: route, verify over the raw bytes, store event + job in
 * one statement, answer. Nothing slow happens before the answer; processing is a job.
 */
@Injectable()
export class WebhookIngestService {
  private readonly logger = new Logger(WebhookIngestService.name);
  private readonly perIp: InboundRateLimiter;
  private readonly perIntegration: InboundRateLimiter;
  private readonly touched = new Map<number, number>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly registry: HandlerRegistry,
    private readonly targets: WebhookTargets,
    private readonly events: WebhookEventsRepository,
    private readonly integrations: IntegrationsRepository,
    private readonly jobs: JobsService,
  ) {
    this.perIp = new InboundRateLimiter(config.webhooks.ratePerIpPerMinute);
    this.perIntegration = new InboundRateLimiter(config.webhooks.ratePerIntegrationPerMinute);
  }

  /** POST /api/webhooks/:provider/:webhookId — the integration's own URL. */
  async ingestForIntegration(provider: string, webhookId: string, delivery: InboundDelivery): Promise<IngestResult> {
    this.limit(this.perIp, `ip:${delivery.ip}`);
    const spec = this.registry.get(provider)?.webhook;
    const target = spec && WEBHOOK_ID.test(webhookId) ? await this.targets.forWebhookId(webhookId) : null;
    if (!spec || !target || target.handler !== provider) {
      // same work as a signature check, so an unknown id is not told apart by timing
      createHmac('sha256', DUMMY_KEY).update(delivery.rawBody).digest();
      throw UNKNOWN();
    }
    // API.md "Webhooks": the signature is checked before any parsing work beyond what routing needs;
    // routing this URL needed none, so a body that did not parse is answered only after verification —
    // unless verification itself reads the parsed body (Google's google_key): then it cannot happen
    if (delivery.bodyError && spec.verifyReadsBody) throw delivery.bodyError;
    const request = this.request(delivery);
    const verified = verification(spec, request, target);
    if (!verified.ok) {
      await this.reject(target);
      throw BAD_SIGNATURE(verified.reason);
    }
    if (delivery.bodyError) throw delivery.bodyError;
    this.assertReceiving(target);
    const parts = await this.ownParts(provider, spec, target, delivery.payload, request);
    const results: IngestResult[] = [];
    for (const { target: holder, part } of parts) results.push(await this.store(provider, spec, holder, part, request));
    return this.combine(results);
  }

  /**
   * POST /api/webhooks/:provider — one app-level URL; entries routed by the payload's routing key.
   * A missing or unknown routing key answers exactly like a bad signature (401): the answer never
   * tells which pages, numbers or locations are connected.
   */
  async ingestForProvider(provider: string, delivery: InboundDelivery): Promise<IngestResult> {
    this.limit(this.perIp, `ip:${delivery.ip}`);
    const spec = this.registry.get(provider)?.webhook;
    if (!spec || spec.routing === 'integration' || !spec.routingKeys) throw UNKNOWN();
    const keys = [...new Set(attempt(() => spec.routingKeys?.(delivery.payload) ?? [], []))]
      .filter(usableRoutingKey)
      .slice(0, 100);
    const primary = keys.length ? await this.targets.forRoutingKeys(provider, keys) : [];
    // changes about the account rather than a routing key (WhatsApp template updates name the WABA)
    const secondary = spec.secondaryRouting;
    const secondaryKeys = secondary
      ? [...new Set(attempt(() => secondary.keys(delivery.payload), []))].filter(usableRoutingKey).slice(0, 100)
      : [];
    const bySecondary =
      secondary && secondaryKeys.length
        ? await this.targets.forConfigValues(provider, secondary.configField, secondaryKeys)
        : [];
    const targets = [...primary, ...bySecondary.map((b) => b.target)];
    const request = this.request(delivery);
    const verified = targets.filter((t) => verifies(spec, request, t));
    if (targets.length === 0) createHmac('sha256', DUMMY_KEY).update(delivery.rawBody).digest();
    if (verified.length === 0) {
      await Promise.all(targets.map((t) => this.reject(t)));
      throw BAD_SIGNATURE();
    }
    const results: IngestResult[] = [];
    for (const target of verified) {
      if (!target.receiving) continue; // another integration of the same page may take it
      const viaSecondary = bySecondary.find((b) => b.target === target);
      const part = viaSecondary
        ? attempt(() => secondary?.select(delivery.payload, viaSecondary.key), undefined)
        : target.routingKey && spec.selectForRoutingKey
          ? attempt(() => spec.selectForRoutingKey?.(delivery.payload, target.routingKey ?? ''), undefined)
          : delivery.payload;
      results.push(await this.store(provider, spec, target, part, request));
    }
    if (results.length === 0) this.assertReceiving(verified[0]);
    return this.combine(results);
  }

  /** GET handshakes (Meta/WhatsApp hub.challenge, LinkedIn challengeCode). */
  async handshake(
    provider: string,
    webhookId: string | undefined,
    query: Record<string, string | undefined>,
    ip: string,
  ): Promise<HandshakeResponse> {
    // unauthenticated: budgeted like deliveries, and answered from the cached lookups
    this.limit(this.perIp, `ip:${ip}`);
    const handler = this.registry.get(provider);
    const spec = handler?.webhook;
    if (!spec?.handshake) throw UNKNOWN();
    if (webhookId !== undefined && !WEBHOOK_ID.test(webhookId)) throw UNKNOWN();
    // LinkedIn validates again every 2 hours and blocks the URL after 3 failures: answered while not disconnected
    const connected = spec.handshakeUntilDisconnected === true;
    const answersFor = (t: WebhookTarget): boolean => t.receiving || (connected && t.status !== 'disconnected');
    const candidates: WebhookTarget[] = webhookId
      ? [await this.targets.forWebhookId(webhookId)].filter(
          (t): t is WebhookTarget => t !== null && t.handler === provider && answersFor(t),
        )
      : await this.targets.receivingForHandler(provider, connected);
    // every candidate is asked: the request must be addressed to one app (one answer), never to whichever comes first
    const answers = new Map<string, HandshakeResponse>();
    for (const target of candidates) {
      const answer = attempt(() => spec.handshake?.(query, target.config) ?? null, null);
      if (answer) answers.set(`${answer.contentType}\n${answer.body}`, answer);
    }
    if (answers.size === 1) return [...answers.values()][0];
    // Answers that differ: some integration holds a secret the app addressed does not have. A tenant can
    // type any app's public id (LinkedIn clientId) beside a secret of its choosing and, receiving, veto
    // every answer for that app at the provider-level URL. The hub's own OAuth app (its secret comes from
    // the environment, never from a tenant) is answered as itself: a squatter cannot take the app-level
    // validation of every OAuth-connected tenant down. Tenants' own apps in conflict are refused; their
    // integration URLs (one candidate each) are not affected.
    if (webhookId === undefined && answers.size > 1) {
      const oauth = handler?.oauth;
      const hubApp = oauth?.appFields ? withAppCredentials({}, oauth, oauth.provider, this.config.oauth.apps) : null;
      const hub = hubApp ? attempt(() => spec.handshake?.(query, hubApp) ?? null, null) : null;
      if (hub && answers.has(`${hub.contentType}\n${hub.body}`)) return hub;
    }
    throw DomainException.forbidden('The verification request does not match an active integration');
  }

  /**
   * Who stores which part of a delivery at an integration's own URL. A handler routed by a key in the
   * payload (Meta page, WhatsApp number, LinkedIn owner …) may be sent changes about several keys:
   * - changes about a key another sub-account's integration holds are that tenant's (API.md: a routing
   *   key belongs to one sub-account) and are not stored here: with an app secret several tenants share
   *   (a hub-wide Meta or LinkedIn app) they would land in this tenant's inbox and leads;
   * - changes about a key another integration of the same sub-account holds go to that integration, as
   *   the provider-level URL routes them, when the delivery verifies with its secret and it receives
   *   (one Meta app has one callback URL: a tenant may point it at one integration's URL for all its
   *   pages, and that integration's token could not fetch another page's leads); otherwise they stay here;
   * - its own key's, keys nobody holds (a LinkedIn organization's integration also takes leads of an
   *   ad account), and its account's (its WABA's template updates) are stored for it.
   * A delivery naming only its own key or keys nobody holds is stored whole, as before; one with
   * nothing left for anyone is no part (answered ignored).
   */
  private async ownParts(
    provider: string,
    spec: WebhookSpec,
    target: WebhookTarget,
    payload: unknown,
    request: WebhookRequest,
  ): Promise<Array<{ target: WebhookTarget; part: unknown }>> {
    const own = target.routingKey;
    // 'both' (LinkedIn: an app-level URL or one per integration) routes by the same keys as 'provider'
    if (spec.routing === 'integration' || !own || !spec.routingKeys || !spec.selectForRoutingKey)
      return [{ target, part: payload }];
    const keys = attempt(() => spec.routingKeys?.(payload) ?? [], []);
    const others = [...new Set(keys)].filter((key) => key !== own && usableRoutingKey(key)).slice(0, 100);
    const holders = others.length
      ? (await this.targets.forRoutingKeys(provider, others)).filter((t) => t.integrationId !== target.integrationId)
      : [];
    if (holders.length === 0) return [{ target, part: payload }];
    const parts: Array<{ target: WebhookTarget; part: unknown }> = [];
    for (const key of [own, ...others]) {
      if (!keys.includes(key)) continue;
      const held = holders.filter((t) => t.routingKey === key);
      if (held.some((t) => t.subAccountId !== target.subAccountId)) continue;
      const sibling = held.find((t) => t.receiving && verifies(spec, request, t));
      parts.push({
        target: sibling ?? target,
        part: attempt(() => spec.selectForRoutingKey?.(payload, key), undefined),
      });
    }
    const secondary = spec.secondaryRouting;
    const accountKey = secondary ? target.config[secondary.configField] : undefined;
    if (secondary && typeof accountKey === 'string' && attempt(() => secondary.keys(payload), []).includes(accountKey))
      parts.push({ target, part: attempt(() => secondary.select(payload, accountKey), undefined) });
    return parts;
  }

  handlerFor(provider: string): IntegrationHandler | undefined {
    return this.registry.get(provider);
  }

  private async store(
    provider: string,
    spec: WebhookSpec,
    target: WebhookTarget,
    payload: unknown,
    request: WebhookRequest,
  ): Promise<IngestResult> {
    this.limit(this.perIntegration, `integration:${target.integrationId}`);
    let extracted: ExtractedEvent[];
    try {
      extracted = spec.extractEvents(payload, request, target.config);
    } catch (err) {
      // verified, but the handler cannot read it (hostile numbers, depth …): refused, never a 500
      this.logger.warn({ integrationId: target.integrationId, err }, 'verified webhook delivery could not be read');
      throw DomainException.validation('The delivery cannot be read');
    }
    // verified, but some payloads cannot be stored faithfully (jsonb refuses NUL; hostile depth)
    for (const event of extracted) {
      const reason = unstorableReason({ id: event.externalId, type: event.eventType, payload: event.payload });
      if (reason) throw DomainException.validation(`The delivery cannot be stored: ${reason}`);
    }
    // thousands of items: stored once, answered at once; a worker adds the items in bounded batches
    if (extracted.length > MAX_INLINE_EVENTS) return this.storeBatch(provider, target, extracted, request);
    let bodyKey: string | undefined;
    const keys: string[] = [];
    for (const event of extracted) {
      if (event.externalId !== null) keys.push(idDedupKey(event.externalId));
      else keys.push((bodyKey ??= await this.hashKey(target.integrationId, request)));
    }
    const results = await Promise.all(
      extracted.map(async (event, i): Promise<IngestResult> => {
        const dedupKey = keys[i];
        if (dedupKey.startsWith('dup:')) return { status: 'duplicate', eventId: dedupKey.slice(4) };
        const stored = await this.events.insertWithJob({
          integrationId: target.integrationId,
          subAccountId: target.subAccountId,
          provider,
          dedupKey,
          externalId: event.externalId,
          eventType: event.eventType,
          payload: event.payload,
        });
        return { status: stored.created ? 'received' : 'duplicate', eventId: stored.id };
      }),
    );
    if (results.some((r) => r.status === 'received')) this.jobs.wake('webhook-process');
    this.touch(target.integrationId, request.receivedAt);
    return this.combine(results);
  }

  /**
   * A big delivery: its events' ids first (a stored event's own, a new one's from the sequence; an event
   * repeated in the delivery shares its first copy's), then the delivery as one batch row holding each
   * event under its id. The answer names them all, as a small delivery's does, though a worker adds the
   * rows a moment later. A redelivery of the same events, in any order, answers the ids the first copy named,
   * and an event that another big delivery named, its batch not yet expanded, is named by that id.
   */
  private async storeBatch(
    provider: string,
    target: WebhookTarget,
    extracted: ExtractedEvent[],
    request: WebhookRequest,
  ): Promise<IngestResult> {
    const keys = extracted.map((e) => (e.externalId === null ? null : idDedupKey(e.externalId)));
    // an event another big delivery named, its batch not yet expanded, keeps that id: whichever batch is
    // expanded first stores it under it. Read before the stored ids: a batch expanded in between has
    // committed its rows before it stopped being unexpanded, so the second read finds them
    const externalIds = [...new Set(extracted.map((e) => e.externalId).filter((id): id is string => id !== null))];
    const pending = await this.events.unexpandedIds(target.integrationId, externalIds);
    // a stored row wins over a name (an event stored by a small delivery meanwhile: that batch skips it)
    const known = new Map([
      ...pending,
      ...(await this.events.storedIds(target.integrationId, [...new Set(keys.filter((k): k is string => k !== null))])),
    ]);
    const waiting = new Set<string>();
    let fresh = 0;
    for (const k of keys) {
      if (k !== null && (known.has(k) || waiting.has(k))) continue;
      if (k !== null) waiting.add(k);
      fresh += 1;
    }
    const reserved = await this.events.reserveIds(fresh);
    let next = 0;
    const named = new Map(known);
    const ids = keys.map((k) => {
      let id = k === null ? undefined : named.get(k);
      if (id === undefined) {
        id = reserved[next++];
        if (k !== null) named.set(k, id);
      }
      return id;
    });
    if (fresh === 0) {
      this.touch(target.integrationId, request.receivedAt);
      return { status: 'duplicate', eventId: ids[0], eventIds: ids };
    }
    const batchKey = await this.batchKey(target.integrationId, keys, request);
    const batch = batchKey.startsWith('dup:')
      ? { id: batchKey.slice(4), created: false }
      : await this.events.insertWithJob({
          integrationId: target.integrationId,
          subAccountId: target.subAccountId,
          provider,
          dedupKey: batchKey,
          externalId: null,
          eventType: DELIVERY_BATCH_EVENT,
          payload: batchPayload(extracted, ids),
        });
    this.touch(target.integrationId, request.receivedAt);
    if (batch.created) {
      this.jobs.wake('webhook-process');
      return { status: 'received', eventId: ids[0], eventIds: ids };
    }
    // the same events stored before as a batch: the ids that batch named, in this delivery's order (a
    // batch stored before ids were named: its own id)
    const first = await this.events.payloadOf(batch.id);
    const earlier = batchEventIds(first);
    if (!earlier) return { status: 'duplicate', eventId: batch.id };
    const byKey = batchIdsByKey(first);
    const again = keys.map((k, i) => (k === null ? earlier[i] : byKey.get(k)));
    return again.every((id): id is string => id !== undefined)
      ? { status: 'duplicate', eventId: again[0], eventIds: again }
      : { status: 'duplicate', eventId: earlier[0], eventIds: earlier };
  }

  /**
   * The batch row's dedup key. When every event has a provider id, the set of their keys: a redelivery
   * with its entries in another order is the same batch, answered with the ids the first copy named,
   * even before the first copy is expanded. Otherwise the body's hash, as for any delivery without an id.
   */
  private async batchKey(
    integrationId: number,
    keys: ReadonlyArray<string | null>,
    request: WebhookRequest,
  ): Promise<string> {
    const keyed = keys.filter((k): k is string => k !== null);
    if (keyed.length < keys.length) return this.hashKey(integrationId, request);
    const set = [...new Set(keyed)].sort();
    return `batchset:${createHash('sha256').update(set.join('\n')).digest('hex')}`;
  }

  /** No provider event id: the body's sha256 stands in, deduplicated within 24 h (day buckets, checking the previous one). */
  private async hashKey(integrationId: number, request: WebhookRequest): Promise<string> {
    const hash = createHash('sha256').update(request.rawBody).digest('hex');
    const bucket = Math.floor(request.receivedAt.getTime() / DAY_MS);
    const previous = await this.events.recentHash(
      integrationId,
      `sha256:${hash}:${bucket - 1}`,
      new Date(request.receivedAt.getTime() - DAY_MS),
    );
    return previous ? `dup:${previous}` : `sha256:${hash}:${bucket}`;
  }

  private combine(results: IngestResult[]): IngestResult {
    const ids = results.flatMap((r) => r.eventIds ?? (r.eventId === null ? [] : [r.eventId]));
    if (ids.length === 0) return { status: 'ignored', eventId: null };
    const status = results.some((r) => r.status === 'received') ? 'received' : 'duplicate';
    return ids.length > 1 ? { status, eventId: ids[0], eventIds: ids } : { status, eventId: ids[0] ?? null };
  }

  private request(delivery: InboundDelivery): WebhookRequest {
    return { rawBody: delivery.rawBody, headers: delivery.headers, receivedAt: new Date() };
  }

  private assertReceiving(target: WebhookTarget): void {
    if (!target.receiving) {
      throw new DomainException(
        ErrorCode.INTEGRATION_NOT_ACTIVE,
        'The integration is not active; it receives webhooks once switched on and its connection test has passed',
      );
    }
  }

  private limit(limiter: InboundRateLimiter, key: string): void {
    const retryAfter = limiter.hit(key);
    if (retryAfter !== null) {
      throw new DomainException(ErrorCode.RATE_LIMIT_EXCEEDED, 'Too many webhook deliveries; retry later', undefined, {
        'retry-after': String(retryAfter),
      });
    }
  }

  private async reject(target: WebhookTarget): Promise<void> {
    await this.events
      .countRejection(target.integrationId, new Date())
      .catch((err: unknown) => this.logger.warn({ err }, 'could not count a rejected webhook'));
  }

  /** lastWebhookAt, written at most every few seconds per integration so bursts do not contend on its row. */
  private touch(integrationId: number, at: Date): void {
    const last = this.touched.get(integrationId) ?? 0;
    if (at.getTime() - last < 5000) return;
    this.touched.set(integrationId, at.getTime());
    void this.integrations
      .touchLastWebhook(integrationId, at)
      .catch((err: unknown) => this.logger.warn({ err }, 'could not update lastWebhookAt'));
  }
}
