// The smoke's journey through a running service (scripts/node-matrix.ts): a sub-account, a
// generic-webhook integration that passes its connection test, a signed delivery that becomes a lead.
import { createHmac, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { sign } from 'jsonwebtoken';

interface Answer {
  status: number;
  body: unknown;
}

async function http(
  base: string,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) as unknown };
  } catch {
    return { status: res.status, body: text };
  }
}

function expectStatus<T>(res: Answer, status: number, what: string): T {
  if (res.status !== status) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
  return res.body as T;
}

/** Sub-account → generic-webhook integration → connection test → signed delivery → lead. */
export async function webhookRoundTrip(base: string, secret: string): Promise<void> {
  const token = (role: string, subAccountIds: number[]): string =>
    sign({ sub: `node-matrix-${role.toLowerCase()}`, role, subAccountIds }, secret, {
      algorithm: 'HS256',
      expiresIn: 600,
    });
  const superAdmin = token('SUPER_ADMIN', []);
  const sub = expectStatus<{ id: number }>(
    await http(base, 'POST', '/api/sub-accounts', superAdmin, { name: 'Node matrix', tier: 'PRO' }),
    201,
    'create sub-account',
  );
  const admin = token('ADMIN', [sub.id]);
  const templates = expectStatus<{ items: { id: number; handler: string }[] }>(
    await http(base, 'GET', '/api/integration-templates', superAdmin),
    200,
    'templates',
  );
  const generic = templates.items.find((t) => t.handler === 'generic-webhook');
  if (!generic) throw new Error('no generic-webhook template (seed did not run?)');
  const integration = expectStatus<{ id: number; webhookSecret: string; webhookUrl: string }>(
    await http(base, 'POST', '/api/integrations', admin, {
      subAccountId: sub.id,
      integrationTemplateId: generic.id,
      name: 'node matrix',
      config: { mapping: { fullName: '/name', email: '/email' }, externalIdPointer: '/id' },
    }),
    201,
    'create integration',
  );
  const tested = expectStatus<{ success: boolean }>(
    await http(base, 'POST', `/api/integrations/${integration.id}/test`, admin),
    200,
    'connection test',
  );
  if (tested.success !== true) throw new Error(`connection test: ${JSON.stringify(tested)}`);
  const email = `ada-${randomBytes(4).toString('hex')}@example.com`;
  const body = JSON.stringify({ id: `nm-${Date.now()}`, name: 'Ada Lovelace', email });
  const ts = Math.floor(Date.now() / 1000);
  const signature = `sha256=${createHmac('sha256', integration.webhookSecret).update(`${ts}.${body}`).digest('hex')}`;
  const path = new URL(integration.webhookUrl).pathname;
  const received = await http(base, 'POST', path, undefined, body, {
    'content-type': 'application/json',
    'x-webhook-timestamp': String(ts),
    'x-webhook-signature': signature,
  });
  expectStatus(received, 200, 'signed delivery');
  const unsigned = await http(base, 'POST', path, undefined, body, { 'content-type': 'application/json' });
  if (unsigned.status !== 401) throw new Error(`an unsigned delivery answered ${unsigned.status}, not 401`);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const leads = expectStatus<{ items: { fullName: string }[] }>(
      await http(base, 'GET', `/api/leads?subAccountId=${sub.id}&q=${encodeURIComponent(email)}`, admin),
      200,
      'leads',
    );
    if (leads.items.length === 1 && leads.items[0].fullName === 'Ada Lovelace') return;
    await sleep(250);
  }
  throw new Error('the delivery did not become a lead within 30 s');
}
