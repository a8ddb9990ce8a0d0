// A real SMTP server on 127.0.0.1 for tests: records and counts what it accepts (FakeSmtpServer.start()).
import type { AddressInfo } from 'node:net';
import { ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** A message as the fake SMTP server received it: the envelope and the parsed MIME message. */
export interface ReceivedMail {
  readonly envelopeFrom: string;
  readonly envelopeTo: string[];
  readonly raw: Buffer;
  readonly parsed: ParsedMail;
}

export interface FakeSmtpOptions {
  /** Require AUTH with these credentials (plain text over loopback, as a dev relay would). */
  readonly auth?: { readonly user: string; readonly pass: string };
  /** Refuse a recipient with this SMTP reply code (e.g. 550 mailbox unavailable, 450 try later). */
  readonly rejectRecipient?: (address: string) => number | undefined;
}

/**
 * A real SMTP server (the `smtp-server` package) on 127.0.0.1 that records every message it
 * accepts, so tests count deliveries and read what was sent. A message is recorded before the
 * server answers the DATA command, so it is there by the time the client's send resolves.
 */
export class FakeSmtpServer {
  readonly messages: ReceivedMail[] = [];

  private constructor(
    private readonly server: SMTPServer,
    readonly port: number,
  ) {}

  static async start(options: FakeSmtpOptions = {}): Promise<FakeSmtpServer> {
    const holder: { self?: FakeSmtpServer } = {};
    const server = new SMTPServer({
      logger: false,
      secure: false,
      disabledCommands: options.auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
      authOptional: !options.auth,
      allowInsecureAuth: true,
      onAuth(auth, _session, callback) {
        if (auth.username === options.auth?.user && auth.password === options.auth?.pass) {
          callback(null, { user: auth.username });
        } else {
          callback(Object.assign(new Error('Authentication failed'), { responseCode: 535 }));
        }
      },
      onRcptTo(address, _session, callback) {
        const code = options.rejectRecipient?.(address.address);
        if (code) callback(Object.assign(new Error(`Recipient ${address.address} refused`), { responseCode: code }));
        else callback();
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('error', (error: Error) => callback(error));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks);
          simpleParser(raw)
            .then((parsed) => {
              holder.self?.messages.push({
                envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
                envelopeTo: session.envelope.rcptTo.map((r) => r.address),
                raw,
                parsed,
              });
              callback();
            })
            .catch((error: Error) => callback(error));
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.server.address() as AddressInfo;
    holder.self = new FakeSmtpServer(server, port);
    return holder.self;
  }

  /** Messages accepted so far. */
  get count(): number {
    return this.messages.length;
  }

  /** `smtp://127.0.0.1:port`, with credentials when given. */
  url(credentials?: { user: string; pass: string }): string {
    const auth = credentials ? `${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.pass)}@` : '';
    return `smtp://${auth}127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
