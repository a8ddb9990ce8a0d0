import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../../common/auth/auth-user';
import { assertCanActOn, listScope, scopeOf } from '../../common/auth/sub-account-scope';
import { DomainException } from '../../common/errors/domain.exception';
import { Page, skipTake, toPage } from '../../common/http/pagination';
import { TransactionRunner } from '../../database/transaction-runner';
import { LeadWriterService } from '../leads/lead-writer.service';
import { canonicalPhone, normalizePhone, phoneMatchKeys, waIdToE164 } from './domain/phone-match';
import type { OptOutScope } from './domain/window';
import { CreateOptOutDto, ListOptOutsQueryDto, OptOutDto } from './dto/opt-out.dto';
import { OptOutRow, OptOutsRepository } from './opt-outs.repository';

export type OptOutSource = 'keyword' | 'user_preferences' | 'error_131050' | 'manual';

export interface Contact {
  waId?: string | null;
  phone?: string | null;
}

function toDto(row: OptOutRow): OptOutDto {
  return {
    id: row.id.toString(),
    subAccountId: row.subAccountId,
    phone: row.phone,
    waId: row.waId,
    scope: row.scope as OptOutScope,
    source: row.source as OptOutSource,
    createdAt: row.createdAt.toISOString(),
  };
}

/** Every E.164 form a contact's number may be stored under (wa_id or phone), canonical first. */
function phoneKeys(contact: Contact): string[] {
  const raw = [contact.phone, contact.waId].filter((v): v is string => !!v);
  const keys = new Set<string>();
  for (const value of raw) for (const key of phoneMatchKeys(value)) keys.add(key);
  return [...keys];
}

/** What add() and delete() lock for a contact: its wa_id and every phone form it may be stored under. */
function lockKeys(contact: Contact): string[] {
  return [...(contact.waId ? [contact.waId] : []), ...phoneKeys(contact)];
}

/** The broader of two scopes. */
function wider(a: OptOutScope | null, b: string): OptOutScope {
  return a === 'all' || b === 'all' ? 'all' : 'marketing';
}

/**
 * The suppression list (API.md "Opt-outs"): keyed per sub-account by wa_id and canonical phone
 * (Brazil's ninth digit and the other variants of phone-match.ts collapse to one key), fed by
 * keywords, Meta's user_preferences webhook, 131050 failures and agents; checked when a send is
 * accepted and again just before it goes out.
 */
@Injectable()
export class WhatsAppOptOutsService {
  constructor(
    private readonly repository: OptOutsRepository,
    private readonly transactions: TransactionRunner,
    private readonly leads: LeadWriterService,
  ) {}

  async scopeFor(subAccountId: number, contact: Contact): Promise<OptOutScope | null> {
    const [scope] = await this.scopesFor(subAccountId, [contact]);
    return scope;
  }

  /** One query for many contacts; the answer in input order ('marketing' | 'all' | null). */
  async scopesFor(subAccountId: number, contacts: readonly Contact[]): Promise<Array<OptOutScope | null>> {
    const keysOf = contacts.map((c) => ({ waId: c.waId ?? null, phones: phoneKeys(c) }));
    const rows = await this.repository.matching(
      subAccountId,
      [...new Set(keysOf.flatMap((k) => (k.waId ? [k.waId] : [])))],
      [...new Set(keysOf.flatMap((k) => k.phones))],
    );
    return keysOf.map((k) => {
      let scope: OptOutScope | null = null;
      for (const row of rows)
        if ((k.waId && row.waId === k.waId) || (row.phone && k.phones.includes(row.phone)))
          scope = wider(scope, row.scope);
      return scope;
    });
  }

  /** Adds (or widens) the contact's entry. */
  async add(
    subAccountId: number,
    contact: Contact,
    scope: OptOutScope,
    source: OptOutSource,
    extra: { integrationId?: number | null; createdBy?: string | null } = {},
  ): Promise<OptOutRow> {
    const phone = this.canonical(contact);
    return this.transactions.run(async () => {
      await this.repository.lockContact(subAccountId, lockKeys(contact));
      const existing = await this.repository.matching(
        subAccountId,
        contact.waId ? [contact.waId] : [],
        phoneKeys(contact),
      );
      const [first, ...others] = existing;
      if (first) {
        const next = wider(first.scope as OptOutScope, scope);
        await this.repository.delete(others.map((o) => o.id));
        return this.repository.update(first.id, {
          scope: next,
          ...(next !== first.scope ? { source } : {}),
          waId: first.waId ?? contact.waId ?? null,
          phone: first.phone ?? phone,
        });
      }
      return this.repository.create({
        subAccountId,
        integrationId: extra.integrationId ?? null,
        waId: contact.waId ?? null,
        phone,
        scope,
        source,
        createdBy: extra.createdBy ?? null,
      });
    });
  }

  /**
   * Removes the contact's entries: every entry for an opt-in keyword, only `marketing` ones for Meta's
   * `resume` (a contact who asked us to stop everything is not resubscribed by a marketing toggle).
   */
  async remove(subAccountId: number, contact: Contact, onlyScope?: OptOutScope): Promise<number> {
    return this.transactions.run(async () => {
      await this.repository.lockContact(subAccountId, lockKeys(contact));
      const rows = await this.repository.matching(subAccountId, contact.waId ? [contact.waId] : [], phoneKeys(contact));
      return this.repository.delete(rows.filter((r) => !onlyScope || r.scope === onlyScope).map((r) => r.id));
    });
  }

  // ---- API

  async list(user: AuthUser, query: ListOptOutsQueryDto): Promise<Page<OptOutDto>> {
    const { rows, total } = await this.repository.list(listScope(user, query.subAccountId), skipTake(query));
    return toPage(rows.map(toDto), total, query);
  }

  async create(user: AuthUser, dto: CreateOptOutDto): Promise<OptOutDto> {
    assertCanActOn(user, dto.subAccountId);
    // a super-admin may name any id: the table has no foreign key to refuse one that names nothing
    if (!(await this.repository.subAccountExists(dto.subAccountId))) throw DomainException.notFound('Sub-account');
    let phone: string | null = null;
    if (dto.phone) {
      phone = normalizePhone(dto.phone, await this.leads.subAccountRegion(dto.subAccountId));
      if (!phone)
        throw DomainException.validation('phone is not a valid number', [
          { field: 'phone', message: 'invalid phone number' },
        ]);
    }
    if (!phone && !dto.waId)
      throw DomainException.validation('give phone or waId', [
        { field: 'phone', message: 'phone or waId is required' },
      ]);
    const row = await this.add(dto.subAccountId, { phone, waId: dto.waId ?? null }, dto.scope, 'manual', {
      createdBy: user.sub,
    });
    return toDto(row);
  }

  async delete(user: AuthUser, id: bigint): Promise<void> {
    const row = await this.repository.find(scopeOf(user), id);
    if (!row) throw DomainException.notFound('Opt-out');
    // under the contact's lock: an add() that found this entry updates it before it goes, never after
    await this.transactions.run(async () => {
      await this.repository.lockContact(row.subAccountId, lockKeys(row));
      await this.repository.delete([row.id]);
    });
  }

  private canonical(contact: Contact): string | null {
    const e164 = contact.phone ?? (contact.waId ? waIdToE164(contact.waId) : null);
    return e164 ? canonicalPhone(e164) : null;
  }
}
