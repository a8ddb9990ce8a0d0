// Messenger's message_edits item (developers.facebook.com/documentation/business-messaging/messenger-platform/
// webhooks/webhook-events/message-edits), read into an event with its own id per edit.
import { extractMessagingEvents, parseMessagingItem } from './meta-messaging';

const edit = (messageEdit: Record<string, unknown>) => ({
  sender: { id: '6500000000000001' },
  recipient: { id: '1000000000000001' },
  timestamp: 1458668856463,
  message_edit: messageEdit,
});

describe('message_edits', () => {
  it('reads the edited message, its new text and the edit count (an integer, or a string as in Meta’s sample)', () => {
    for (const numEdit of [2, '2']) {
      expect(
        parseMessagingItem(edit({ mid: 'm_1', text: 'new words', num_edit: numEdit }), 'messenger', '1000000000000001'),
      ).toEqual({
        channel: 'messenger',
        accountId: '1000000000000001',
        contactId: '6500000000000001',
        standby: false,
        timestamp: 1458668856463,
        kind: 'edit',
        mid: 'm_1',
        text: 'new words',
        numEdit: 2,
      });
    }
  });

  it('skips an edit without a message id or text; a count that is not a positive integer is left out', () => {
    expect(parseMessagingItem(edit({ text: 'x', num_edit: 1 }), 'messenger', '1')).toBeUndefined();
    expect(parseMessagingItem(edit({ mid: 'm_1', num_edit: 1 }), 'messenger', '1')).toBeUndefined();
    expect(parseMessagingItem(edit({ mid: 'm_1', text: 'x', num_edit: 'many' }), 'messenger', '1')).not.toHaveProperty(
      'numEdit',
    );
  });

  it('stores each edit of a message as its own event, the same edit redelivered as a duplicate', () => {
    const delivery = (numEdit: number) => ({
      object: 'page',
      entry: [{ id: '1000000000000001', time: 1, messaging: [edit({ mid: 'm_1', text: 't', num_edit: numEdit })] }],
    });
    const first = extractMessagingEvents(delivery(1), 'messenger');
    expect(first).toEqual([expect.objectContaining({ externalId: 'edit:m_1:1', eventType: 'edit' })]);
    expect(extractMessagingEvents(delivery(2), 'messenger')[0].externalId).toBe('edit:m_1:2');
    expect(extractMessagingEvents(delivery(1), 'messenger')[0].externalId).toBe(first[0].externalId);
  });
});
