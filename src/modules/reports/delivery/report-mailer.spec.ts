// The report mailer against a real SMTP server on 127.0.0.1 (test/support/fake-smtp.ts) that counts messages.
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeSmtpServer } from '../../../../test/support/fake-smtp';
import { MAX_ATTACHMENT_BYTES, MailDeliveryError, ReportEmail, ReportMailer } from './report-mailer';

const LINK =
  'https://hub.example.com/api/reports/77/download?expires=1712044800&signature=' + 'Ab-_'.repeat(10) + 'xyz';
const CREDENTIALS = { user: 'reports', pass: 's3cr3t-P@ss/word' };

function email(overrides: Partial<ReportEmail> = {}): ReportEmail {
  return {
    to: ['manager@example.com'],
    reportName: 'Weekly funnel — Σοφία & <team>',
    periodLabel: '2024-03-04 – 2024-03-10',
    downloadUrl: LINK,
    linkExpiresAt: new Date('2024-04-02T08:00:00Z'),
    ...overrides,
  };
}

async function failure(promise: Promise<unknown>): Promise<MailDeliveryError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof MailDeliveryError) return error;
    throw error;
  }
  throw new Error('expected the send to fail');
}

describe('ReportMailer', () => {
  let smtp: FakeSmtpServer;
  let dir: string;
  let mailer: ReportMailer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'report-mail-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    mailer?.close();
    await smtp?.stop();
  });

  it('mails the link and attaches a small file, once', async () => {
    smtp = await FakeSmtpServer.start();
    mailer = new ReportMailer({ smtpUrl: smtp.url(), from: 'Integration Hub <reports@hub.example.com>' });
    const filePath = join(dir, 'small.xlsx');
    await writeFile(filePath, Buffer.from('PK fake xlsx bytes'));
    const result = await mailer.sendReport(
      email({
        to: ['manager@example.com', 'Manager@Example.com', 'owner@example.com'],
        attachment: { filePath, fileName: 'funnel-2024-W10.xlsx', contentType: 'application/vnd.ms-excel' },
        messageId: '<report-5-2024-W10@hub.example.com>',
      }),
    );
    expect(result).toMatchObject({
      attached: true,
      accepted: ['manager@example.com', 'owner@example.com'], // the same address twice is sent once
      rejected: [],
      messageId: '<report-5-2024-W10@hub.example.com>',
    });
    expect(smtp.count).toBe(1);
    const [mail] = smtp.messages;
    expect(mail.envelopeFrom).toBe('reports@hub.example.com');
    expect(mail.envelopeTo).toEqual(['manager@example.com', 'owner@example.com']);
    expect(mail.parsed.messageId).toBe('<report-5-2024-W10@hub.example.com>');
    expect(mail.parsed.subject).toBe('Report: Weekly funnel — Σοφία & <team> (2024-03-04 – 2024-03-10)');
    expect(mail.parsed.text).toContain(LINK);
    expect(mail.parsed.html).toContain(`href="${LINK.replace(/&/g, '&#38;')}"`); // & escaped inside HTML
    expect(mail.parsed.html).toContain('Weekly funnel — Σοφία &#38; &#60;team&#62;'); // escaped, not markup
    expect(mail.parsed.attachments.map((a) => [a.filename, a.content.toString()])).toEqual([
      ['funnel-2024-W10.xlsx', 'PK fake xlsx bytes'],
    ]);
  });

  it("shows the link's expiry on the sub-account's clock, with the zone's name (UTC when none is given)", async () => {
    smtp = await FakeSmtpServer.start();
    mailer = new ReportMailer({ smtpUrl: smtp.url(), from: 'reports@hub.example.com' });
    await mailer.sendReport(email({ timezone: 'America/Sao_Paulo' })); // 08:00Z is 05:00 there (UTC-3)
    await mailer.sendReport(email({ timezone: 'Asia/Kolkata' })); // 13:30 (UTC+5:30)
    await mailer.sendReport(email());
    const [saoPaulo, kolkata, utc] = smtp.messages;
    expect(saoPaulo.parsed.text).toContain('link valid until 2024-04-02 05:00 (America/Sao_Paulo)');
    expect(saoPaulo.parsed.html).toContain('link valid until 2024-04-02 05:00 (America/Sao_Paulo)');
    expect(kolkata.parsed.text).toContain('link valid until 2024-04-02 13:30 (Asia/Kolkata)');
    expect(utc.parsed.text).toContain('link valid until 2024-04-02 08:00 (UTC)');
    expect(utc.parsed.text).not.toContain('2024-04-02T08:00:00.000Z');
  });

  it('sends only the link when the file is 5 MB or more', async () => {
    smtp = await FakeSmtpServer.start();
    mailer = new ReportMailer({ smtpUrl: smtp.url(), from: 'reports@hub.example.com' });
    const filePath = join(dir, 'big.pdf');
    await writeFile(filePath, '');
    await truncate(filePath, MAX_ATTACHMENT_BYTES); // exactly 5 MiB: not under the limit
    const result = await mailer.sendReport(
      email({ attachment: { filePath, fileName: 'big.pdf', contentType: 'application/pdf' } }),
    );
    expect(result.attached).toBe(false);
    expect(smtp.count).toBe(1);
    expect(smtp.messages[0].parsed.attachments).toEqual([]);
    expect(smtp.messages[0].parsed.text).toContain('too large to attach');
    expect(smtp.messages[0].parsed.text).toContain(LINK);
  });

  it('attaches strictly below the limit', async () => {
    smtp = await FakeSmtpServer.start();
    mailer = new ReportMailer({ smtpUrl: smtp.url(), from: 'reports@hub.example.com', maxAttachmentBytes: 1000 });
    const filePath = join(dir, 'edge.pdf');
    await writeFile(filePath, Buffer.alloc(999, 1));
    expect(
      (await mailer.sendReport(email({ attachment: { filePath, fileName: 'a.pdf', contentType: 'application/pdf' } })))
        .attached,
    ).toBe(true);
    await writeFile(filePath, Buffer.alloc(1000, 1));
    expect(
      (await mailer.sendReport(email({ attachment: { filePath, fileName: 'a.pdf', contentType: 'application/pdf' } })))
        .attached,
    ).toBe(false);
    expect(smtp.count).toBe(2);
  });

  it('authenticates with the credentials in SMTP_URL and never repeats the password in an error', async () => {
    smtp = await FakeSmtpServer.start({ auth: CREDENTIALS });
    mailer = new ReportMailer({ smtpUrl: smtp.url(CREDENTIALS), from: 'reports@hub.example.com' });
    await mailer.sendReport(email());
    expect(smtp.count).toBe(1);
    mailer.close();

    mailer = new ReportMailer({
      smtpUrl: smtp.url({ ...CREDENTIALS, pass: 'wrong-Passw0rd' }),
      from: 'reports@hub.example.com',
    });
    const error = await failure(mailer.sendReport(email()));
    expect(error).toMatchObject({ code: 'EAUTH', responseCode: 535, permanent: true });
    expect(JSON.stringify({ message: error.message, stack: error.stack })).not.toContain('wrong-Passw0rd');
    expect(smtp.count).toBe(1);
  });

  it('reports refused recipients, and fails permanently when every recipient is refused', async () => {
    smtp = await FakeSmtpServer.start({
      rejectRecipient: (a) => (a.startsWith('gone') ? 550 : a.startsWith('busy') ? 450 : undefined),
    });
    mailer = new ReportMailer({ smtpUrl: smtp.url(), from: 'reports@hub.example.com' });
    const partly = await mailer.sendReport(email({ to: ['gone@example.com', 'manager@example.com'] }));
    expect(partly.accepted).toEqual(['manager@example.com']);
    expect(partly.rejected).toEqual(['gone@example.com']);
    expect(smtp.messages[0].envelopeTo).toEqual(['manager@example.com']);
    expect(await failure(mailer.sendReport(email({ to: ['gone@example.com'] })))).toMatchObject({
      code: 'EENVELOPE',
      permanent: true,
    });
    expect(await failure(mailer.sendReport(email({ to: ['busy@example.com'] })))).toMatchObject({
      code: 'EENVELOPE',
      permanent: false,
    });
    expect(smtp.count).toBe(1);
  });

  it('treats an unreachable server as a transient failure', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as { port: number };
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    smtp = await FakeSmtpServer.start();
    mailer = new ReportMailer({
      smtpUrl: `smtp://user:hunter2-secret@127.0.0.1:${port}`,
      from: 'reports@hub.example.com',
    });
    const error = await failure(mailer.sendReport(email()));
    expect(error.permanent).toBe(false);
    expect(error.message).not.toContain('hunter2-secret');
  });

  it('refuses header injection, bad addresses and bad configuration before connecting', async () => {
    smtp = await FakeSmtpServer.start();
    mailer = new ReportMailer({ smtpUrl: smtp.url(), from: 'reports@hub.example.com' });
    for (const to of [
      ['manager@example.com\r\nBcc: spy@evil.example'],
      ['Spy <spy@evil.example>'],
      ['a@b'],
      [],
      Array.from({ length: 51 }, (_, i) => `u${i}@example.com`),
    ])
      await expect(mailer.sendReport(email({ to }))).rejects.toThrow(RangeError);
    expect(smtp.count).toBe(0);
    const subject = await mailer.sendReport(email({ reportName: 'Funnel\r\nBcc: spy@evil.example' }));
    expect(subject.accepted).toEqual(['manager@example.com']);
    expect(smtp.messages[0].parsed.bcc).toBeUndefined();
    expect(smtp.messages[0].parsed.subject).toBe('Report: Funnel Bcc: spy@evil.example (2024-03-04 – 2024-03-10)');

    expect(() => new ReportMailer({ smtpUrl: 'http://user:pw-secret@host', from: 'a@example.com' })).toThrow('smtp://');
    expect(() => new ReportMailer({ smtpUrl: 'not a url pw-secret', from: 'a@example.com' })).toThrow(
      /^SMTP_URL is not a URL$/,
    );
    expect(() => new ReportMailer({ smtpUrl: smtp.url(), from: 'nobody' })).toThrow('MAIL_FROM');
  });
});
