import { Inject, Injectable, Optional } from '@nestjs/common';
import type { AuthUser } from '../../common/auth/auth-user';
import { assertCanActOn } from '../../common/auth/sub-account-scope';
import { Clock, CLOCK, systemClock } from '../../common/clock';
import { AnalyticsRowsService } from '../analytics/analytics-rows.service';
import { boundsOrDefault, MAX_QUERY_DAYS, resolveDateRange } from '../analytics/time/date-range';
import { localDateOf } from '../analytics/time/time-zone';
import { ConversationsRepository } from './conversations.repository';
import { WhatsAppAnalyticsDto, WhatsAppAnalyticsQueryDto } from './dto/analytics.dto';
import { MessagesRepository } from './messages.repository';
import { OptOutsRepository } from './opt-outs.repository';

/** The default range: the last 30 local days, today included. */
const DEFAULT_DAYS = 30;

const rate = (n: number, d: number) => (d === 0 ? 0 : n / d);

/**
 * GET /api/whatsapp/analytics: counts from the messages, conversations and opt-outs of the range.
 * A message counts as sent once Meta accepted it (sent, delivered or read), delivered once it
 * reached the phone (delivered or read). `from`/`to` are read as the analytics routes read them:
 * a date is a whole day in the sub-account's time zone, an instant must carry its offset.
 */
@Injectable()
export class WhatsAppAnalyticsService {
  constructor(
    private readonly messages: MessagesRepository,
    private readonly conversations: ConversationsRepository,
    private readonly optOuts: OptOutsRepository,
    private readonly reader: AnalyticsRowsService,
    @Optional() @Inject(CLOCK) private readonly clock: Clock = systemClock,
  ) {}

  async get(user: AuthUser, query: WhatsAppAnalyticsQueryDto): Promise<WhatsAppAnalyticsDto> {
    assertCanActOn(user, query.subAccountId);
    const zone = await this.reader.timezoneOf(query.subAccountId);
    const today = localDateOf(this.clock.now(), zone);
    const [fromBound, toBound] = boundsOrDefault(query.from, query.to, today, zone, DEFAULT_DAYS);
    const range = resolveDateRange(fromBound, toBound, zone, { maxDays: MAX_QUERY_DAYS });
    // the repositories count BETWEEN two instants, both included: the range's end is exclusive
    const from = range.start;
    const to = new Date(range.end.getTime() - 1);
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
      const key = pricingBucket(p.category);
      if (key) pricing[key] += p.n;
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

/**
 * The bucket of byPricingCategory a message's pricing.category (status webhooks, lower-cased) counts
 * in. Meta also reports `authentication-international` (authentication sent to another country's
 * number, its own rate) and `marketing_lite` (marketing sent through the Marketing Messages API): the
 * same kinds of message, so they count with authentication and marketing. Anything else (a free
 * `referral_conversion` entry point, a category Meta adds later) is none of the four.
 */
export function pricingBucket(category: string): 'marketing' | 'utility' | 'authentication' | 'service' | null {
  if (category.startsWith('authentication')) return 'authentication';
  if (category.startsWith('marketing')) return 'marketing';
  return category === 'utility' || category === 'service' ? category : null;
}
