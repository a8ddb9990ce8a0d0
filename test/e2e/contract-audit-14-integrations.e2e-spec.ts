// Audit 14 of API.md's "Integration templates", "Integrations" and "GoHighLevel passthrough" as an
// outside tester with a signed token. Failed before their fix:
// - the free-slots passthrough put a `calendarId` path segment of "." or ".." (also sent encoded, %2E%2E)
//   into GoHighLevel's URL, where it is a dot-segment: "/calendars/../free-slots" reached GoHighLevel as
//   "/free-slots", a path of GoHighLevel's API outside the calendar the route names, with the
//   integration's token. Refused 400 VALIDATION_FAILED now, before GoHighLevel is called;
// - a GoHighLevel integration whose `locationId` (its routing key) was ".." (the seeded schema sets no
//   pattern on it; super-admins' templates may set none on any routing key) had its connection test call
//   "/locations/.." — GoHighLevel's API root — with the token, and pass ("Connected to location ..",
//   `active`): API.md "A test also proves that the credentials reach the routing resource". A routing key
//   of "." or ".." (no page, number, location or organisation id is one) is refused 400
//   CONFIG_SCHEMA_INVALID at its field, on create, test-config and change;
// - a template schema with `"uniqueItems": true` on an array whose items are objects or untyped (a schema
//   a super-admin may write: API.md "configSchema: a JSON Schema (draft 2020-12)") made Ajv compare every
//   item with every other: one config of a few hundred kilobytes held the event loop for many seconds
//   (64,000 numbers: 12 s; a 1 MiB body about 100 s), every tenant's requests waiting. Checked in linear
//   time now, with Ajv's answer (400 CONFIG_SCHEMA_INVALID at the array's pointer). Its second test guards
//   the replacement's equality (Ajv's deep equal; no spec asserted uniqueItems before); under Jest it also
//   fails on the old code, but only because objects structuredClone makes there come from another realm,
//   which Ajv's deep equal never finds equal (in plain Node it refused those duplicates);
// - a sync run whose provider refused the token after the admin had disconnected the integration (the
//   run was under way) set `status: "error"` ("INVALID_CREDENTIALS: …") on it: API.md's disconnect answers
//   `status: "disconnected"`, and nothing but a config change and a passed test reconnects it. A
//   background failure no longer moves a disconnected integration.
import { createIntegration, GHL_CONFIG, templateId } from '../support/factories';
import { IntegrationsFixture, setupIntegrations } from '../support/integrations-setup';
import { activate, waitFor } from '../support/webhooks';

