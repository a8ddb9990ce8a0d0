import { Inject, Injectable, Optional } from '@nestjs/common';
import { Clock, CLOCK, systemClock } from '../../common/clock';
import { createHash } from 'node:crypto';
import { instantMs } from '../../handlers/shared/instant';
import type { BoundStatement } from '../../database/db';
import type {
  InteractionInput,
  LeadAlias,
  LeadInput,
  LeadReference,
  WebhookOutcome,
} from '../../handlers/handler-types';
import { identityKeys, NormalizedContact, normalizeContact, normalizeEmail } from './lead-normalizer';
import { LeadTimelineRepository } from './lead-timeline.repository';
import { LEAD_TEXT_LIMITS, storableLead, storableText } from './lead-write-values';
import { AppliedLead, LeadsWriteRepository, Touch } from './leads-write.repository';

export interface OutcomeOrigin {
  integrationId: number;
  subAccountId: number;
  eventId: bigint;
}

export type UpsertResult = AppliedLead;

/** What a touch carries beyond the source columns: attribution details and the consents given with it. */
export function sourceDetails(lead: LeadInput): Record<string, unknown> | undefined {
  const details = lead.source.details ?? {};
  if (Object.keys(details).length === 0 && !lead.consents?.length) return undefined;
  return { ...details, ...(lead.consents?.length ? { consents: lead.consents } : {}) };
}

/** A lead's identity keys; a platform id unique only within its integration is matched only there. */
function leadKeys(touch: Touch, lead: LeadInput, contact: NormalizedContact): string[] {
  const scope = lead.externalIdScope === 'integration' ? touch.integrationId : undefined;
  return identityKeys(lead.platform, lead.externalId, contact, lead.otherExternalIds, scope);
}

/** The content hash of a platform record, for counting unchanged records in syncs. */
export function leadHash(lead: LeadInput): string {
  return createHash('sha256').update(JSON.stringify(lead)).digest('hex');
}

/**
 * Persists what handlers return. A lead is matched within its sub-account by (platform, external
 * id), then E.164 phone, then e-mail, under advisory locks on those keys, so concurrent deliveries
 * of one person through any platforms converge on one lead with one source row per touch. The
 * caller decides the transaction (TransactionRunner.run); these methods only join it.
 */
@Injectable()
export class LeadWriterService {
  private readonly regions = new Map<number, { region: string; at: number }>();

  constructor(
    private readonly writes: LeadsWriteRepository,
    private readonly timeline: LeadTimelineRepository,
    @Optional() @Inject(CLOCK) private readonly clock: Clock = systemClock,
  ) {}

  async applyOutcome(origin: OutcomeOrigin, outcome: WebhookOutcome): Promise<void> {
    const touch: Touch = {
      subAccountId: origin.subAccountId,
      integrationId: origin.integrationId,
      origin: `event:${origin.eventId}`,
    };
    // aliases first: a lead known by the old id must be found by the new one in this same outcome
    for (const alias of outcome.aliases ?? []) await this.addAlias(touch, alias);
    for (const lead of outcome.leads) await this.upsert(touch, lead);
    for (const ref of outcome.deletedLeads ?? []) {
      // the id as upsert stored it (storableLead)
      const externalId = storableText(ref.externalId, LEAD_TEXT_LIMITS.text) ?? ref.externalId;
      await this.writes.markSourcesDeleted(touch.subAccountId, ref.platform, externalId);
    }
    for (const change of outcome.statusChanges ?? []) {
      const leadId = await this.referencedLead(touch, change);
      // a provider's change is a fact like any other, by the integration; dated when the provider says it
      // happened (never after it is applied), and not applied at all when the lead's status changed since:
      // a replayed or late delivery must not undo a newer status, nor count a transition twice
      const now = this.clock.now();
      const changedAt = change.changedAt === undefined ? undefined : instantMs(Date.parse(change.changedAt));
      await this.writes.setStatus(
        touch.subAccountId,
        leadId,
        change.status,
        {
          at: new Date(Math.min(changedAt ?? now, now)),
          by: `integration:${touch.integrationId ?? ''}`,
          origin: change.platform,
        },
        changedAt !== undefined,
      );
    }
    for (const stage of outcome.stageChanges ?? []) {
      await this.writes.setPipelineStage(touch.subAccountId, await this.referencedLead(touch, stage), stage);
    }
    for (const booking of outcome.bookings ?? []) {
      await this.timeline.upsertBooking(touch, await this.referencedLead(touch, booking), booking);
    }
    for (const [index, interaction] of (outcome.interactions ?? []).entries()) {
      const leadId = await this.referencedLead(touch, interaction);
      await this.timeline.addInteraction(
        touch,
        leadId,
        interaction,
        `${touch.origin}:${interaction.externalMessageId ?? index}`,
      );
    }
  }

