import { createHmac } from 'node:crypto';
import type { TestApp } from './test-app';

export function metaSignature(body: string, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(body).digest('hex')}`;
}

export function genericSignature(body: string, secret: string, timestamp: number): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Posts `payload` to a generic-webhook integration's URL, signed as its default scheme signs (timestamped HMAC). */
export function postGeneric(
  t: TestApp,
  integration: { webhookUrl: string; webhookSecret: string },
  payload: unknown,
): ReturnType<TestApp['http']['post']> {
  const body = JSON.stringify(payload);
  const ts = Math.floor(Date.now() / 1000);
  return t.http
    .post(new URL(integration.webhookUrl).pathname)
    .set('content-type', 'application/json')
    .set('x-webhook-timestamp', String(ts))
    .set('x-webhook-signature', genericSignature(body, integration.webhookSecret, ts))
    .send(body);
}

/** A Google Ads lead form delivery (shape of the official test-data capture). */
export function googleLead(
  googleKey: string,
  leadId: string,
  person: { name: string; email?: string; phone?: string },
  extra: Record<string, unknown> = {},
): string {
  const columns = [{ column_name: 'Full Name', string_value: person.name, column_id: 'FULL_NAME' }];
  if (person.email) columns.push({ column_name: 'User Email', string_value: person.email, column_id: 'EMAIL' });
  if (person.phone) columns.push({ column_name: 'User Phone', string_value: person.phone, column_id: 'PHONE_NUMBER' });
  columns.push({ column_name: 'Service', string_value: 'Roofing', column_id: 'SERVICE' });
  return JSON.stringify({
    lead_id: leadId,
    user_column_data: columns,
    api_version: '1.0',
    form_id: 18698608977,
    campaign_id: 991214827,
    google_key: googleKey,
    is_test: false,
    gcl_id: `gcl-${leadId}`,
    adgroup_id: 20000000000,
    creative_id: 30000000000,
    ...extra,
  });
}

/**
 * A Messenger delivery (object "page", Meta's messages webhook shape): one text message a person
 * (`psid`) sends the page now, with a quick reply's payload when given.
 */
export function messengerText(pageId: string, psid: string, mid: string, text: string, quickReply?: string): string {
  const now = Date.now();
  return JSON.stringify({
    object: 'page',
    entry: [
      {
        id: pageId,
        time: now,
        messaging: [
          {
            sender: { id: psid },
            recipient: { id: pageId },
            timestamp: now,
            message: { mid, text, ...(quickReply ? { quick_reply: { payload: quickReply } } : {}) },
          },
        ],
      },
    ],
  });
}

/** A Meta leadgen delivery for one page with one change per lead id. */
export function metaLeadgen(pageId: string, leadIds: string[], formId = '12312312312'): string {
  return JSON.stringify({
    object: 'page',
    entry: [
      {
        id: pageId,
        time: 1438292065,
        changes: leadIds.map((id) => ({
          field: 'leadgen',
          value: {
            leadgen_id: id,
            page_id: pageId,
            form_id: formId,
            adgroup_id: '44',
            ad_id: '55',
            created_time: 1440120384,
          },
        })),
      },
    ],
  });
}

/** Waits until pg-boss job `jobId` (a rebuild's, a report's …) has completed. */
export async function waitForJob(
  sql: { query: (text: string, values: unknown[]) => Promise<{ rowCount: number | null }> },
  jobId: string,
  what = 'the job',
  timeoutMs = 30_000,
): Promise<void> {
  await waitFor(
    async () =>
      (await sql.query("SELECT 1 FROM pgboss.job WHERE id = $1 AND state = 'completed'", [jobId])).rowCount === 1,
    timeoutMs,
    what,
  );
}

export async function waitFor<T>(
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Resolves once no webhook event of the test's database is PENDING or PROCESSING. */
export function eventsSettled(t: TestApp): Promise<true> {
  return waitFor(
    async () =>
      (
        await t.sql.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM webhook_events WHERE status IN ('PENDING','PROCESSING')",
        )
      ).rows[0].n === 0,
    20_000,
    'webhook events processed',
  );
}

/** An event once its processing is over (PROCESSED, or FAILED after its attempts): status, error and attempts. */
export function settledEvent(
  t: TestApp,
  eventId: string,
): Promise<{ status: string; last_error: string | null; attempts: number }> {
  return waitFor(
    async () => {
      const row = (
        await t.sql.query<{ status: string; last_error: string | null; attempts: number }>(
          'SELECT status, last_error, attempts FROM webhook_events WHERE id = $1',
          [eventId],
        )
      ).rows[0];
      return row && (row.status === 'PROCESSED' || row.status === 'FAILED') ? row : undefined;
    },
    20_000,
    `event ${eventId} to settle`,
  );
}

export async function eventStatuses(t: TestApp, integrationId: number): Promise<string[]> {
  const res = await t.sql.query<{ status: string }>(
    'SELECT status FROM webhook_events WHERE integration_id = $1 ORDER BY id',
    [integrationId],
  );
  return res.rows.map((r) => r.status);
}

/** How many webhook-process jobs name the event (one per store or replay; pg-boss keeps them after they finish). */
export async function jobsOfEvent(t: TestApp, eventId: string): Promise<number> {
  const res = await t.sql.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'webhook-process' AND data->>'eventId' = $1",
    [eventId],
  );
  return res.rows[0].n;
}

/**
 * Puts an integration in the state a passed connection test leaves it in (status "active",
 * isActive), for tests about what happens to deliveries once it is live. Through the API this takes
 * POST /api/integrations/:id/test against the provider (fakes); the security and integrations specs
 * test that path itself, and that PATCH isActive: true alone is refused (409) before a passed test.
 */
export async function activate(t: TestApp, subAccountId: number, integrationId: number): Promise<void> {
  const res = await t.sql.query(
    "UPDATE integrations SET status = 'active', is_active = true, error_message = NULL WHERE id = $1 AND sub_account_id = $2",
    [integrationId, subAccountId],
  );
  if (res.rowCount !== 1) throw new Error(`activate: no integration ${integrationId} in sub-account ${subAccountId}`);
}
