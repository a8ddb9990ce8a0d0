import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../../common/auth/auth-user';
import { assertCanActOn } from '../../common/auth/sub-account-scope';
import { DomainException } from '../../common/errors/domain.exception';
import { ConversationsRepository } from './conversations.repository';
import { WhatsAppAnalyticsDto, WhatsAppAnalyticsQueryDto } from './dto/analytics.dto';
import { MessagesRepository } from './messages.repository';
import { OptOutsRepository } from './opt-outs.repository';

const DAY_MS = 24 * 3600 * 1000;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

function parseBound(value: string | undefined, end: boolean, fallback: Date): Date {
  if (!value) return fallback;
  const date = DATE_ONLY.test(value) ? new Date(`${value}T00:00:00.000Z`) : new Date(value);
  if (Number.isNaN(date.getTime()))
    throw DomainException.validation('from/to must be YYYY-MM-DD or ISO-8601', [
      { field: end ? 'to' : 'from', message: 'invalid date' },
    ]);
  return DATE_ONLY.test(value) && end ? new Date(date.getTime() + DAY_MS - 1) : date;
}

const rate = (n: number, d: number) => (d === 0 ? 0 : n / d);

/**
 * GET /api/whatsapp/analytics: counts from the messages, conversations and opt-outs of the range.
 * A message counts as sent once Meta accepted it (sent, delivered or read), delivered once it
 * reached the phone (delivered or read). Day bounds are UTC days (UNCONFIRMED against the
 * sub-account time zone rule of the analytics section: the analytics issue owns that conversion).
 */
@Injectable()
export class WhatsAppAnalyticsService {
  constructor(
    private readonly messages: MessagesRepository,
    private readonly conversations: ConversationsRepository,
    private readonly optOuts: OptOutsRepository,
  ) {}

  async get(user: AuthUser, query: WhatsAppAnalyticsQueryDto): Promise<WhatsAppAnalyticsDto> {
    assertCanActOn(user, query.subAccountId);
    const now = new Date();
    const to = parseBound(query.to, true, now);
    const from = parseBound(query.from, false, new Date(to.getTime() - 30 * DAY_MS));
    if (from > to) throw DomainException.validation('from is after to', [{ field: 'from', message: 'after to' }]);
    const facts = await this.messages.analytics(query.subAccountId, from, to);
    const count = (statuses: string[]) =>
      facts.byStatus.filter((s) => statuses.includes(s.status)).reduce((sum, s) => sum + s.n, 0);
    const sent = count(['sent', 'delivered', 'read']);
    const delivered = count(['delivered', 'read']);
    const read = count(['read']);
    const failed = count(['failed']);
    const conv = await this.conversations.countForAnalytics(query.subAccountId, from, to);
    const templates = new Map<
      string,
      { templateId: string | null; name: string; sent: number; delivered: number; read: number; failed: number }
    >();
    for (const t of facts.byTemplate) {
      const key = `${t.template_id ?? ''}|${t.name ?? ''}`;
      const entry = templates.get(key) ?? {
        templateId: t.template_id,
        name: t.name ?? '',
        sent: 0,
        delivered: 0,
        read: 0,
        failed: 0,
      };
      if (['sent', 'delivered', 'read'].includes(t.status)) entry.sent += t.n;
      if (['delivered', 'read'].includes(t.status)) entry.delivered += t.n;
      if (t.status === 'read') entry.read += t.n;
      if (t.status === 'failed') entry.failed += t.n;
      templates.set(key, entry);
    }
    const pricing = { marketing: 0, utility: 0, authentication: 0, service: 0 };
    for (const p of facts.byPricing) {
      const key = p.category.startsWith('authentication') ? 'authentication' : p.category;
      if (key === 'marketing' || key === 'utility' || key === 'authentication' || key === 'service')
        pricing[key] += p.n;
    }
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      sent,
      delivered,
      read,
      failed,
      deliveryRate: rate(delivered, sent),
      readRate: rate(read, delivered),
      inbound: facts.inbound,
      conversations: conv.total,
      linkedConversations: conv.linked,
      conversationToLeadRate: rate(conv.captured, conv.total),
      optOuts: await this.optOuts.count(query.subAccountId, from, to),
      byTemplate: [...templates.values()].sort((a, b) => b.sent - a.sent || a.name.localeCompare(b.name)),
      byPricingCategory: pricing,
    };
  }
}
