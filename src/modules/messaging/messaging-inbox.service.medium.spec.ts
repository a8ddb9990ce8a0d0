import { createMediumApp, MediumApp, seedIntegration } from '../../../test/support/medium-app';
import { TransactionRunner } from '../../database/transaction-runner';
import type { MessagingEvent } from '../../handlers/shared/meta-messaging';
import { MessagingInboxService } from './messaging-inbox.service';

// Meta does not order its deliveries, and two workers may apply a message and its edit at the same time:
// the edit finding no message (so holding itself) while the message finds no held edit (not committed
// yet) would lose the edit. A lock per message orders the two.
describe('MessagingInboxService: an edit and its message applied at the same time', () => {
  let m: MediumApp;

  beforeAll(async () => {
    m = await createMediumApp();
  });
  afterAll(() => m?.close());

  it('the message waits for the transaction holding its edit, then applies the edit', async () => {
    const origin = await seedIntegration(m.sql, 'facebook-messenger');
    const inbox = m.app.get(MessagingInboxService);
    const transactions = m.app.get(TransactionRunner);
    const base = { channel: 'messenger', accountId: 'page-1', contactId: 'psid-race-1', standby: false } as const;
    const edit: MessagingEvent = { ...base, kind: 'edit', mid: 'm_race_1', text: 'edited', numEdit: 1 };
    const message: MessagingEvent = { ...base, kind: 'message', mid: 'm_race_1', text: 'original', attachments: [] };

    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let held: () => void = () => undefined;
    const editHeld = new Promise<void>((resolve) => (held = resolve));
    // the edit is applied (the message is not there: it is held) and its transaction stays open
    const editing = transactions.runSql(async () => {
      await inbox.apply(origin, { ...edit, timestamp: Date.now() }, null, new Date());
      held();
      await gate;
    });
    await editHeld;
    let messageDone = false;
    const writing = transactions
      .runSql(() => inbox.apply(origin, { ...message, timestamp: Date.now() - 60_000 }, null, new Date()))
      .then(() => {
        messageDone = true;
      });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(messageDone).toBe(false);
    release();
    await Promise.all([editing, writing]);

    const rows = await m.sql.query('SELECT text FROM messages WHERE integration_id = $1 AND wamid = $2', [
      origin.integrationId,
      'm_race_1',
    ]);
    expect(rows.rows).toEqual([{ text: 'edited' }]);
    const left = await m.sql.query('SELECT 1 FROM messaging_held_actions WHERE integration_id = $1', [
      origin.integrationId,
    ]);
    expect(left.rows).toEqual([]);
  });
});
