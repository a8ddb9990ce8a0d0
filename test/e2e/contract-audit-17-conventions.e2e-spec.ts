// Audit 17 of API.md's "Conventions", "Authentication and roles", "Integration templates", "Sub-account
// settings" and the Leads activities, as the CRM's developer, as another tenant's admin and as a
// super-admin writing templates. Reuses the two-tenant setup of audit 7 (test/support/contract-conventions-7-setup.ts).
// Failed before their fix:
// - POST /api/leads/:id/activities took any readable occurredAt (year 9999, 2999, a day before 1970)
//   and a durationSeconds up to 2^31-1 (68 years): stored as given and counted in team figures of days
//   that never come;
// - PATCH /api/sub-accounts/:id took a timezone Node's ICU reads and PostgreSQL's tzdata does not
//   (US/Pacific-New, Canada/East-Saskatchewan: dropped from tzdata): 200, and then every lead of the
//   sub-account failed with 500 (POST /api/leads, and each provider delivery), since the rollup written
//   with each fact reads the local day in SQL;
// - POST /api/leads took `source` as an array (each element checked as a source): 201, and the campaign,
//   ad and form it named were dropped without a word (the array was read as an object with key "0");
// - PATCH /api/leads/:id stored tags as typed, where POST /api/leads (and every provider's lead) trims
//   them and drops blank ones: [" hot", "hot ", ""] made three tags, two looking alike and one empty;
// - POST/PATCH /api/integration-templates refused a "default" on a secret property (the template is
//   readable by every admin of every tenant) but took a "const" or an "enum" there, which writes the one
//   secret every integration must hold into that readable schema (201, then in every GET);
// - POST /api/leads cut customAnswers without a word: 201, the 201st answer and later ones dropped, an
//   answer over 5,000 characters or a question over 200 shortened (every other field is refused, 400);
// - POST and PATCH /api/sub-accounts took a name of spaces (201/200): a sub-account no one can pick out
//   in the CRM, where a lead's blank name counts as none and a template's blank category is refused.
import { TestApp } from '../support/test-app';
import { ContractConventions7, notEnvelope, setupContractConventions7 } from '../support/contract-conventions-7-setup';

type Json = Record<string, unknown>;

const fieldsOf = (body: Json): unknown[] =>
  Array.isArray(body.details) ? body.details.map((d: { field?: unknown }) => d.field) : [];

