// Audit 26 of API.md "Reports": report-template validation edges, roles, tenant isolation, paging and
// the generate / list / download round trip, probing what earlier audits left unpinned:
// - a template name of only spaces was stored (201) and a PATCH could blank it (200): now 400 (failed
//   before the fix);
// - generate { format: null }, { from: null } or { to: null } was taken for "the default" (202): null is
//   now 400 VALIDATION_FAILED, as for the template's own optional, non-nullable fields (failed before the fix);
// - the rest are pins: config/schedule JSON Schema edges, AGENT 403 on every route, foreign records 404 and
//   foreign subAccountId 403, page shape and bounds, 409 while not ready, every type × format to ready.
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSubAccount } from '../support/factories';
import { createTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/webhooks';

type Json = Record<string, unknown>;
const CONFIG = { metrics: ['newLeads', 'convertedLeads'], dateRange: 'LAST_7_DAYS', chartTypes: ['table'] };

describe('contract audit 26: reports', () => {
  let storage: string;
  let t: TestApp;
  let sub: number;
  let subB: number;
  let admin: string;
  let manager: string;
  let agent: string;
  let adminB: string;
  let superAdmin: string;

  beforeAll(async () => {
    storage = mkdtempSync(join(tmpdir(), 'hub-audit-26-reports-'));
    t = await createTestApp({ env: { REPORT_STORAGE_DIR: storage } });
    sub = await createSubAccount(t, 'PRO', 'Audit 26 reports A');
    subB = await createSubAccount(t, 'PRO', 'Audit 26 reports B');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
    manager = `Bearer ${t.token('MANAGER', [sub], 'u-manager-26')}`;
    agent = `Bearer ${t.token('AGENT', [sub])}`;
    adminB = `Bearer ${t.token('ADMIN', [subB])}`;
    superAdmin = `Bearer ${t.token('SUPER_ADMIN', [])}`;
  });
  afterAll(async () => {
    await t?.close();
    await rm(storage, { recursive: true, force: true });
  });

  const base = (): Json => ({ subAccountId: sub, name: 'Audit 26', type: 'SOURCE', config: CONFIG, format: 'PDF' });
  const create = (body: Json, auth = admin) =>
    t.http.post('/api/report-templates').set('authorization', auth).send(body);
  const code = async (res: Promise<{ status: number; body: Json }>) => {
    const r = await res;
    return [r.status, r.body.code];
  };

  describe('template body validation', () => {
    it('refuses each bad body with 400 and the error shape', async () => {
      const schedule = { frequency: 'WEEKLY', dayOfWeek: 1, time: '08:00', recipients: ['a@example.com'] };
      const cases: Array<[string, Json]> = [
        ['unknown top-level field', { ...base(), colour: 'red' }],
        ['type lower case', { ...base(), type: 'source' }],
        ['type unknown', { ...base(), type: 'PIVOT' }],
        ['format CSV', { ...base(), format: 'CSV' }],
        ['format lower case', { ...base(), format: 'pdf' }],
        ['groupBy of 3', { ...base(), config: { ...CONFIG, groupBy: ['source', 'status', 'day'] } }],
        ['groupBy unknown', { ...base(), config: { ...CONFIG, groupBy: ['planet'] } }],
        ['groupBy twice the same', { ...base(), config: { ...CONFIG, groupBy: ['source', 'source'] } }],
        ['metrics missing', { ...base(), config: { dateRange: 'LAST_7_DAYS' } }],
        ['metrics empty', { ...base(), config: { ...CONFIG, metrics: [] } }],
        ['metric unknown', { ...base(), config: { ...CONFIG, metrics: ['revenue'] } }],
        ['chartType unknown', { ...base(), config: { ...CONFIG, chartTypes: ['donut'] } }],
        ['dateRange unknown', { ...base(), config: { ...CONFIG, dateRange: 'LAST_YEAR' } }],
        [
          'dateRange from after to',
          { ...base(), config: { ...CONFIG, dateRange: { from: '2024-02-01', to: '2024-01-01' } } },
        ],
        [
          'dateRange bad date',
          { ...base(), config: { ...CONFIG, dateRange: { from: '2024-02-30', to: '2024-03-01' } } },
        ],
        [
          'dateRange extra key',
          { ...base(), config: { ...CONFIG, dateRange: { from: '2024-01-01', to: '2024-01-02', tz: 'x' } } },
        ],
        ['config unknown key', { ...base(), config: { ...CONFIG, colour: 'red' } }],
        ['filters unknown key', { ...base(), config: { ...CONFIG, filters: { planet: 'x' } } }],
        ['filters not an object', { ...base(), config: { ...CONFIG, filters: 'x' } }],
        ['config an array', { ...base(), config: [] }],
        ['schedule unknown key', { ...base(), schedule: { ...schedule, colour: 'red' } }],
        ['schedule frequency unknown', { ...base(), schedule: { ...schedule, frequency: 'HOURLY' } }],
        ['schedule time 24:00', { ...base(), schedule: { ...schedule, time: '24:00' } }],
        ['schedule time 8:00', { ...base(), schedule: { ...schedule, time: '8:00' } }],
        ['schedule time 08:60', { ...base(), schedule: { ...schedule, time: '08:60' } }],
        ['schedule time with seconds', { ...base(), schedule: { ...schedule, time: '08:00:00' } }],
        ['schedule time missing', { ...base(), schedule: { frequency: 'DAILY', recipients: ['a@example.com'] } }],
        ['dayOfWeek 0', { ...base(), schedule: { ...schedule, dayOfWeek: 0 } }],
        ['dayOfWeek 8', { ...base(), schedule: { ...schedule, dayOfWeek: 8 } }],
        ['dayOfWeek string', { ...base(), schedule: { ...schedule, dayOfWeek: '1' } }],
        ['dayOfWeek 1.5', { ...base(), schedule: { ...schedule, dayOfWeek: 1.5 } }],
        [
          'WEEKLY without dayOfWeek',
          { ...base(), schedule: { frequency: 'WEEKLY', time: '08:00', recipients: ['a@example.com'] } },
        ],
        [
          'dayOfMonth 0',
          {
            ...base(),
            schedule: { frequency: 'MONTHLY', dayOfMonth: 0, time: '08:00', recipients: ['a@example.com'] },
          },
        ],
        [
          'dayOfMonth 32',
          {
            ...base(),
            schedule: { frequency: 'MONTHLY', dayOfMonth: 32, time: '08:00', recipients: ['a@example.com'] },
          },
        ],
        [
          'MONTHLY without dayOfMonth',
          { ...base(), schedule: { frequency: 'MONTHLY', time: '08:00', recipients: ['a@example.com'] } },
        ],
        [
          'DAILY with dayOfWeek',
          { ...base(), schedule: { frequency: 'DAILY', dayOfWeek: 2, time: '08:00', recipients: ['a@example.com'] } },
        ],
        ['WEEKLY with dayOfMonth', { ...base(), schedule: { ...schedule, dayOfMonth: 3 } }],
        ['recipients empty', { ...base(), schedule: { ...schedule, recipients: [] } }],
        ['recipients missing', { ...base(), schedule: { frequency: 'DAILY', time: '08:00' } }],
        ['recipient not an e-mail', { ...base(), schedule: { ...schedule, recipients: ['not-an-email'] } }],
        ['recipient a number', { ...base(), schedule: { ...schedule, recipients: [42] } }],
        ['recipients a string', { ...base(), schedule: { ...schedule, recipients: 'a@example.com' } }],
        ['schedule an array', { ...base(), schedule: [] }],
        ['name empty', { ...base(), name: '' }],
        ['name blank', { ...base(), name: '   ' }],
        ['name a number', { ...base(), name: 5 }],
        ['name too long', { ...base(), name: 'n'.repeat(201) }],
        ['description too long', { ...base(), description: 'd'.repeat(2001) }],
        ['description a number', { ...base(), description: 7 }],
        ['isActive a string', { ...base(), isActive: 'true' }],
        ['isActive null', { ...base(), isActive: null }],
        ['subAccountId a string', { ...base(), subAccountId: String(sub) }],
        ['subAccountId missing', { name: 'x', type: 'SOURCE', config: CONFIG, format: 'PDF' }],
        ['id given', { ...base(), id: 99 }],
        ['createdBy given', { ...base(), createdBy: 'someone-else' }],
      ];
      const wrong: unknown[] = [];
      for (const [what, body] of cases) {
        const res = await create(body);
        const ok =
          res.status === 400 &&
          ['VALIDATION_FAILED', 'CONFIG_SCHEMA_INVALID'].includes(res.body.code as string) &&
          res.body.statusCode === 400 &&
          typeof res.body.message === 'string';
        if (!ok) wrong.push([what, res.status, res.body]);
      }
      expect(wrong).toEqual([]);
    });

    it('an unknown top-level field is VALIDATION_FAILED, on POST, PATCH and generate', async () => {
      expect(await code(create({ ...base(), colour: 'red' }))).toEqual([400, 'VALIDATION_FAILED']);
      const id = (await create(base())).body.id as number;
      const patch = t.http.patch(`/api/report-templates/${id}`).set('authorization', admin).send({ colour: 'red' });
      expect(await code(patch)).toEqual([400, 'VALIDATION_FAILED']);
      const moved = t.http
        .patch(`/api/report-templates/${id}`)
        .set('authorization', admin)
        .send({ subAccountId: subB });
      expect(await code(moved)).toEqual([400, 'VALIDATION_FAILED']);
      const gen = t.http
        .post(`/api/report-templates/${id}/generate`)
        .set('authorization', admin)
        .send({ colour: 'red' });
      expect(await code(gen)).toEqual([400, 'VALIDATION_FAILED']);
    });

    it('a body that is not an object, or a repeated query parameter, is a 400 and never a 500', async () => {
      const id = (await create(base())).body.id as number;
      const calls = [
        () => t.http.post('/api/report-templates').set('content-type', 'application/json').send('[]'),
        () => t.http.post('/api/report-templates').set('content-type', 'application/json').send('"x"'),
        () => t.http.post('/api/report-templates').set('content-type', 'application/json').send('{"name":'),
        () => t.http.patch(`/api/report-templates/${id}`).set('content-type', 'application/json').send('[1]'),
        () => t.http.post(`/api/report-templates/${id}/generate`).set('content-type', 'application/json').send('[]'),
        () => t.http.get(`/api/reports?subAccountId=${sub}&subAccountId=${subB}`),
        () => t.http.get(`/api/report-templates?subAccountId=${sub}&subAccountId=${sub}`),
        () => t.http.get('/api/reports?templateId=1&templateId=2'),
        () => t.http.get('/api/reports/1/download?expires=1&expires=2&signature=x'),
      ];
      const seen = [];
      for (const call of calls) {
        const res = await call().set('authorization', admin);
        seen.push([res.status, res.body.code]);
      }
      expect(seen).toEqual(calls.map(() => [400, 'VALIDATION_FAILED']));
    });

    it('PATCH validates config and schedule like POST, and a bad PATCH changes nothing', async () => {
      const created = await create({
        ...base(),
        schedule: { frequency: 'DAILY', time: '08:00', recipients: ['a@example.com'] },
      });
      expect(created.status).toBe(201);
      const id = created.body.id as number;
      const bad: Json[] = [
        { config: { ...CONFIG, groupBy: ['source', 'status', 'day'] } },
        { config: { metrics: ['newLeads'], dateRange: 'LAST_YEAR' } },
        { schedule: { frequency: 'DAILY', time: '25:00', recipients: ['a@example.com'] } },
        { schedule: { frequency: 'WEEKLY', dayOfWeek: 9, time: '08:00', recipients: ['a@example.com'] } },
        { schedule: { frequency: 'DAILY', time: '08:00', recipients: ['nope'] } },
        { name: 'ok', type: 'NOPE' },
        { format: 'CSV' },
        { name: null },
        { name: '   ' },
        { name: '' },
        { schedule: { time: '09:00' } },
        { schedule: { frequency: 'WEEKLY', time: '08:00', recipients: ['a@example.com'] } },
        { isActive: null },
        { isActive: 'false' },
        { config: null },
        { type: null },
        { format: null },
      ];
      const wrong: unknown[] = [];
      for (const body of bad) {
        const res = await t.http.patch(`/api/report-templates/${id}`).set('authorization', admin).send(body);
        if (res.status !== 400) wrong.push([body, res.status, res.body]);
      }
      expect(wrong).toEqual([]);
      const after = await t.http.get(`/api/report-templates/${id}`).set('authorization', admin);
      expect(after.body).toMatchObject({
        name: 'Audit 26',
        type: 'SOURCE',
        format: 'PDF',
        config: CONFIG,
        schedule: { frequency: 'DAILY', time: '08:00', recipients: ['a@example.com'] },
      });
      // a partial schedule PATCH: schedule replaced as a whole, or merged; never half-valid
      const cleared = await t.http
        .patch(`/api/report-templates/${id}`)
        .set('authorization', admin)
        .send({ description: null, schedule: null });
      expect(cleared.status).toBe(200);
      expect(cleared.body).toMatchObject({ schedule: null, description: null, name: 'Audit 26' });
      expect(cleared.body.updatedAt >= created.body.updatedAt).toBe(true);
    });
  });

  describe('roles and tenants', () => {
    it('AGENT is 403 FORBIDDEN on every report route; MANAGER may do everything', async () => {
      const id = (await create(base())).body.id as number;
      const calls = [
        () => t.http.get('/api/report-templates'),
        () => t.http.get(`/api/report-templates?subAccountId=${sub}`),
        () => t.http.post('/api/report-templates').send(base()),
        () => t.http.get(`/api/report-templates/${id}`),
        () => t.http.patch(`/api/report-templates/${id}`).send({ name: 'x' }),
        () => t.http.delete(`/api/report-templates/${id}`),
        () => t.http.post(`/api/report-templates/${id}/generate`).send({}),
        () => t.http.get('/api/reports'),
        () => t.http.get(`/api/reports?subAccountId=${sub}`),
        () => t.http.get('/api/reports/1/download'),
      ];
      const seen = [];
      for (const call of calls) {
        const res = await call().set('authorization', agent);
        seen.push([res.status, res.body.code]);
      }
      expect(seen).toEqual(calls.map(() => [403, 'FORBIDDEN']));
      const m = await create({ ...base(), name: 'by manager' }, manager);
      expect(m.status).toBe(201);
      expect(m.body.createdBy).toBe('u-manager-26');
      const mid = m.body.id as number;
      expect(
        (await t.http.patch(`/api/report-templates/${mid}`).set('authorization', manager).send({ name: 'm2' })).status,
      ).toBe(200);
      const gen = await t.http.post(`/api/report-templates/${mid}/generate`).set('authorization', manager).send({});
      expect(gen.status).toBe(202);
      expect(Object.keys(gen.body)).toEqual(['reportId']);
      expect(typeof gen.body.reportId).toBe('string');
      // the body is optional: no body at all is the template's own format and range
      const bare = await t.http.post(`/api/report-templates/${mid}/generate`).set('authorization', manager);
      expect([bare.status, typeof bare.body.reportId]).toEqual([202, 'string']);
      expect((await t.http.delete(`/api/report-templates/${mid}`).set('authorization', manager)).status).toBe(204);
      expect(await code(t.http.get(`/api/report-templates/${mid}`).set('authorization', manager))).toEqual([
        404,
        'NOT_FOUND',
      ]);
      expect(await code(t.http.delete(`/api/report-templates/${mid}`).set('authorization', manager))).toEqual([
        404,
        'NOT_FOUND',
      ]);
      expect(
        await code(t.http.patch(`/api/report-templates/${mid}`).set('authorization', manager).send({ name: 'x' })),
      ).toEqual([404, 'NOT_FOUND']);
      expect(
        await code(t.http.post(`/api/report-templates/${mid}/generate`).set('authorization', manager).send({})),
      ).toEqual([404, 'NOT_FOUND']);
    });

    it('explicit foreign subAccountId is 403; a foreign record 404; unknown sub-account for a super-admin 404', async () => {
      expect(await code(create({ ...base(), subAccountId: subB }))).toEqual([403, 'FORBIDDEN']);
      expect(await code(t.http.get(`/api/report-templates?subAccountId=${subB}`).set('authorization', admin))).toEqual([
        403,
        'FORBIDDEN',
      ]);
      expect(await code(t.http.get(`/api/reports?subAccountId=${subB}`).set('authorization', admin))).toEqual([
        403,
        'FORBIDDEN',
      ]);
      expect(await code(create({ ...base(), subAccountId: 2_000_000_000 }, superAdmin))).toEqual([404, 'NOT_FOUND']);
      const idB = (await create({ ...base(), subAccountId: subB }, adminB)).body.id as number;
      expect(await code(t.http.get(`/api/report-templates/${idB}`).set('authorization', admin))).toEqual([
        404,
        'NOT_FOUND',
      ]);
      const listA = await t.http.get('/api/report-templates').set('authorization', admin);
      expect((listA.body.items as Json[]).some((x) => x.id === idB)).toBe(false);
      const listSuper = await t.http.get(`/api/report-templates?subAccountId=${subB}`).set('authorization', superAdmin);
      expect((listSuper.body.items as Json[]).map((x) => x.id)).toEqual([idB]);
      const foreignReports = await t.http.get(`/api/reports?templateId=${idB}`).set('authorization', admin);
      expect([foreignReports.status, foreignReports.body.total]).toEqual([200, 0]);
    });
  });

  describe('paging', () => {
    it('lists as { items, page, pageSize, total } and refuses bad paging', async () => {
      for (const path of ['/api/report-templates', '/api/reports']) {
        const res = await t.http.get(`${path}?page=1&pageSize=1`).set('authorization', admin);
        expect([path, res.status, Object.keys(res.body).sort()]).toEqual([
          path,
          200,
          ['items', 'page', 'pageSize', 'total'],
        ]);
        expect(res.body).toMatchObject({ page: 1, pageSize: 1 });
        const dflt = await t.http.get(path).set('authorization', admin);
        expect([path, dflt.body.page, dflt.body.pageSize]).toEqual([path, 1, 50]);
        for (const q of [
          'pageSize=201',
          'pageSize=0',
          'page=0',
          'page=-1',
          'page=abc',
          'pageSize=1.5',
          'subAccountId=abc',
          'subAccountId=0',
        ]) {
          const bad = await t.http.get(`${path}?${q}`).set('authorization', admin);
          expect([path, q, bad.status, bad.body.code]).toEqual([path, q, 400, 'VALIDATION_FAILED']);
        }
        const max = await t.http.get(`${path}?pageSize=200`).set('authorization', admin);
        expect([path, max.status]).toEqual([path, 200]);
      }
      const bad = await t.http.get('/api/reports?templateId=x').set('authorization', admin);
      expect([bad.status, bad.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      const total = (await t.http.get('/api/report-templates').set('authorization', admin)).body.total as number;
      const p2 = await t.http.get('/api/report-templates?page=2&pageSize=1').set('authorization', admin);
      expect(p2.body.items).toHaveLength(total >= 2 ? 1 : 0);
    });

    it('ids that are not ids are 400; a well-formed id no row can have is 404', async () => {
      const zero = await t.http.get('/api/report-templates/0').set('authorization', admin);
      expect([zero.status, zero.body.code]).toEqual([404, 'NOT_FOUND']);
      for (const path of ['/api/report-templates/abc', '/api/report-templates/1.5']) {
        const res = await t.http.get(path).set('authorization', admin);
        expect([path, res.status, res.body.code]).toEqual([path, 400, 'VALIDATION_FAILED']);
      }
      for (const path of ['/api/reports/abc/download', '/api/reports/-1/download']) {
        const res = await t.http.get(path).set('authorization', admin);
        expect([path, res.status, res.body.code]).toEqual([path, 400, 'VALIDATION_FAILED']);
      }
      const none = await t.http.get('/api/reports/999999999/download').set('authorization', admin);
      expect([none.status, none.body.code]).toEqual([404, 'NOT_FOUND']);
    });
  });

  describe('generate', () => {
    it('refuses bad from/to and format with 400', async () => {
      const id = (await create(base())).body.id as number;
      const bad: Json[] = [
        { from: '2024-13-01' },
        { to: '2024-02-30' },
        { from: 'yesterday' },
        { from: '2024-03-10', to: '2024-03-01' },
        { from: 20240301 },
        { format: 'CSV' },
        { format: 'pdf' },
        { format: null },
        { from: null },
        { to: null },
        { from: '' },
        { from: '2999-01-01' },
        { to: '2000-01-01' },
        { from: '2024-03-01T00:00:00Z', to: '2024-03-01T00:00:00Z' },
        { from: '2024-03-01T00:00:00+25:00' },
      ];
      const wrong: unknown[] = [];
      for (const body of bad) {
        const res = await t.http.post(`/api/report-templates/${id}/generate`).set('authorization', admin).send(body);
        if (res.status !== 400 || res.body.code !== 'VALIDATION_FAILED') wrong.push([body, res.status, res.body]);
      }
      expect(wrong).toEqual([]);
    });

    it('generates, lists with every field, downloads by bearer and signed link; deleting the template keeps nothing foreign', async () => {
      const id = (await create({ ...base(), name: 'Round trip', format: 'EXCEL' })).body.id as number;
      const gen = await t.http
        .post(`/api/report-templates/${id}/generate`)
        .set('authorization', manager)
        .send({ from: '2024-03-01', to: '2024-03-02' });
      expect(gen.status).toBe(202);
      const reportId = gen.body.reportId as string;
      const report = await waitFor(
        async () => {
          const res = await t.http.get(`/api/reports?subAccountId=${sub}&templateId=${id}`).set('authorization', admin);
          const r = (res.body.items as Json[]).find((x) => x.id === reportId);
          return r && (r.status === 'ready' || r.status === 'failed') ? r : undefined;
        },
        30_000,
        'the report',
      );
      expect(report).toMatchObject({
        id: reportId,
        templateId: id,
        status: 'ready',
        fileType: 'EXCEL',
        generatedBy: 'u-manager-26',
      });
      expect(typeof report.templateId).toBe('number');
      expect(typeof report.subAccountId).toBe('number');
      expect(typeof report.fileName).toBe('string');
      expect(report.fileName).toMatch(/\.xlsx$/);
      expect(typeof report.rows).toBe('number');
      expect(typeof report.bytes).toBe('number');
      expect(new Date(report.periodStart as string).toISOString()).toBe(report.periodStart);
      expect(new Date(report.createdAt as string).toISOString()).toBe(report.createdAt);
      const url = new URL(report.downloadUrl as string);
      expect(url.pathname).toBe(`/api/reports/${reportId}/download`);
      const signed = await t.http.get(`${url.pathname}${url.search}`);
      expect(signed.status).toBe(200);
      expect(signed.headers['content-type']).toMatch(/spreadsheetml/);
      expect(signed.headers['content-disposition']).toMatch(/^attachment; filename=".*\.xlsx"/);
      // a signed link opened with B's bearer beside it is still the signed link (the browser may send one)
      const signedAsB = await t.http.get(`${url.pathname}${url.search}`).set('authorization', adminB);
      expect(signedAsB.status).toBe(200);
      // signed link from A's report does not open with B's bearer either way
      const asB = await t.http.get(`/api/reports/${reportId}/download`).set('authorization', adminB);
      expect([asB.status, asB.body.code]).toEqual([404, 'NOT_FOUND']);
      // the same signature with an expiry in the past: refused
      const expired = await t.http.get(
        `${url.pathname}?expires=0&signature=${url.searchParams.get('signature') as string}`,
      );
      expect(expired.status).toBe(401);

      // not ready (yet, or again): no downloadUrl, and the download is a 409 CONFLICT by either route
      await t.sql.query(`UPDATE reports SET status = 'running' WHERE id = $1`, [reportId]);
      const running = await t.http.get(`/api/reports?templateId=${id}`).set('authorization', admin);
      expect((running.body.items as Json[]).find((x) => x.id === reportId)).toMatchObject({
        status: 'running',
        downloadUrl: null,
      });
      const notReady = await t.http.get(`/api/reports/${reportId}/download`).set('authorization', admin);
      expect([notReady.status, notReady.body.code]).toEqual([409, 'CONFLICT']);
      const notReadySigned = await t.http.get(`${url.pathname}${url.search}`);
      expect([notReadySigned.status, notReadySigned.body.code]).toEqual([409, 'CONFLICT']);
      await t.sql.query(`UPDATE reports SET status = 'ready' WHERE id = $1`, [reportId]);

      expect((await t.http.delete(`/api/report-templates/${id}`).set('authorization', admin)).status).toBe(204);
      expect(await code(t.http.get(`/api/report-templates/${id}`).set('authorization', admin))).toEqual([
        404,
        'NOT_FOUND',
      ]);
      const listed = await t.http.get(`/api/reports?templateId=${id}`).set('authorization', admin);
      expect([listed.status, listed.body.total]).toEqual([200, 0]);
      // the file already made stays downloadable by its report id, still inside its tenant
      expect((await t.http.get(`/api/reports/${reportId}/download`).set('authorization', admin)).status).toBe(200);
      const afterB = await t.http.get(`/api/reports/${reportId}/download`).set('authorization', adminB);
      expect([afterB.status, afterB.body.code]).toEqual([404, 'NOT_FOUND']);
    });
  });

  describe('every type in every format', () => {
    it('is created and generated to a ready file', async () => {
      const wanted: Array<[string, string]> = [];
      const ids: Array<[string, string]> = [];
      for (const type of ['FUNNEL', 'CONVERSION', 'SOURCE', 'TEAM', 'ROI', 'CUSTOM']) {
        for (const format of ['PDF', 'EXCEL']) {
          const created = await create({
            ...base(),
            name: `${type} ${format}`,
            type,
            format,
            config: { ...CONFIG, metrics: ['newLeads', 'spend', 'conversionRate'], groupBy: ['source', 'day'] },
          });
          expect([type, format, created.status, created.body.type, created.body.format]).toEqual([
            type,
            format,
            201,
            type,
            format,
          ]);
          const gen = await t.http
            .post(`/api/report-templates/${created.body.id as number}/generate`)
            .set('authorization', admin)
            .send({});
          expect([type, format, gen.status]).toEqual([type, format, 202]);
          ids.push([`${type} ${format}`, gen.body.reportId as string]);
          wanted.push([`${type} ${format}`, 'ready']);
        }
      }
      const seen = await waitFor(
        async () => {
          const res = await t.http.get(`/api/reports?subAccountId=${sub}&pageSize=200`).set('authorization', admin);
          const byId = new Map((res.body.items as Json[]).map((r) => [r.id, r]));
          const states = ids.map(([what, id]) => [what, byId.get(id)?.status]);
          return states.every(([, st]) => st === 'ready' || st === 'failed') ? states : undefined;
        },
        60_000,
        'every report',
      );
      expect(seen).toEqual(wanted);
    });
  });
});
