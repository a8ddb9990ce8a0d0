// Fixtures of the bulk-send specs and the bulk benchmark: leads with phones, a WhatsApp integration
// pointed at the fake Graph API, and an APPROVED template known to both the hub and the fake.
import type { Client } from 'pg';
import { createIntegration, createSubAccount, WHATSAPP_CONFIG } from './factories';
import type { FakeWhatsAppGraph } from './fakes/whatsapp-graph';
import type { TestApp } from './test-app';
import { activate } from './webhooks';

export const BULK_TEMPLATE = {
  name: 'order_update',
  language: 'en_US',
  category: 'UTILITY',
  components: [{ type: 'BODY', text: 'Hello {{1}}, your order is on its way.', example: { body_text: [['Ana']] } }],
};

/** A Brazilian mobile in E.164 (São Paulo, with the ninth digit): distinct for every n < 10,000,000. */
export function phoneOf(n: number): string {
  return `+551198${String(n).padStart(7, '0')}`;
}

/** `count` leads of one sub-account with distinct phones (`phoneOf(offset + i)`); their ids as strings, in order. */
export async function seedLeads(sql: Client, subAccountId: number, count: number, offset = 0): Promise<string[]> {
  const { rows } = await sql.query<{ id: string }>(
    `INSERT INTO leads (sub_account_id, first_name, full_name, phone, updated_at)
     SELECT $1, 'Lead' || g, 'Lead ' || g, '+551198' || lpad((g + $3)::text, 7, '0'), now()
     FROM generate_series(0, $2 - 1) g
     ORDER BY g
     RETURNING id::text`,
    [subAccountId, count, offset],
  );
  return rows.map((r) => r.id);
}

/** A lead with the given phone (null: none). */
export async function seedLead(
  sql: Client,
  subAccountId: number,
  phone: string | null,
  name = 'Solo',
): Promise<string> {
  const { rows } = await sql.query<{ id: string }>(
    `INSERT INTO leads (sub_account_id, first_name, full_name, phone, updated_at) VALUES ($1, $2, $2, $3, now()) RETURNING id::text`,
    [subAccountId, name, phone],
  );
  return rows[0].id;
}

/** The template as the hub stores it (APPROVED) and as the fake knows it; its hub id. */
export async function approvedTemplate(
  sql: Client,
  fake: FakeWhatsAppGraph,
  subAccountId: number,
  integrationId: number,
  template = BULK_TEMPLATE,
  status = 'APPROVED',
): Promise<string> {
  fake.templates.add(WHATSAPP_CONFIG.wabaId, { ...template, status });
  const { rows } = await sql.query<{ id: string }>(
    `INSERT INTO whatsapp_templates (sub_account_id, integration_id, external_id, name, language, category, status,
       parameter_format, components, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'POSITIONAL', $8::jsonb, now()) RETURNING id::text`,
    [
      subAccountId,
      integrationId,
      `9${integrationId}${Date.now() % 100000}`,
      template.name,
      template.language,
      template.category,
      status,
      JSON.stringify(template.components),
    ],
  );
  return rows[0].id;
}

export interface BulkSetup {
  subAccountId: number;
  integrationId: number;
  templateId: string;
}

/** A sub-account with an active WhatsApp integration (the fake's token) and an approved template. */
export async function whatsAppSetup(
  t: TestApp,
  fake: FakeWhatsAppGraph,
  config: Record<string, unknown> = {},
): Promise<BulkSetup> {
  const subAccountId = await createSubAccount(t, 'MAX');
  const integration = await createIntegration(t, subAccountId, 'whatsapp-cloud', { ...WHATSAPP_CONFIG, ...config });
  await activate(t, subAccountId, integration.id);
  const templateId = await approvedTemplate(t.sql, fake, subAccountId, integration.id);
  return { subAccountId, integrationId: integration.id, templateId };
}

export interface BulkView {
  id: string;
  status: string;
  counts: Record<'total' | 'pending' | 'sent' | 'delivered' | 'read' | 'failed' | 'skipped' | 'unknown', number>;
  etaSeconds: number | null;
  completedAt: string | null;
}

export async function getBulk(t: TestApp, subAccountId: number, id: string): Promise<BulkView> {
  const res = await t.http
    .get(`/api/whatsapp/bulk/${id}`)
    .set('authorization', `Bearer ${t.token('MANAGER', [subAccountId])}`);
  if (res.status !== 200) throw new Error(`bulk ${id}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as BulkView;
}
