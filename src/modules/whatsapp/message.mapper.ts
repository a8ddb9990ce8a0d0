import type { MessageDto } from './dto/message.dto';
import type { MessageRow } from './messages.repository';

const iso = (d: Date | null) => d?.toISOString() ?? null;

export function toMessageDto(row: MessageRow): MessageDto {
  return {
    id: row.id,
    subAccountId: row.subAccountId,
    conversationId: row.conversationId.toString(),
    leadId: row.leadId?.toString() ?? null,
    integrationId: row.integrationId,
    channel: row.channel,
    direction: row.direction,
    type: row.type,
    text: row.text,
    template:
      row.templateName && row.templateLanguage ? { name: row.templateName, language: row.templateLanguage } : null,
    media: row.mediaId ? { id: row.mediaId, mimeType: row.mediaMimeType, caption: row.mediaCaption } : null,
    content: row.direction === 'inbound' ? row.content : null,
    status: row.status,
    error:
      row.status === 'failed' || row.errorTitle
        ? { code: row.errorCode, title: row.errorTitle ?? 'Failed', details: row.errorDetails }
        : null,
    wamid: row.wamid,
    sentBy: row.sentBy,
    sentAt: iso(row.sentAt),
    deliveredAt: iso(row.deliveredAt),
    readAt: iso(row.readAt),
    failedAt: iso(row.failedAt),
    receivedAt: iso(row.receivedAt),
    pricing: row.pricingCategory ? { category: row.pricingCategory, type: row.pricingType } : null,
    bulkId: row.bulkJobId?.toString() ?? null,
    replyToMessageId: row.replyToMessageId,
    createdAt: row.createdAt.toISOString(),
  };
}
