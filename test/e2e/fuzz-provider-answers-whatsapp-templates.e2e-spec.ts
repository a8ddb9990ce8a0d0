/**
 * Findings of a fuzz of what provider APIs answer while an event is processed (see /work/notes/fuzz2.md):
 * this part holds the WhatsApp template webhooks and the template sync's Graph pages, where each case once
 * left its event FAILED by an unexpected database error or stored nonsense. The leads are in
 * fuzz-provider-answers-leads.e2e-spec.ts, the shared setup in test/support/fuzz-provider-answers-setup.ts.
 */
import { WhatsAppTemplatesService } from '../../src/modules/whatsapp/whatsapp-templates.service';
import { WHATSAPP_CONFIG } from '../support/factories';
import { FakeReply, FakeServer } from '../support/fake-server';
import { metaSig } from '../support/hostile-corpus';
import { TestApp } from '../support/test-app';
import { Fuzz2, setupFuzz2 } from '../support/fuzz-provider-answers-setup';

describe('fuzzed provider answers', () => {
  let t: TestApp;
  let graph: FakeServer;
  let whatsappId: number;
  let settled: Fuzz2['settled'];
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ t, graph, whatsappId, settled, close } = await setupFuzz2());
  });
  afterAll(async () => close?.());

  describe('whatsapp templates: odd rows and stamps from Meta', () => {
    const WABA = WHATSAPP_CONFIG.wabaId;
    const good = {
      id: '5001',
      name: 'order_ready',
      language: 'en_US',
      status: 'APPROVED',
      category: 'UTILITY',
      components: [{ type: 'BODY', text: 'Your order is ready' }],
    };
    const reconcile = (rows: unknown[]) => {
      graph.on('GET', `/${WABA}/message_templates`, () => ({ status: 200, body: { data: rows } }));
      return t.app.get(WhatsAppTemplatesService).reconcile(BigInt(whatsappId));
    };
    const template = async (externalId: string) =>
      (
        await t.sql.query<{ status: string; status_changed_at: Date | null }>(
          'SELECT status, status_changed_at FROM whatsapp_templates WHERE integration_id = $1 AND external_id = $2',
          [whatsappId, externalId],
        )
      ).rows[0];

    it('a garbled row (NUL, an unpaired surrogate, a 1 MB status) is skipped; the rest of the page is reconciled', async () => {
      const result = await reconcile([
        { ...good, id: '5002', name: 'nul\u0000name' },
        { ...good, id: '5003', name: 'surrogate', components: [{ type: 'BODY', text: 'Hi \ud800' }] },
        { ...good, id: '5004', name: 'huge_status', status: 'X'.repeat(1_000_000) },
        good,
      ]);
      expect(result).toEqual({ seen: 1, deleted: 0 });
      expect(await template('5001')).toMatchObject({ status: 'APPROVED' });
    });

    it.each<[string, FakeReply]>([
      [
        'an HTML page sent with 200',
        { status: 200, raw: '<html>Sorry</html>', headers: { 'content-type': 'text/html' } },
      ],
      ['an empty body', { status: 200, raw: '' }],
      ['data that is not a list', { status: 200, body: { data: { id: '5001' } } }],
    ])('a page that is %s fails the reconcile instead of marking every template DELETED', async (_name, reply) => {
      await reconcile([good]);
      graph.on('GET', `/${WABA}/message_templates`, () => reply);
      await expect(t.app.get(WhatsAppTemplatesService).reconcile(BigInt(whatsappId))).rejects.toThrow(
        'Meta answered the message_templates page without a data list',
      );
      expect((await template('5001')).status).toBe('APPROVED');
    });

    it('a next cursor Meta already gave is not followed again (it was, up to 1000 calls)', async () => {
      const path = `/${WABA}/message_templates`;
      const before = graph.count('GET', path);
      graph.on('GET', path, () => ({
        status: 200,
        body: { data: [good], paging: { cursors: { after: 'QVFI' }, next: `${graph.url}${path}?after=QVFI` } },
      }));
      await t.app.get(WhatsAppTemplatesService).reconcile(BigInt(whatsappId));
      expect(graph.count('GET', path) - before).toBe(2);
    });

    const statusUpdate = async (time: string, event: string) => {
      const body = `{"object":"whatsapp_business_account","entry":[{"id":"${WABA}","time":${time},"changes":[{"field":"message_template_status_update","value":{"event":"${event}","message_template_id":5001,"message_template_name":"order_ready","message_template_language":"en_US","reason":"NONE"}}]}]}`;
      const res = await t.http
        .post('/api/webhooks/whatsapp-cloud')
        .set('content-type', 'application/json')
        .set('x-hub-signature-256', metaSig(body, WHATSAPP_CONFIG.appSecret))
        .send(body);
      expect([res.status, res.body.status]).toEqual([200, 'received']);
      return settled(res.body.eventId as string);
    };

    it.each(['1e20', '-1000000000000000'])(
      'a status update stamped %s is applied as of now, not failed',
      async (time) => {
        await reconcile([good]);
        const before = Date.now();
        expect(await statusUpdate(time, 'PAUSED')).toEqual({ status: 'PROCESSED', last_error: null });
        const row = await template('5001');
        expect(row.status).toBe('PAUSED');
        expect(row.status_changed_at?.getTime()).toBeGreaterThanOrEqual(before - 1000);
      },
    );

    it('a status, quality or category update naming a 150-character value is not applied', async () => {
      await reconcile([good]);
      const huge = 'X'.repeat(150);
      expect(await statusUpdate(String(Math.floor(Date.now() / 1000)), huge)).toEqual({
        status: 'PROCESSED',
        last_error: null,
      });
      for (const [field, key] of [
        ['message_template_quality_update', 'new_quality_score'],
        ['template_category_update', 'new_category'],
      ]) {
        const body = `{"object":"whatsapp_business_account","entry":[{"id":"${WABA}","time":${Math.floor(Date.now() / 1000)},"changes":[{"field":"${field}","value":{"message_template_id":5001,"message_template_name":"order_ready","message_template_language":"en_US","${key}":"${huge}"}}]}]}`;
        const res = await t.http
          .post('/api/webhooks/whatsapp-cloud')
          .set('content-type', 'application/json')
          .set('x-hub-signature-256', metaSig(body, WHATSAPP_CONFIG.appSecret))
          .send(body);
        expect(await settled(res.body.eventId as string)).toEqual({ status: 'PROCESSED', last_error: null });
      }
      const row = await t.sql.query(
        'SELECT status, category, quality_score FROM whatsapp_templates WHERE integration_id = $1 AND external_id = $2',
        [whatsappId, '5001'],
      );
      expect(row.rows[0]).toEqual({ status: 'APPROVED', category: 'UTILITY', quality_score: null });
    });

    it('a stamp in year 5138 does not make every later report stale', async () => {
      await reconcile([good]);
      expect(await statusUpdate('99999999999', 'PAUSED')).toEqual({ status: 'PROCESSED', last_error: null });
      expect((await template('5001')).status_changed_at?.getTime()).toBeLessThanOrEqual(Date.now());
      await new Promise((r) => setTimeout(r, 5));
      const now = Math.floor(Date.now() / 1000) + 1;
      expect(await statusUpdate(String(now), 'REINSTATED')).toEqual({ status: 'PROCESSED', last_error: null });
      expect((await template('5001')).status).toBe('APPROVED');
    });
  });
});
