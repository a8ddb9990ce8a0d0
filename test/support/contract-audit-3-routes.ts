// The write routes of contract audit 3's rule 1 (test/e2e/contract-audit-3.e2e-spec.ts), each with a body it
// takes and the ways that body can be wrong: integration templates, integrations, leads and sub-accounts here,
// then the WhatsApp, channel, analytics and report routes of contract-audit-3-routes-messaging.ts.
import { GHL_CONFIG } from './factories';
import type { Audit3, Json, Method } from './contract-audit-3-setup';
import { messagingRoutes } from './contract-audit-3-routes-messaging';

export interface BodyRoute {
  route: string;
  method: Method;
  token: () => string;
  path: () => string;
  /** A body the route takes (a 2xx without the defect). */
  body: () => Json;
  /** Each nested object of the body that has declared fields: where it is. */
  nested: Array<Array<string | number>>;
  wrongType: [string, unknown];
  /** More values of the wrong type: [field, value, the field details must name]. */
  moreWrong?: Array<[string, unknown, string]>;
  /** Optional fields that cannot be cleared: null is refused, not read as "left out". */
  notNull?: string[];
  /** A required field (null must be refused), if the body has one. */
  required?: string;
  /** A connection test: its errors also carry success: false. */
  connectionTest?: true;
  /** Its nested objects are checked by a JSON Schema whose errors name the object, not the unknown key. */
  namedByParent?: true;
}

export interface TemplateIds {
  meta: number;
  ghl: number;
}

export function bodyRoutes(fx: Audit3, templateIds: TemplateIds): BodyRoute[] {
  const { A, su, adminA } = fx;
  return [
    {
      route: 'POST /api/integration-templates',
      method: 'post',
      token: () => su,
      path: () => '/api/integration-templates',
      // configSchema is a JSON Schema: any keyword is its own (Ajv strict mode judges it), not a DTO field
      body: () => ({
        name: 'audit3-forms',
        displayName: 'Forms',
        category: 'Forms',
        handler: 'generic-webhook',
        configSchema: { type: 'object', properties: {} },
      }),
      nested: [],
      wrongType: ['displayName', 42],
      // a configSchema that is no object at all ("object", []) is not an object schema: API.md's
      // CONFIG_SCHEMA_INVALID with the reason in details, pinned by contract-conventions-7
      required: 'handler',
    },
    {
      route: 'PATCH /api/integration-templates/:id',
      method: 'patch',
      token: () => su,
      path: () => `/api/integration-templates/${templateIds.meta}`,
      body: () => ({ displayName: 'Meta renamed' }),
      nested: [],
      wrongType: ['isActive', 'yes'],
      notNull: ['name', 'displayName', 'configSchema', 'isActive'],
    },
    {
      route: 'POST /api/integrations',
      method: 'post',
      token: () => adminA,
      path: () => '/api/integrations',
      // config is checked by the template's JSON Schema (its own case below)
      body: () => ({ subAccountId: A.sub, integrationTemplateId: templateIds.ghl, name: 'x', config: GHL_CONFIG }),
      nested: [],
      wrongType: ['name', ['x']],
      moreWrong: [
        ['config', 'x', 'config'],
        ['config', [GHL_CONFIG], 'config'],
      ],
      required: 'integrationTemplateId',
    },
    {
      route: 'POST /api/integrations/test-config',
      method: 'post',
      token: () => adminA,
      path: () => '/api/integrations/test-config',
      body: () => ({ subAccountId: A.sub, integrationTemplateId: templateIds.ghl, config: GHL_CONFIG }),
      nested: [],
      wrongType: ['integrationTemplateId', 'ghl'],
      required: 'subAccountId',
      connectionTest: true,
    },
    {
      route: 'PATCH /api/integrations/:id',
      method: 'patch',
      token: () => adminA,
      path: () => `/api/integrations/${A.ghl}`,
      body: () => ({ name: 'renamed', description: 'd' }),
      nested: [],
      wrongType: ['isActive', 'true'],
      moreWrong: [['config', 'x', 'config']],
      notNull: ['name', 'config', 'isActive'],
    },
    {
      route: 'POST /api/integrations/:id/ghl/calendars/:calendarId/block-slots',
      method: 'post',
      token: () => adminA,
      path: () => `/api/integrations/${A.ghl}/ghl/calendars/cal1/block-slots`,
      body: () => ({ startTime: '2026-12-01T12:00:00Z', endTime: '2026-12-01T13:00:00Z', title: 'x' }),
      nested: [],
      wrongType: ['title', 7],
      required: 'startTime',
    },
    {
      route: 'POST /api/integrations/:id/ghl/contacts',
      method: 'post',
      token: () => adminA,
      path: () => `/api/integrations/${A.ghl}/ghl/contacts`,
      body: () => ({ leadId: A.lead }),
      nested: [],
      wrongType: ['leadId', { id: A.lead }],
      required: 'leadId',
    },
    {
      route: 'POST /api/integrations/:id/oauth/start',
      method: 'post',
      token: () => adminA,
      path: () => `/api/integrations/${A.ghl}/oauth/start`,
      body: () => ({ redirectUri: 'https://crm.example.com/done' }),
      nested: [],
      wrongType: ['redirectUri', 5],
      required: 'redirectUri',
    },
    {
      route: 'POST /api/leads',
      method: 'post',
      token: () => adminA,
      path: () => '/api/leads',
      body: () => ({ subAccountId: A.sub, fullName: 'New', email: 'new@a.example', source: { platform: 'manual' } }),
      nested: [['source']],
      wrongType: ['email', 12],
      // customAnswers is a map of the form's questions: any key, but answers are text
      moreWrong: [
        ['customAnswers', { q: { nested: 1 } }, 'customAnswers'],
        ['customAnswers', { q: 5 }, 'customAnswers'],
        ['source', 'manual', 'source'],
      ],
      required: 'subAccountId',
    },
    {
      route: 'PATCH /api/leads/:id',
      method: 'patch',
      token: () => adminA,
      path: () => `/api/leads/${A.lead}`,
      body: () => ({ status: 'CONTACTED', tags: ['x'] }),
      nested: [],
      wrongType: ['tags', 'x'],
      moreWrong: [
        ['tags', [1, 2], 'tags'],
        ['tags', [{}], 'tags'],
      ],
      notNull: ['status', 'tags'],
    },
    {
      route: 'POST /api/leads/:id/activities',
      method: 'post',
      token: () => adminA,
      path: () => `/api/leads/${A.lead}/activities`,
      body: () => ({ type: 'CALL', outcome: 'ANSWERED', userId: 'u1' }),
      nested: [],
      wrongType: ['durationSeconds', '60'],
      required: 'type',
    },
    {
      route: 'PATCH /api/sub-accounts/:id',
      method: 'patch',
      token: () => adminA,
      path: () => `/api/sub-accounts/${A.sub}`,
      body: () => ({
        timezone: 'Europe/Lisbon',
        funnelStages: ['NEW', 'CONVERTED'],
        scoreWeights: { answeredCall: 5, source: { meta: 8 }, stage: { CONTACTED: 10 } },
      }),
      // not in API.md, but a body field all the same; `source` and `stage` are keyed by platform and status
      nested: [['scoreWeights'], ['scoreWeights', 'source'], ['scoreWeights', 'stage']],
      wrongType: ['funnelStages', 'NEW'],
      notNull: ['timezone', 'funnelStages'],
    },
    ...messagingRoutes(fx),
  ];
}