  /**
   * The common webhook case, one lead and nothing else, as one statement that the caller runs inside
   * its own (the webhook processor marks its event in the same statement: one round trip, one
   * commit). Null for any other outcome, which goes through applyOutcome in a transaction.
   */
  async singleLeadStatement(origin: OutcomeOrigin, outcome: WebhookOutcome): Promise<BoundStatement | null> {
    const others =
      (outcome.deletedLeads?.length ?? 0) +
      (outcome.statusChanges?.length ?? 0) +
      (outcome.bookings?.length ?? 0) +
      (outcome.interactions?.length ?? 0) +
      (outcome.stageChanges?.length ?? 0) +
      (outcome.aliases?.length ?? 0);
    // extra attribution and consents take a second statement: the general, transactional path
    if (outcome.leads.length !== 1 || others > 0) return null;
    const lead = storableLead(outcome.leads[0]);
    if (sourceDetails(lead) !== undefined) return null;
    const contact = normalizeContact(lead, await this.region(origin.subAccountId));
    const touch: Touch = {
      subAccountId: origin.subAccountId,
      integrationId: origin.integrationId,
      origin: `event:${origin.eventId}`,
    };
    return this.writes.applyLeadStatement(touch, lead, contact, leadKeys(touch, lead, contact), null);
  }

  /** Creates or updates the matching lead and records this touch, with its extra attribution and consents. */
  async upsert(touch: Touch, given: LeadInput, contentHash: string | null = null): Promise<UpsertResult> {
    const lead = storableLead(given);
    const contact = normalizeContact(lead, await this.region(touch.subAccountId));
    const result = await this.writes.applyLead(touch, lead, contact, leadKeys(touch, lead, contact), contentHash);
    const details = sourceDetails(lead);
    if (details) await this.writes.setSourceDetails(touch, lead.platform, lead.externalId, details);
    return result;
  }

  /** Gives the lead a platform already knows another id too; a person nobody knows yet is not created for it. */
  private async addAlias(touch: Touch, alias: LeadAlias): Promise<void> {
    const keys = [`ext:${alias.platform}:${alias.externalId}`, `ext:${alias.platform}:${alias.aliasExternalId}`];
    await this.writes.lockIdentities(touch.subAccountId, keys);
    const leadId = await this.writes.match(touch.subAccountId, keys);
    if (leadId !== null) await this.writes.addIdentities(touch.subAccountId, leadId, keys);
  }

  /**
   * A record pulled by a sync: unchanged (same content hash as the last time this integration saw it)
   * costs one read and no write; otherwise the lead is upserted and the sync's source row updated.
   * `known` is the hash of the touch's source row as the caller already read it in this transaction
   * (null: written without one; undefined: no such row); without it the row is read here.
   */
  async syncUpsert(
    touch: Touch,
    given: LeadInput,
    known?: { hash: string | null | undefined },
  ): Promise<'created' | 'updated' | 'unchanged'> {
    const hash = leadHash(given);
    const lead = storableLead(given);
    const previous = known ? known.hash : await this.writes.sourceHash(touch, lead.platform, lead.externalId);
    if (previous === hash) return 'unchanged';
    const result = await this.upsert(touch, lead, hash);
    if (!result.newTouch) await this.writes.updateSourceHash(touch, lead.platform, lead.externalId, hash);
    return result.created ? 'created' : 'updated';
  }

  /**
   * A conversation captured into a lead (WhatsApp, Messenger, Instagram): the person is in contact
   * with the business, so a lead still NEW moves to CONTACTED, recorded as a status fact
   * `{ from: NEW, to: CONTACTED, at, by }` like PATCH /api/leads/:id, which analytics count; a lead
   * already further (or LOST) is left as it is. Returns whether the status changed.
   */
  markContactedByCapture(subAccountId: number, leadId: bigint, by: string, channel: string): Promise<boolean> {
    return this.writes.advanceStatus(subAccountId, leadId, 'NEW', 'CONTACTED', {
      at: new Date(this.clock.now()),
      by,
      origin: `${channel}-capture`,
    });
  }

  /** The lead of the sub-account known by one of these E.164 numbers (phone identity keys), if any. */
  async leadByPhones(subAccountId: number, phones: readonly string[]): Promise<bigint | null> {
    if (phones.length === 0) return null;
    return this.writes.match(
      subAccountId,
      phones.map((p) => `phone:${p}`),
    );
  }