describe('API.md audit 14 (integrations)', () => {
  let fx: IntegrationsFixture;

  beforeAll(async () => {
    fx = await setupIntegrations();
  });
  afterAll(() => fx?.close());
  beforeEach(() => fx.reset());

  describe('GoHighLevel passthrough', () => {
    it.each(['..', '%2E%2E', '.', '%2e'])(
      'a calendarId of %s is refused 400 before GoHighLevel sees a path outside the calendar',
      async (calendarId) => {
        const { t, ghl, sub, admin } = fx;
        const { id } = await createIntegration(t, sub, 'gohighlevel', {
          ...GHL_CONFIG,
          locationId: `loc_dots_${calendarId.length}${calendarId.charCodeAt(0)}`,
        });
        ghl.on('GET', /.*/, () => ({ status: 200, body: { '2026-12-01': { slots: ['2026-12-01T09:00:00-05:00'] } } }));
        ghl.on('POST', /.*/, () => ({ status: 201, body: { id: 'block1' } }));
        const slots = await t.http
          .get(`/api/integrations/${id}/ghl/calendars/${calendarId}/free-slots?startDate=2026-12-01&endDate=2026-12-02`)
          .set('authorization', admin);
        const block = await t.http
          .post(`/api/integrations/${id}/ghl/calendars/${calendarId}/block-slots`)
          .set('authorization', admin)
          .send({ startTime: '2026-12-01T12:00:00Z', endTime: '2026-12-01T13:00:00Z', title: 'Lunch' });
        expect([slots.status, slots.body.code, block.status, block.body.code]).toEqual([
          400,
          'VALIDATION_FAILED',
          400,
          'VALIDATION_FAILED',
        ]);
        expect(ghl.requests.map((r) => r.path)).toEqual([]);
      },
    );
  });

  it.each(['..', '.'])(
    'a routing key of %s is refused at its field, and GoHighLevel never sees a path outside the location',
    async (locationId) => {
      const { t, ghl, sub, admin } = fx;
      ghl.on('GET', /.*/, () => ({ status: 200, body: { ok: true } }));
      const body = { subAccountId: sub, integrationTemplateId: await templateId(t, 'gohighlevel') };
      const config = { ...GHL_CONFIG, locationId };
      const created = await t.http
        .post('/api/integrations')
        .set('authorization', admin)
        .send({ ...body, name: 'Dots', config });
      const tested = await t.http
        .post('/api/integrations/test-config')
        .set('authorization', admin)
        .send({ ...body, config });
      const { id } = await createIntegration(t, sub, 'gohighlevel', {
        ...GHL_CONFIG,
        locationId: `loc_key_${locationId.length}`,
      });
      const changed = await t.http
        .patch(`/api/integrations/${id}`)
        .set('authorization', admin)
        .send({ config: { locationId } });
      for (const res of [created, tested, changed]) {
        expect([res.status, res.body.code]).toEqual([400, 'CONFIG_SCHEMA_INVALID']);
        expect(res.body.details).toEqual([{ pointer: '/locationId', message: expect.any(String) }]);
      }
      expect(ghl.requests).toEqual([]);
    },
  );

  describe('template schemas with uniqueItems', () => {
    let uniqueTemplate: number;

    beforeAll(async () => {
      const { t } = fx;
      const res = await t.http
        .post('/api/integration-templates')
        .set('authorization', `Bearer ${t.token('SUPER_ADMIN')}`)
        .send({
          name: 'audit14-unique-items',
          displayName: 'Unique items',
          category: 'CRM',
          handler: 'gohighlevel',
          configSchema: {
            type: 'object',
            properties: {
              locationId: { type: 'string' },
              privateIntegrationToken: { type: 'string', 'x-secret': true },
              tags: { type: 'array', uniqueItems: true },
              rules: { type: 'array', items: { type: 'object' }, uniqueItems: true },
            },
            required: ['locationId', 'privateIntegrationToken'],
          },
        });
      expect(res.status).toBe(201);
      uniqueTemplate = res.body.id as number;
    });

    const create = (config: Record<string, unknown>) =>
      fx.t.http
        .post('/api/integrations')
        .set('authorization', fx.admin)
        .send({ subAccountId: fx.sub, integrationTemplateId: uniqueTemplate, name: 'Unique', config });

    it('validates a long array of distinct items in linear time, answering as Ajv does', async () => {
      // locationId left out: refused after the whole config is checked (Ajv reports every error)
      const timed = async (items: number): Promise<number> => {
        const tags = Array.from({ length: items }, (_, i) => i);
        const started = process.hrtime.bigint();
        const res = await create({ privateIntegrationToken: 'pit-unique-0001', tags });
        const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
        expect([res.status, res.body.code]).toEqual([400, 'CONFIG_SCHEMA_INVALID']);
        expect(res.body.details).toEqual([
          { pointer: '/locationId', message: "must have required property 'locationId'" },
        ]);
        return elapsedMs;
      };
      await timed(20_000); // warm
      // four times the items: about four times the time when linear, sixteen when every item is compared
      // with every other (80,000 items took about 18 s then). A ratio, not a deadline: a machine busy with
      // other work slows both requests alike (a deadline of 6 s failed once on a loaded 2-core machine)
      const small = Math.min(await timed(20_000), await timed(20_000));
      const large = await timed(80_000);
      expect(large / small).toBeLessThan(9);
    }, 120_000);

    it('still finds duplicates: equal objects whatever their key order, never 1 and "1"', async () => {
      const dup = await create({
        ...GHL_CONFIG,
        locationId: 'loc_unique_1',
        tags: [1, '1', { a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 }],
      });
      expect([dup.status, dup.body.code]).toEqual([400, 'CONFIG_SCHEMA_INVALID']);
      expect(dup.body.details).toEqual([{ pointer: '/tags', message: expect.stringContaining('duplicate items') }]);
      const rules = await create({ ...GHL_CONFIG, locationId: 'loc_unique_2', rules: [{ x: 1 }, { x: 1 }] });
      expect(rules.body.details).toEqual([{ pointer: '/rules', message: expect.stringContaining('duplicate items') }]);

      const distinct = await create({
        ...GHL_CONFIG,
        locationId: 'loc_unique_3',
        tags: [1, '1', 1.5, true, null, [1], [1, 1], { a: 1 }, { a: '1' }, { a: 1, b: null }],
        rules: [{ x: 1 }, { x: 2 }],
      });
      expect(distinct.status).toBe(201);
    });
  });

  it('a sync failing on a refused token after a disconnect leaves the integration disconnected', async () => {
    const { t, ghl, sub, admin } = fx;
    const { id } = await createIntegration(t, sub, 'gohighlevel', { ...GHL_CONFIG, locationId: 'loc_sync_race' });
    await activate(t, sub, id);
    // the token is refused once the admin has disconnected (and the provider revoked it)
    let disconnected = false;
    ghl.on('POST', '/contacts/search', async () => {
      await waitFor(() => Promise.resolve(disconnected), 20_000, 'the disconnect');
      return { status: 401, body: { message: 'Invalid JWT' } };
    });
    const sync = await t.http.post(`/api/integrations/${id}/sync`).set('authorization', admin);
    expect(sync.status).toBe(202);
    await waitFor(() => Promise.resolve(ghl.count('POST', '/contacts/search') > 0), 20_000, 'the sync call');
    const off = await t.http.post(`/api/integrations/${id}/disconnect`).set('authorization', admin);
    expect([off.status, off.body.status]).toEqual([200, 'disconnected']);
    disconnected = true;
    await waitFor(
      async () => {
        const run = await t.sql.query<{ status: string }>('SELECT status FROM sync_runs WHERE id = $1', [
          sync.body.runId,
        ]);
        return run.rows[0]?.status === 'FAILED';
      },
      30_000,
      'the sync run to fail',
    );
    const got = await t.http.get(`/api/integrations/${id}`).set('authorization', admin);
    expect(got.body).toEqual(expect.objectContaining({ status: 'disconnected', isActive: false, errorMessage: null }));
  }, 60_000);
});