describe('API.md contract audit 17: conventions, roles, templates, sub-account settings, lead activities', () => {
  let t: TestApp;
  let sub: number;
  let leadId: string;
  let send: ContractConventions7['send'];
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ t, sub, leadId, send, close } = await setupContractConventions7());
  });
  afterAll(async () => close?.());

  describe('POST /api/leads/:id/activities', () => {
    const activities = async (): Promise<number> =>
      (await t.sql.query('SELECT count(*)::int AS n FROM lead_activities WHERE lead_id = $1', [leadId])).rows[0].n;

    it('refuses an occurredAt before 1970 or more than a year ahead, and a call of more than a day, 400 naming the field', async () => {
      const agent = `Bearer ${t.token('AGENT', [sub])}`;
      const before = await activities();
      const now = Date.now();
      const refused: Array<[Json, string]> = [
        [{ occurredAt: '9999-12-31T23:59:59Z' }, 'occurredAt'],
        [{ occurredAt: '2999-01-01T00:00:00Z' }, 'occurredAt'],
        [{ occurredAt: new Date(now + 400 * 86_400_000).toISOString() }, 'occurredAt'],
        [{ occurredAt: '1969-12-31T23:59:59Z' }, 'occurredAt'],
        [{ occurredAt: '1900-01-01' }, 'occurredAt'],
        [{ durationSeconds: 2 ** 31 - 1 }, 'durationSeconds'],
        [{ durationSeconds: 86_401 }, 'durationSeconds'],
      ];
      const wrong: string[] = [];
      for (const [extra, field] of refused) {
        const res = await send('post', `/api/leads/${leadId}/activities`, agent, {
          type: 'CALL',
          outcome: 'ANSWERED',
          userId: 'agent-17',
          ...extra,
        });
        const problem = notEnvelope(res, 400, 'VALIDATION_FAILED');
        if (problem || JSON.stringify(fieldsOf(res.body)) !== JSON.stringify([field]))
          wrong.push(`${JSON.stringify(extra)}: ${problem || JSON.stringify(res.body.details)}`);
      }
      expect(wrong).toEqual([]);
      expect(await activities()).toBe(before);

      // the edges are taken: the epoch, a meeting booked for next week, a call of exactly a day, a late report
      const taken: Json[] = [
        { occurredAt: '1970-01-01T00:00:00Z' },
        { occurredAt: new Date(now + 7 * 86_400_000).toISOString() },
        { occurredAt: new Date(now - 30 * 86_400_000).toISOString(), durationSeconds: 86_400 },
        { durationSeconds: 0 },
      ];
      for (const extra of taken) {
        const res = await send('post', `/api/leads/${leadId}/activities`, agent, {
          type: 'CALL',
          userId: 'a',
          ...extra,
        });
        expect([JSON.stringify(extra), res.status]).toEqual([JSON.stringify(extra), 201]);
      }
      expect(await activities()).toBe(before + taken.length);
    });
  });

  it('PATCH /api/leads/:id tags are kept as a created lead keeps them: trimmed, blank ones dropped, each once', async () => {
    const agent = `Bearer ${t.token('AGENT', [sub])}`;
    const tags = [' hot', 'hot ', '', '   ', 'hot', 'Cold'];
    const created = await send('post', '/api/leads', agent, { subAccountId: sub, fullName: 'Tia Tags', tags });
    expect(created.body.tags).toEqual(['hot', 'Cold']);
    const patched = await send('patch', `/api/leads/${String(created.body.id)}`, agent, { tags: [...tags, 'warm'] });
    expect([patched.status, patched.body.tags]).toEqual([200, ['hot', 'Cold', 'warm']]);
    const stored = await t.sql.query('SELECT tags FROM leads WHERE id = $1', [created.body.id]);
    expect(stored.rows[0].tags).toEqual(['hot', 'Cold', 'warm']);
    const cleared = await send('patch', `/api/leads/${String(created.body.id)}`, agent, { tags: [' '] });
    expect(cleared.body.tags).toEqual([]);
  });

  it('refuses a template schema that writes a secret out as its "const" or "enum" 400 CONFIG_SCHEMA_INVALID, on create and change', async () => {
    const su = `Bearer ${t.token('SUPER_ADMIN')}`;
    const base = { displayName: 'Pinned', category: 'CRM', handler: 'generic-webhook' };
    const secret = { type: 'string', 'x-secret': true };
    const schemas: Array<[string, Json]> = [
      ['/token', { token: { ...secret, const: 'pinned-s3cr3t-0001' } }],
      ['/token', { token: { ...secret, enum: ['pinned-s3cr3t-0002', 'pinned-s3cr3t-0003'] } }],
      ['/auth', { auth: { type: 'object', properties: { token: secret }, const: { token: 'pinned-s3cr3t-0004' } } }],
    ];
    const wrong: string[] = [];
    for (const [i, [pointer, properties]] of schemas.entries()) {
      const configSchema = { type: 'object', properties };
      const res = await send('post', '/api/integration-templates', su, { ...base, name: `pinned-${i}`, configSchema });
      const problem = notEnvelope(res, 400, 'CONFIG_SCHEMA_INVALID');
      if (problem || !String(res.body.message).includes(pointer) || JSON.stringify(res.body).includes('s3cr3t'))
        wrong.push(`${JSON.stringify(properties)}: ${problem || JSON.stringify(res.body)}`);
    }
    const plain = { type: 'object', properties: { token: secret } };
    const created = await send('post', '/api/integration-templates', su, {
      ...base,
      name: 'pinned-ok',
      configSchema: plain,
    });
    expect(created.status).toBe(201);
    const changed = await send('patch', `/api/integration-templates/${String(created.body.id)}`, su, {
      configSchema: { type: 'object', properties: schemas[0][1] },
    });
    if (notEnvelope(changed, 400, 'CONFIG_SCHEMA_INVALID')) wrong.push(`PATCH: ${changed.status}`);
    expect(wrong).toEqual([]);
    const listed = await send('get', '/api/integration-templates?pageSize=200', `Bearer ${t.token('ADMIN', [sub])}`);
    expect(JSON.stringify(listed.body)).not.toContain('s3cr3t');
  });

  it('refuses custom answers a lead cannot keep whole, 400 naming each, and creates no lead', async () => {
    const admin = `Bearer ${t.token('ADMIN', [sub])}`;
    const many = Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`q${i}`, 'yes']));
    const cases: Array<[Json, string]> = [
      [many, 'customAnswers'],
      [{ budget: 'x'.repeat(5_001) }, 'customAnswers.budget'],
      [{ ['q'.repeat(201)]: 'yes' }, `customAnswers.${'q'.repeat(200)}`],
    ];
    const before = (await t.sql.query('SELECT count(*)::int AS n FROM leads')).rows[0].n;
    for (const [customAnswers, field] of cases) {
      const res = await send('post', '/api/leads', admin, { subAccountId: sub, fullName: 'Ann Swers', customAnswers });
      expect([field, notEnvelope(res, 400, 'VALIDATION_FAILED')]).toEqual([field, '']);
      expect(fieldsOf(res.body)).toEqual([field]);
    }
    expect((await t.sql.query('SELECT count(*)::int AS n FROM leads')).rows[0].n).toBe(before);
    // at the limits, every answer is kept as sent
    const full = { ...Object.fromEntries(Array.from({ length: 199 }, (_, i) => [`q${i}`, 'yes'])) };
    full['q'.repeat(200)] = 'x'.repeat(5_000);
    const ok = await send('post', '/api/leads', admin, {
      subAccountId: sub,
      fullName: 'Ann Swers',
      customAnswers: full,
    });
    expect(ok.status).toBe(201);
    expect(ok.body.customAnswers).toEqual(full);
  });

  describe('POST /api/leads source', () => {
    it('refuses an array where the source object goes, 400 naming source, and creates no lead', async () => {
      const admin = `Bearer ${t.token('ADMIN', [sub])}`;
      const leads = async (): Promise<number> =>
        (await t.sql.query('SELECT count(*)::int AS n FROM leads WHERE sub_account_id = $1', [sub])).rows[0].n;
      const before = await leads();
      for (const source of [[{ platform: 'manual', campaignId: 'c-17', campaignName: 'Autumn' }], []]) {
        const res = await send('post', '/api/leads', admin, { subAccountId: sub, email: 'src@example.org', source });
        expect([JSON.stringify(source), notEnvelope(res, 400, 'VALIDATION_FAILED')]).toEqual([
          JSON.stringify(source),
          '',
        ]);
        expect(fieldsOf(res.body)).toEqual(['source']);
      }
      expect(await leads()).toBe(before);
      // the object keeps its campaign
      const ok = await send('post', '/api/leads', admin, {
        subAccountId: sub,
        email: 'src@example.org',
        source: { platform: 'manual', campaignId: 'c-17', campaignName: 'Autumn' },
      });
      expect(ok.status).toBe(201);
      expect(JSON.stringify(ok.body.sourceTracking)).toContain('Autumn');
    });
  });

  it('refuses a sub-account name of spaces 400 naming name, on create and change; the name stays', async () => {
    const su = `Bearer ${t.token('SUPER_ADMIN')}`;
    const before = (await t.sql.query('SELECT count(*)::int AS n FROM sub_accounts')).rows[0].n;
    for (const name of [' ', '   ', '\t\n']) {
      const created = await send('post', '/api/sub-accounts', su, { name });
      expect([JSON.stringify(name), notEnvelope(created, 400, 'VALIDATION_FAILED')]).toEqual([
        JSON.stringify(name),
        '',
      ]);
      expect(fieldsOf(created.body)).toEqual(['name']);
      const patched = await send('patch', `/api/sub-accounts/${sub}`, `Bearer ${t.token('ADMIN', [sub])}`, { name });
      expect([JSON.stringify(name), notEnvelope(patched, 400, 'VALIDATION_FAILED')]).toEqual([
        JSON.stringify(name),
        '',
      ]);
    }
    expect((await t.sql.query('SELECT count(*)::int AS n FROM sub_accounts')).rows[0].n).toBe(before);
    expect((await send('get', `/api/sub-accounts/${sub}`, su)).body.name).toBe('Tenant A');
    expect((await send('post', '/api/sub-accounts', su, { name: ' Acme East ' })).status).toBe(201);
  });

  describe('PATCH /api/sub-accounts/:id timezone', () => {
    it.each(['US/Pacific-New', 'Canada/East-Saskatchewan'])(
      'refuses %s (Node reads it, PostgreSQL does not) 400 naming timezone; the sub-account keeps taking leads',
      async (zone) => {
        const created = await send('post', '/api/sub-accounts', `Bearer ${t.token('SUPER_ADMIN')}`, { name: zone });
        const id = created.body.id as number;
        const admin = `Bearer ${t.token('ADMIN', [id])}`;
        const res = await send('patch', `/api/sub-accounts/${id}`, admin, { timezone: zone });
        expect(notEnvelope(res, 400, 'VALIDATION_FAILED')).toBe('');
        expect(fieldsOf(res.body)).toEqual(['timezone']);
        expect((await send('get', `/api/sub-accounts/${id}`, admin)).body.timezone).toBe('UTC');
        const lead = await send('post', '/api/leads', admin, { subAccountId: id, email: 'tz@example.org' });
        expect(lead.status).toBe(201);
      },
    );

    it('still takes the names both read, in any letter case, and shows them as the tz database spells them', async () => {
      const admin = `Bearer ${t.token('ADMIN', [sub])}`;
      const taken: Array<[string, string]> = [
        ['america/sao_paulo', 'America/Sao_Paulo'],
        ['Asia/Calcutta', 'Asia/Calcutta'],
        ['EST5EDT', 'EST5EDT'],
        ['UTC', 'UTC'],
      ];
      for (const [zone, shown] of taken) {
        const res = await send('patch', `/api/sub-accounts/${sub}`, admin, { timezone: zone });
        expect([zone, res.status, res.body.timezone]).toEqual([zone, 200, shown]);
      }
      expect((await send('post', '/api/leads', admin, { subAccountId: sub, email: 'tz2@example.org' })).status).toBe(
        201,
      );
    });
  });
});
