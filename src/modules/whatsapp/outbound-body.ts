import { recipientOf } from '../../handlers/whatsapp-cloud/whatsapp-cloud.api';
import type { MessageRow } from './messages.repository';

/** The Graph request of an outbound row: the same for single sends and bulk sends. */
export function outboundBody(row: MessageRow): Record<string, unknown> {
  return {
    ...recipientOf(row.recipient ?? ''),
    biz_opaque_callback_data: row.id,
    ...(row.contextWamid ? { context: { message_id: row.contextWamid } } : {}),
    ...(row.type === 'template'
      ? { type: 'template', template: (row.content as { template?: unknown } | null)?.template }
      : { type: 'text', text: { preview_url: /https?:\/\//i.test(row.text ?? ''), body: row.text ?? '' } }),
  };
}
