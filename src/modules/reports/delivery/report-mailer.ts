// Sends a generated report by e-mail through SMTP (API.md "Reports": SMTP_URL, MAIL_FROM; the signed
// link always, the file attached only when it is under 5 MB). A thin wrapper over nodemailer that
// validates recipients before anything is sent (no header injection), escapes what it puts in HTML,
// lets the caller fix the Message-ID (the same id on a retried delivery lets mail systems drop the
// duplicate), and turns SMTP failures into MailDeliveryError with a permanent/transient verdict for
// the retry policy — never with the SMTP credentials in its message.
//
// Usage: const mailer = new ReportMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom });
//        await mailer.sendReport({ to, reportName, periodLabel, downloadUrl, linkExpiresAt, timezone, attachment });

import { stat } from 'node:fs/promises';
import nodemailer from 'nodemailer';
import { formatLocalMinute, toLocalDateTime } from '../../analytics/time/time-zone';
import { isMailableAddress } from './mail-address';

export const MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024;
const MAX_RECIPIENTS = 50;

export interface ReportMailerOptions {
  /** smtp://user:pass@host:587 or smtps://…:465 */
  readonly smtpUrl: string;
  /** `reports@example.com` or `Reports <reports@example.com>` */
  readonly from: string;
  readonly maxAttachmentBytes?: number;
}

export interface ReportEmail {
  readonly to: readonly string[];
  readonly reportName: string;
  readonly periodLabel: string;
  readonly downloadUrl: string;
  readonly linkExpiresAt: Date;
  /** The sub-account's IANA zone: the link's expiry is shown on its wall clock (UTC when absent). */
  readonly timezone?: string;
  readonly attachment?: { readonly filePath: string; readonly fileName: string; readonly contentType: string };
  /** `<report-…@host>`: the same for every attempt at the same delivery. */
  readonly messageId?: string;
}

export interface ReportEmailResult {
  readonly messageId: string;
  readonly attached: boolean;
  readonly accepted: readonly string[];
  readonly rejected: readonly string[];
}

/** A send that failed. `permanent` (an SMTP 5xx) means retrying the same message will not help. */
export class MailDeliveryError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly responseCode: number | undefined,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = 'MailDeliveryError';
  }
}

export class ReportMailer {
  private readonly transport: SmtpTransport;
  private readonly maxAttachmentBytes: number;

  constructor(private readonly options: ReportMailerOptions) {
    let url: URL;
    try {
      url = new URL(options.smtpUrl);
    } catch {
      throw new RangeError('SMTP_URL is not a URL'); // the value may hold a password: not echoed
    }
    if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:')
      throw new RangeError('SMTP_URL must be smtp:// or smtps://');
    if (!isMailableAddress(addressOf(options.from))) throw new RangeError('MAIL_FROM is not an e-mail address');
    this.maxAttachmentBytes = options.maxAttachmentBytes ?? MAX_ATTACHMENT_BYTES;
    this.transport = smtpTransport(options.smtpUrl);
  }

  /** Sends one report e-mail to all recipients. Throws MailDeliveryError when nobody accepted it. */
  async sendReport(email: ReportEmail): Promise<ReportEmailResult> {
    const to = recipients(email.to);
    const attachment =
      email.attachment && (await this.attachable(email.attachment.filePath)) ? email.attachment : undefined;
    const subject = oneLine(`Report: ${email.reportName} (${email.periodLabel})`);
    try {
      const info = await this.transport.sendMail({
        from: this.options.from,
        to,
        subject,
        messageId: email.messageId,
        text: textBody(email, Boolean(attachment)),
        html: htmlBody(email, Boolean(attachment)),
        attachments: attachment
          ? [{ filename: attachment.fileName, path: attachment.filePath, contentType: attachment.contentType }]
          : [],
      });
      return {
        messageId: info.messageId,
        attached: Boolean(attachment),
        accepted: info.accepted.map(String),
        rejected: info.rejected.map(String),
      };
    } catch (error) {
      throw this.deliveryError(error);
    }
  }

