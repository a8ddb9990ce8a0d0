// Part of API.md contract audit 3 (header in contract-audit-3.e2e-spec.ts, which holds rule 1): rule 2's lists
// asked by an ADMIN of B, and B's own work on the phone of A's lead; the table of routes holding A's ids is in
// contract-audit-3-isolation.e2e-spec.ts, the shared setup in test/support/contract-audit-3-setup.ts.
import { auth } from '../support/security';
import { TestApp } from '../support/test-app';
import { A_MARKERS, Audit3, Json, setupAudit3 } from '../support/contract-audit-3-setup';

describe('API.md contract audit 3: unknown fields and tenant isolation on every route', () => {
  let fx: Audit3;
  let t: TestApp;
  let A: Audit3['A'];
  let B: Audit3['B'];
  let other: number;
  let adminB: string;
  let call: Audit3['call'];
  let fingerprint: Audit3['fingerprint'];
  let conversation: Audit3['conversation'];

  beforeAll(async () => {
    fx = await setupAudit3();
    ({ t, A, B, other, adminB, call, fingerprint, conversation } = fx);
  });
  afterAll(() => fx?.close());

  describe("Rule 2: an ADMIN of B holding A's ids gets 404 for records, 403 for A's subAccountId, and nothing of A's", () => {
    it("never lists A's rows for B: no subAccountId with two sub-accounts in the token, empty, repeated or bracketed", async () => {
      const both = auth(t, 'ADMIN', [B.sub, other]);
      const lists = [
        '/api/sub-accounts',
        '/api/leads?q=Victim',
        '/api/whatsapp/conversations?q=Victim',
        '/api/conversations?q=Victim',
        '/api/integrations',
        '/api/leads',
        '/api/whatsapp/templates',
        '/api/whatsapp/messages',
        '/api/whatsapp/conversations',
        '/api/whatsapp/opt-outs',
        '/api/whatsapp/bulk',
        '/api/conversations',
        '/api/messages',
        '/api/report-templates',
        '/api/reports',
        '/api/audit-log',
        '/api/whatsapp/analytics',
        '/api/analytics/overview',
      ];
      const wrong: string[] = [];
      for (const list of lists) {
        for (const [query, token] of [
          ['', both],
          ['?subAccountId=', both],
          ['?subAccountId=', adminB],
          [`?subAccountId=${B.sub}&subAccountId=${A.sub}`, adminB],
          [`?subAccountId=${A.sub}&subAccountId=${B.sub}`, adminB],
          [`?subAccountId[]=${A.sub}`, adminB],
          [`?subAccountId[0]=${A.sub}`, adminB],
        ] as const) {
          const res = await call('get', `${list}${query.replace(/^\?/, list.includes('?') ? '&' : '?')}`, token);
          const text = JSON.stringify(res.body);
          const leaked = A_MARKERS.filter((m) => text.includes(m));
          const items = Array.isArray(res.body.items) ? (res.body.items as Json[]) : [];
          const foreign = items.filter(
            (i) => i.subAccountId !== undefined && i.subAccountId !== B.sub && i.subAccountId !== other,
          );
          if (res.status >= 500 || leaked.length || foreign.length)
            wrong.push(`${list}${query}: ${res.status} ${leaked.join(',')} ${foreign.length} foreign`);
          // an explicit parameter naming A (alone or among others) is refused, never read as B's (the
          // sub-accounts list has no such parameter: it lists the caller's own)
          if (query.includes(String(A.sub)) && res.status < 400 && list !== '/api/sub-accounts')
            wrong.push(`${list}${query}: ${res.status}`);
        }
      }
      expect(wrong).toEqual([]);
    });

    // last: it gives B a lead and a conversation with the phone of A's lead (a marker above)
    it("keeps B's own work on the phone of A's lead in B: capture, auto-link and a send find no lead of A's", async () => {
      // the contact who is A's lead writes to B's number too
      const mirror = await conversation(B.sub, B.wa, '14155559876', null, 'Mirror');
      const beforeA = await fingerprint(A.sub);
      const linked = await call('post', '/api/whatsapp/conversations/auto-link', adminB, { subAccountId: B.sub });
      expect(linked.status).toBe(200);
      const leadOf = async (conv: string) =>
        (await t.sql.query<{ lead_id: string | null }>('SELECT lead_id::text FROM conversations WHERE id = $1', [conv]))
          .rows[0].lead_id;
      expect(await leadOf(mirror)).not.toBe(A.lead);
      const captured = await call('post', `/api/whatsapp/conversations/${mirror}/capture-lead`, adminB, {});
      expect(captured.status).toBe(201);
      expect(captured.body.id).not.toBe(A.lead);
      expect(JSON.stringify(captured.body)).not.toContain('Victim');
      const sent = await call('post', '/api/whatsapp/messages', adminB, {
        subAccountId: B.sub,
        to: '+14155559876',
        template: { id: B.template },
        parameters: { '1': 'x' },
      });
      expect(sent.status).toBe(202);
      expect(sent.body.conversationId).not.toBe(A.conv);
      expect(await fingerprint(A.sub)).toBe(beforeA);
    });
  });
});
