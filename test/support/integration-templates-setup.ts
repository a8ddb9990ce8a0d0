// The app of the integration templates spec (test/e2e/integration-templates*.e2e-spec.ts), one a part, with a
// SUPER_ADMIN's and an ADMIN's token, and the form schema the parts' templates are made of.
import { createTestApp, TestApp } from './test-app';

export const formSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['mapping', 'externalIdPointer'],
  properties: {
    mapping: { type: 'object', additionalProperties: { type: 'string' } },
    externalIdPointer: { type: 'string' },
    formUrl: { type: 'string', format: 'uri' },
  },
};

export interface IntegrationTemplatesFixture {
  t: TestApp;
  su: string;
  admin: string;
  close(): Promise<void>;
}

export async function setupIntegrationTemplates(): Promise<IntegrationTemplatesFixture> {
  const t = await createTestApp();
  const su = `Bearer ${t.token('SUPER_ADMIN')}`;
  const admin = `Bearer ${t.token('ADMIN', [1])}`;
  return { t, su, admin, close: () => t.close() };
}
