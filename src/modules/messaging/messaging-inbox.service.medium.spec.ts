import { createMediumApp, MediumApp, seedIntegration } from '../../../test/support/medium-app';
import { TransactionRunner } from '../../database/transaction-runner';
import type { MessagingEvent } from '../../handlers/shared/meta-messaging';
import { MessagingInboxRepository } from './messaging-inbox.repository';
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

  // the reaction's transaction holds the message's lock and then reopens the conversation's window; the
  // message's took the conversation's row first and then waited for the lock: a deadlock, one of them
  // aborted. Every path now takes the message's lock before any row.
  it('a reaction and the message it reacts to, applied at the same time, both land without a deadlock', async () => {
    const origin = await seedIntegration(m.sql, 'facebook-messenger');
    const inbox = m.app.get(MessagingInboxService);
    const repository = m.app.get(MessagingInboxRepository);
    const transactions = m.app.get(TransactionRunner);
    const base = { channel: 'messenger', accountId: 'page-1', contactId: 'psid-race-2', standby: false } as const;
    const first: MessagingEvent = { ...base, kind: 'message', mid: 'm_race_2a', text: 'hi', attachments: [] };
    await transactions.runSql(() =>
      inbox.apply(origin, { ...first, timestamp: Date.now() - 120_000 }, null, new Date()),
    );

    const reaction: MessagingEvent = { ...base, kind: 'reaction', mid: 'm_race_2b', action: 'react', emoji: '👍' };
    const message: MessagingEvent = { ...base, kind: 'message', mid: 'm_race_2b', text: 'second', attachments: [] };
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let locked: () => void = () => undefined;
    const lockHeld = new Promise<void>((resolve) => (locked = resolve));
    const reacting = transactions.runSql(async () => {
      await repository.lockMessage(origin.integrationId, 'm_race_2b');
      locked();
      await gate;
      await inbox.apply(origin, { ...reaction, timestamp: Date.now() }, null, new Date());
    });
    await lockHeld;
    const writing = transactions.runSql(() =>
      inbox.apply(origin, { ...message, timestamp: Date.now() - 60_000 }, null, new Date()),
    );
    // the message's transaction gets as far as it can before the reaction goes on
    await new Promise((resolve) => setTimeout(resolve, 300));
    release();
    const outcomes = await Promise.allSettled([reacting, writing]);
    expect(outcomes.map((o) => (o.status === 'rejected' ? String(o.reason) : 'ok'))).toEqual(['ok', 'ok']);

    const rows = await m.sql.query<{ emoji: string | null }>(
      "SELECT content->'reaction'->>'emoji' AS emoji FROM messages WHERE integration_id = $1 AND wamid = $2",
      [origin.integrationId, 'm_race_2b'],
    );
    expect(rows.rows).toEqual([{ emoji: '👍' }]);
  });
});