  /** Closes pooled connections (none by default); call on shutdown. */
  close(): void {
    this.transport.close();
  }

  private async attachable(filePath: string): Promise<boolean> {
    const size = (await stat(filePath)).size;
    return size < this.maxAttachmentBytes;
  }

  private deliveryError(error: unknown): MailDeliveryError {
    const e = (typeof error === 'object' && error !== null ? error : {}) as {
      code?: unknown;
      responseCode?: unknown;
      message?: unknown;
    };
    const code = typeof e.code === 'string' ? e.code : undefined;
    const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
    // RFC 5321 §4.2.1: 5yz replies are permanent failures, 4yz transient; no reply (network) is transient.
    const permanent = responseCode !== undefined && responseCode >= 500 && responseCode < 600;
    const detail = typeof e.message === 'string' ? redact(e.message, this.options.smtpUrl) : 'unknown error';
    return new MailDeliveryError(
      `Report e-mail not sent (${code ?? 'error'}): ${detail}`,
      code,
      responseCode,
      permanent,
    );
  }
}

type SmtpTransport = ReturnType<typeof smtpTransport>;

function smtpTransport(smtpUrl: string) {
  // A URL selects nodemailer's SMTP transport (and its typed overload).
  return nodemailer.createTransport(smtpUrl);
}

function recipients(to: readonly string[]): string[] {
  const seen = new Set<string>();
  // The same address in another case is one mailbox in practice: the first spelling is kept.
  const unique = to.filter((address) => !seen.has(address.toLowerCase()) && seen.add(address.toLowerCase()));
  if (unique.length === 0 || unique.length > MAX_RECIPIENTS)
    throw new RangeError(`A report goes to 1 to ${MAX_RECIPIENTS} recipients`);
  const bad = unique.filter((address) => !isMailableAddress(address));
  if (bad.length > 0)
    throw new RangeError(`Not an e-mail address: ${bad.map((b) => JSON.stringify(b.slice(0, 80))).join(', ')}`);
  return unique;
}

function addressOf(from: string): string {
  const match = /<([^<>]+)>\s*$/.exec(from);
  return (match ? match[1] : from).trim();
}

function textBody(email: ReportEmail, attached: boolean): string {
  return [
    `Your report "${email.reportName}" for ${email.periodLabel} is ready.`,
    '',
    `Download it (link valid until ${expiryLabel(email)}):`,
    email.downloadUrl,
    '',
    attached ? 'The file is also attached to this message.' : 'The file is too large to attach; use the link above.',
  ].join('\n');
}

function htmlBody(email: ReportEmail, attached: boolean): string {
  const href = escapeHtml(email.downloadUrl);
  return [
    `<p>Your report <strong>${escapeHtml(email.reportName)}</strong> for ${escapeHtml(email.periodLabel)} is ready.</p>`,
    `<p><a href="${href}">Download the report</a> (link valid until ${escapeHtml(expiryLabel(email))}).</p>`,
    `<p>${attached ? 'The file is also attached to this message.' : 'The file is too large to attach; use the link above.'}</p>`,
  ].join('\n');
}

/** `2024-04-02 05:00 (America/Sao_Paulo)`: when the link stops working, as the reader's clock shows it. */
function expiryLabel(email: ReportEmail): string {
  const zone = email.timezone ?? 'UTC';
  return `${formatLocalMinute(toLocalDateTime(email.linkExpiresAt, zone))} (${zone})`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function oneLine(text: string): string {
  return text.replace(/[\r\n\t]+/g, ' ').slice(0, 200);
}

/** Removes the SMTP password (and user) from a message, in case a library echoes the URL. */
function redact(message: string, smtpUrl: string): string {
  const url = new URL(smtpUrl);
  let clean = message;
  for (const secret of [
    url.password,
    decodeURIComponent(url.password),
    url.username,
    decodeURIComponent(url.username),
  ]) {
    if (secret.length >= 3) clean = clean.split(secret).join('***');
  }
  return clean;
}
