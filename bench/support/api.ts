// The admin API of a running app, as the CRM calls it.
import { signToken } from '../../src/common/auth/dev-token';
import type { RunningApp } from './processes';

export class Api {
  constructor(
    private readonly base: string,
    private readonly token: string,
  ) {}

  static forApp(app: RunningApp): Api {
    return new Api(app.base, signToken({ role: 'SUPER_ADMIN', subAccountIds: [] }, { secret: app.jwtSecret }));
  }

  async call<T>(method: string, path: string, body?: unknown, expected = [200, 201]): Promise<T> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!expected.includes(res.status)) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

export interface BenchIntegration {
  subAccountId: number;
  integrationId: number;
  /** Path of the integration's own webhook URL. */
  webhookPath: string;
}

/** A MAX sub-account with one active integration of the handler. */
export async function createActiveIntegration(
  api: Api,
  handler: string,
  config: Record<string, unknown>,
): Promise<BenchIntegration> {
  const sub = await api.call<{ id: number }>('POST', '/api/sub-accounts', { name: `Bench ${handler}`, tier: 'MAX' });
  const templates = await api.call<{ items: Array<{ id: number; handler: string }> }>(
    'GET',
    '/api/integration-templates?pageSize=200',
  );
  const template = templates.items.find((t) => t.handler === handler);
  if (!template) throw new Error(`no integration template with handler ${handler}`);
  const created = await api.call<{ id: number; webhookUrl: string }>('POST', '/api/integrations', {
    subAccountId: sub.id,
    integrationTemplateId: template.id,
    name: `bench ${handler}`,
    config,
  });
  // a passed connection test is what switches a new integration on (the benches use Google Ads
  // lead forms, whose test needs no provider call)
  await api.call('POST', `/api/integrations/${created.id}/test`);
  return { subAccountId: sub.id, integrationId: created.id, webhookPath: new URL(created.webhookUrl).pathname };
}
