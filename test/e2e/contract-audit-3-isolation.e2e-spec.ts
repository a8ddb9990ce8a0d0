// Part of API.md contract audit 3 (header in contract-audit-3.e2e-spec.ts, which holds rule 1): rule 2's table of
// routes holding A's ids, asked by an ADMIN of B; its list and phone cases are in contract-audit-3-lists.e2e-spec.ts,
// the shared setup in test/support/contract-audit-3-setup.ts.
import { A_MARKERS, Audit3, Json, Method, setupAudit3 } from '../support/contract-audit-3-setup';

describe('API.md contract audit 3: unknown fields and tenant isolation on every route', () => {
  let fx: Audit3;
  let A: Audit3['A'];
  let B: Audit3['B'];
  let aReportTemplate: number;
  let aWebhookEvents: number;
  let adminA: string;
  let adminB: string;
  let call: Audit3['call'];
  let fingerprint: Audit3['fingerprint'];
  let outbound: Audit3['outbound'];

  beforeAll(async () => {
    fx = await setupAudit3();
    ({ A, B, aReportTemplate, aWebhookEvents, adminA, adminB, call, fingerprint, outbound } = fx);
  });
  afterAll(() => fx?.close());

  describe("Rule 2: an ADMIN of B holding A's ids gets 404 for records, 403 for A's subAccountId, and nothing of A's", () => {
    // 'empty': a filter naming A's record answers B's empty page, as a filter naming no record does (or 404);
    // 'unknown ids': bulk leadIds are checked as a list, 400 naming the ids not found in B, as for ids of no lead
    // 'no leak': B's own record, asked with one of A's ids as a parameter: any answer but 5xx, with nothing of A's
    type Expect = 403 | 404 | 'empty' | 'unknown ids' | 'no leak';
    // [what, method, path, body, answer]; the cases contract-core, integrations-isolation and attacker-recent
    // already pin (integration GET/PATCH/DELETE/test/rotate/disconnect/OAuth/GHL, event replay, sync runs,
    // lead GET, WhatsApp send as B / on A's number / replying to A's message, A's template sync) are theirs
    const isolation = (): Array<[string, Method, string, Json | undefined, Expect]> => [
      // records by id in the path
      ["A's integration health", 'get', `/api/integrations/${A.ghl}/health`, undefined, 404],
      ["A's integration events", 'get', `/api/integrations/${A.ghl}/events`, undefined, 404],
      ["A's failed events replayed", 'post', `/api/integrations/${A.ghl}/events/replay-failed`, undefined, 404],
      ["A's integration sync", 'post', `/api/integrations/${A.ghl}/sync`, undefined, 404],
      ["A's lead PATCH", 'patch', `/api/leads/${A.lead}`, { status: 'LOST' }, 404],
      ["A's lead history", 'get', `/api/leads/${A.lead}/history`, undefined, 404],
      ["A's lead activities", 'post', `/api/leads/${A.lead}/activities`, { type: 'NOTE', userId: 'b' }, 404],
      // the sub-account is the record here, not a subAccountId parameter
      ["A's sub-account", 'get', `/api/sub-accounts/${A.sub}`, undefined, 404],
      [
        "B's conversation paged back from A's message",
        'get',
        `/api/whatsapp/conversations/${B.conv}?before=${A.message}`,
        undefined,
        'no leak',
      ],
      [
        "B's conversation (channels) paged back from A's message",
        'get',
        `/api/conversations/${B.conv}?before=${A.message}`,
        undefined,
        'no leak',
      ],
      ["A's sub-account PATCH", 'patch', `/api/sub-accounts/${A.sub}`, { timezone: 'Asia/Tokyo' }, 404],
      ["A's WhatsApp conversation", 'get', `/api/whatsapp/conversations/${A.conv}`, undefined, 404],
      ["A's WhatsApp conversation link", 'post', `/api/whatsapp/conversations/${A.conv}/link`, { leadId: B.lead }, 404],
      ["A's WhatsApp conversation unlink", 'delete', `/api/whatsapp/conversations/${A.conv}/link`, undefined, 404],
      ["A's WhatsApp conversation capture", 'post', `/api/whatsapp/conversations/${A.conv}/capture-lead`, {}, 404],
      ["A's conversation (channels)", 'get', `/api/conversations/${A.conv}`, undefined, 404],
      ["A's conversation link (channels)", 'post', `/api/conversations/${A.conv}/link`, { leadId: B.lead }, 404],
      ["A's conversation capture (channels)", 'post', `/api/conversations/${A.conv}/capture-lead`, {}, 404],
      ["A's bulk", 'get', `/api/whatsapp/bulk/${A.bulk}`, undefined, 404],
      ["A's bulk recipients", 'get', `/api/whatsapp/bulk/${A.bulk}/recipients`, undefined, 404],
      ["A's bulk cancel", 'post', `/api/whatsapp/bulk/${A.bulk}/cancel`, undefined, 404],
      ["A's bulk pause", 'post', `/api/whatsapp/bulk/${A.bulk}/pause`, undefined, 404],
      ["A's bulk resume", 'post', `/api/whatsapp/bulk/${A.bulk}/resume`, undefined, 404],
      ["A's WhatsApp template DELETE", 'delete', `/api/whatsapp/templates/${A.template}`, undefined, 404],
      ["A's opt-out DELETE", 'delete', `/api/whatsapp/opt-outs/${A.optOut}`, undefined, 404],
      ["A's report template", 'get', `/api/report-templates/${aReportTemplate}`, undefined, 404],
      ["A's report template PATCH", 'patch', `/api/report-templates/${aReportTemplate}`, { name: 'stolen' }, 404],
      ["A's report template DELETE", 'delete', `/api/report-templates/${aReportTemplate}`, undefined, 404],
      ["A's report template generate", 'post', `/api/report-templates/${aReportTemplate}/generate`, {}, 404],
      ["A's report download", 'get', `/api/reports/${A.report}/download`, undefined, 404],
      // A's ids inside B's own bodies
      [
        "A's lead in a WhatsApp send",
        'post',
        '/api/whatsapp/messages',
        { subAccountId: B.sub, leadId: A.lead, text: 'hi' },
        404,
      ],
      [
        "A's template in a WhatsApp send",
        'post',
        '/api/whatsapp/messages',
        { subAccountId: B.sub, leadId: B.lead, template: { id: A.template }, parameters: { '1': 'x' } },
        404,
      ],
      [
        "A's integration in a WhatsApp send",
        'post',
        '/api/whatsapp/messages',
        {
          subAccountId: B.sub,
          integrationId: A.wa,
          leadId: B.lead,
          template: { id: B.template },
          parameters: { '1': 'x' },
        },
        404,
      ],
      ["A's lead to B's GoHighLevel", 'post', `/api/integrations/${B.ghl}/ghl/contacts`, { leadId: A.lead }, 404],
      [
        "A's lead linked to B's conversation",
        'post',
        `/api/whatsapp/conversations/${B.conv}/link`,
        { leadId: A.lead },
        404,
      ],
      [
        "A's lead linked to B's conversation (channels)",
        'post',
        `/api/conversations/${B.conv}/link`,
        { leadId: A.lead },
        404,
      ],
      [
        "A's leads in a bulk",
        'post',
        '/api/whatsapp/bulk',
        { subAccountId: B.sub, leadIds: [A.lead], template: { id: B.template }, parameters: { '1': 'x' } },
        'unknown ids',
      ],
      [
        "A's template in a bulk",
        'post',
        '/api/whatsapp/bulk',
        { subAccountId: B.sub, leadIds: [B.lead], template: { id: A.template }, parameters: { '1': 'x' } },
        404,
      ],
      [
        "A's integration in a bulk",
        'post',
        '/api/whatsapp/bulk',
        {
          subAccountId: B.sub,
          integrationId: A.wa,
          leadIds: [B.lead],
          template: { id: B.template },
          parameters: { '1': 'x' },
        },
        404,
      ],
      [
        "A's conversation in a channel send",
        'post',
        '/api/messages',
        { subAccountId: B.sub, channel: 'whatsapp', conversationId: A.conv, text: 'hi' },
        404,
      ],
      [
        "A's lead in a channel send",
        'post',
        '/api/messages',
        { subAccountId: B.sub, channel: 'whatsapp', leadId: A.lead, text: 'hi' },
        404,
      ],
      [
        "A's message as the reply of a channel send",
        'post',
        '/api/messages',
        { subAccountId: B.sub, channel: 'whatsapp', conversationId: B.conv, text: 'hi', replyToMessageId: A.message },
        404,
      ],
      [
        "A's integration for a new WhatsApp template",
        'post',
        '/api/whatsapp/templates',
        {
          integrationId: A.wa,
          name: 'stolen_tpl',
          language: 'en_US',
          category: 'UTILITY',
          components: [{ type: 'BODY', text: 'Hi' }],
        },
        404,
      ],
      // A's subAccountId in B's bodies
      ['auto-link in A', 'post', '/api/whatsapp/conversations/auto-link', { subAccountId: A.sub }, 403],
      ['bulk in A', 'post', '/api/whatsapp/bulk', { subAccountId: A.sub, leadIds: [A.lead], text: 'hi' }, 403],
      [
        'opt-out in A',
        'post',
        '/api/whatsapp/opt-outs',
        { subAccountId: A.sub, phone: '+14155550998', scope: 'all' },
        403,
      ],
      [
        'channel send in A',
        'post',
        '/api/messages',
        { subAccountId: A.sub, channel: 'whatsapp', conversationId: A.conv, text: 'x' },
        403,
      ],
      ['analytics rebuild of A', 'post', '/api/analytics/rebuild', { subAccountId: A.sub }, 403],
      [
        'report template in A',
        'post',
        '/api/report-templates',
        {
          subAccountId: A.sub,
          name: 'x',
          type: 'SOURCE',
          config: { metrics: ['newLeads'], groupBy: [], dateRange: 'LAST_7_DAYS' },
          format: 'PDF',
        },
        403,
      ],
      // A's subAccountId in B's queries
      ...[
        '/api/whatsapp/templates',
        '/api/whatsapp/conversations',
        '/api/whatsapp/opt-outs',
        '/api/whatsapp/bulk',
        '/api/whatsapp/analytics',
        '/api/conversations',
        '/api/messages',
        '/api/report-templates',
        '/api/reports',
        '/api/audit-log',
        '/api/analytics/overview',
        '/api/analytics/timeseries',
        '/api/analytics/funnel',
        '/api/analytics/team',
        '/api/analytics/attribution',
        '/api/analytics/snapshots',
      ].map((path): [string, Method, string, undefined, Expect] => [
        `${path} of A`,
        'get',
        `${path}?subAccountId=${A.sub}`,
        undefined,
        403,
      ]),
      // A's ids as filters of B's lists
      [
        "B's reports of A's template",
        'get',
        `/api/reports?subAccountId=${B.sub}&templateId=${aReportTemplate}`,
        undefined,
        'empty',
      ],
      [
        "B's messages of A's lead",
        'get',
        `/api/whatsapp/messages?subAccountId=${B.sub}&leadId=${A.lead}`,
        undefined,
        'empty',
      ],
      [
        "B's messages of A's conversation",
        'get',
        `/api/whatsapp/messages?subAccountId=${B.sub}&conversationId=${A.conv}`,
        undefined,
        'empty',
      ],
      [
        "B's templates of A's integration",
        'get',
        `/api/whatsapp/templates?subAccountId=${B.sub}&integrationId=${A.wa}`,
        undefined,
        'empty',
      ],
      [
        "B's conversations of A's integration",
        'get',
        `/api/whatsapp/conversations?subAccountId=${B.sub}&integrationId=${A.wa}`,
        undefined,
        'empty',
      ],
      [
        "B's channel messages of A's lead",
        'get',
        `/api/messages?subAccountId=${B.sub}&leadId=${A.lead}`,
        undefined,
        'empty',
      ],
      [
        "B's channel messages of A's conversation",
        'get',
        `/api/messages?subAccountId=${B.sub}&conversationId=${A.conv}`,
        undefined,
        'empty',
      ],
    ];

    it("answers every route holding A's ids 404 NOT_FOUND / 403 FORBIDDEN, reveals nothing, changes and sends nothing of A's", async () => {
      const wrong: string[] = [];
      for (const [what, method, path, body, status] of isolation()) {
        const beforeA = await fingerprint(A.sub);
        const sent = outbound();
        const res = await call(method, path, adminB, body);
        const answer = `${res.status} ${res.body.code ?? ''}`;
        const accepted =
          status === 'empty'
            ? ['200 ', '404 NOT_FOUND'].includes(answer) && (res.status === 404 || res.body.total === 0)
            : status === 'no leak'
              ? res.status < 500
              : status === 'unknown ids'
                ? ['400 VALIDATION_FAILED', '404 NOT_FOUND'].includes(answer)
                : answer === `${status} ${status === 403 ? 'FORBIDDEN' : 'NOT_FOUND'}`;
        const text = JSON.stringify(res.body);
        if (!accepted) wrong.push(`${what}: ${answer} ${text.slice(0, 120)}`);
        const leaked = A_MARKERS.filter((m) => text.includes(m));
        if (leaked.length) wrong.push(`${what}: leaked ${leaked.join(', ')}`);
        if ((await fingerprint(A.sub)) !== beforeA) wrong.push(`${what}: changed A's rows`);
        if (outbound() !== sent) wrong.push(`${what}: called a provider`);
      }
      expect(wrong).toEqual([]);
      expect((await call('get', `/api/integrations/${A.ghl}/events`, adminA)).body.total).toBe(aWebhookEvents);
    });
  });
});