  /**
   * A person a platform knows (`ext:<platform>:<id>`) shared an e-mail or phone that an existing lead
   * of this sub-account is known by (identity keys `phone:` then `email:`, strongest first, as
   * identityKeys orders them): the platform id moves to that lead, so this and the person's later
   * events land on it (the person's earlier lead keeps what it had). Under the keys' advisory locks,
   * inside the caller's transaction. Null when no lead of the sub-account has them.
   */
  async joinBySharedContact(
    subAccountId: number,
    ref: LeadReference,
    shared: { phones: readonly string[]; email?: string },
  ): Promise<{ leadId: bigint; previous: bigint | null } | null> {
    const keys = [
      ...shared.phones.map((p) => `phone:${p}`),
      ...(shared.email ? [`email:${normalizeEmail(shared.email)}`] : []),
    ];
    if (keys.length === 0) return null;
    const ext = `ext:${ref.platform}:${ref.externalId}`;
    await this.writes.lockIdentities(subAccountId, [ext, ...keys]);
    const leadId = await this.writes.match(subAccountId, keys);
    if (leadId === null) return null;
    const previous = await this.writes.match(subAccountId, [ext]);
    if (previous !== leadId) await this.writes.link(subAccountId, leadId, ext);
    return { leadId, previous };
  }

  /**
   * A person linked a platform's person (`ext:<platform>:<id>`) to a lead: the id moves to it, so the
   * person's later events land on that lead (the earlier one keeps what it had). Under the key's
   * advisory lock, inside the caller's transaction: take it before any row lock the event worker takes
   * after it (the conversation's).
   */
  async moveExternal(subAccountId: number, ref: LeadReference, leadId: bigint): Promise<void> {
    const key = `ext:${ref.platform}:${ref.externalId}`;
    await this.writes.lockIdentities(subAccountId, [key]);
    await this.writes.link(subAccountId, leadId, key);
  }

  /** Adds an entry to a lead's timeline (idempotent per origin). */
  async addTimelineEntry(touch: Touch, leadId: bigint, interaction: InteractionInput, origin: string): Promise<void> {
    await this.timeline.addInteraction(touch, leadId, interaction, origin);
  }

  /** Removes timeline entries by origin. */
  removeTimelineEntries(subAccountId: number, origins: readonly string[]): Promise<number> {
    return this.timeline.removeInteractions(subAccountId, origins);
  }

  /** A message the person unsent: its interaction keeps its place in the timeline, not its words. */
  redactInteraction(subAccountId: number, integrationId: number, externalMessageId: string): Promise<number> {
    return this.timeline.redactInteraction(subAccountId, integrationId, externalMessageId);
  }

  /** The interaction of an edited message takes its new text (not an unsent one's). */
  editInteraction(
    subAccountId: number,
    integrationId: number,
    externalMessageId: string,
    body: string,
  ): Promise<number> {
    return this.timeline.editInteraction(subAccountId, integrationId, externalMessageId, body);
  }

  /** The region national phone numbers of a sub-account are read in. */
  subAccountRegion(subAccountId: number): Promise<string> {
    return this.region(subAccountId);
  }

  /** Records that a platform knows this lead under an id (e.g. the GoHighLevel contact it was pushed as). */
  async linkExternal(subAccountId: number, leadId: bigint, platform: string, externalId: string): Promise<void> {
    await this.writes.link(subAccountId, leadId, `ext:${platform}:${externalId}`);
  }

  /**
   * The lead a platform reference names (GoHighLevel contact id, WhatsApp number …). A message or
   * booking may arrive before the contact itself: the lead is then started from the reference and
   * completed when the contact arrives.
   */
  private async referencedLead(touch: Touch, ref: LeadReference): Promise<bigint> {
    const key = `ext:${ref.platform}:${ref.externalId}`;
    await this.writes.lockIdentities(touch.subAccountId, [key]);
    const found = await this.writes.match(touch.subAccountId, [key]);
    if (found !== null) return found;
    const stub: LeadInput = { platform: ref.platform, externalId: ref.externalId, source: {} };
    const id = await this.writes.insertLead(
      touch.subAccountId,
      stub,
      normalizeContact(stub, 'US'),
      touch.integrationId,
    );
    await this.writes.addIdentities(touch.subAccountId, id, [key]);
    return id;
  }

  private async region(subAccountId: number): Promise<string> {
    const cached = this.regions.get(subAccountId);
    if (cached && Date.now() - cached.at < 30_000) return cached.region;
    const region = await this.writes.subAccountRegion(subAccountId);
    this.regions.set(subAccountId, { region, at: Date.now() });
    return region;
  }
}
