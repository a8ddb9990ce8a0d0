import { Injectable } from '@nestjs/common';
import { OutboundKind, sendPolicy } from '../domain/window';
import type { TemplateCategory } from '../domain/template-rules';
import type { ClaimedRecipient } from './bulk-ledger.repository';
import type { BulkRow } from './bulk.repository';
import type { SkipReason } from './bulk-states';
import { BulkContactsRepository } from './bulk-contacts.repository';

/**
 * Opt-outs and the 24-hour window for a bulk: checked for every recipient when the bulk is accepted
 * and again for each claimed batch just before it is sent (an opt-out that arrived meanwhile wins).
 */
@Injectable()
export class BulkPolicy {
  constructor(private readonly contacts: BulkContactsRepository) {}

  /** Recipients (by canonical phone) that may not be sent this message now, with the reason. */
  async screen(
    subAccountId: number,
    integrationId: number,
    kind: OutboundKind,
    phones: readonly string[],
    now: Date,
  ): Promise<Map<string, SkipReason>> {
    const blocked = new Map<string, SkipReason>();
    if (phones.length === 0) return blocked;
    const optOuts = await this.contacts.optOutScopes(subAccountId, phones);
    const lastInbound =
      kind.type === 'free_form' ? await this.contacts.lastInbound(integrationId, phones) : new Map<string, Date>();
    for (const phone of phones) {
      const decision = sendPolicy({
        kind,
        lastInboundAt: lastInbound.get(phone) ?? null,
        optOut: optOuts.get(phone) ?? null,
        now,
      });
      if (!decision.allowed) blocked.set(phone, decision.skipReason);
    }
    return blocked;
  }

  async blockedNow(bulk: BulkRow, rows: readonly ClaimedRecipient[]): Promise<Map<bigint, SkipReason>> {
    const phones = rows.flatMap((r) => (r.phone ? [r.phone] : []));
    const byPhone = await this.screen(bulk.subAccountId, bulk.integrationId, kindOf(bulk), phones, new Date());
    const blocked = new Map<bigint, SkipReason>();
    for (const r of rows) {
      const reason = r.phone ? byPhone.get(r.phone) : 'noPhone';
      if (reason) blocked.set(r.id, reason);
    }
    return blocked;
  }
}

export function kindOf(bulk: Pick<BulkRow, 'kind' | 'templateCategory'>): OutboundKind {
  return bulk.kind === 'text'
    ? { type: 'free_form' }
    : { type: 'template', category: (bulk.templateCategory ?? 'MARKETING') as TemplateCategory };
}
