// Audit 27, lead search (API.md "Leads": GET /api/leads?q=): a CRM's people type names without their
// accents ("jose", "alvarez", "lukasz"), and providers send names with them, composed or decomposed.
// Each must find the other, case-insensitively, within the caller's sub-account only.
import { FOLD_FROM, FOLD_MULTI, FOLD_TO, foldName } from '../../src/database/name-fold';
import { createIntegration, createSubAccount, WHATSAPP_CONFIG } from '../support/factories';
import { createTestApp, TestApp } from '../support/test-app';

describe('contract audit 27: lead search without accents', () => {
  let t: TestApp;
  let sub: number;
  let other: number;
  let admin: string;

  const create = async (s: number, fullName: string): Promise<void> => {
    const res = await t.http
      .post('/api/leads')
      .set('authorization', `Bearer ${t.token('ADMIN', [s])}`)
      .send({ subAccountId: s, fullName, email: `${Buffer.from(fullName).toString('hex').slice(0, 40)}@example.test` });
    if (res.status !== 201) throw new Error(`lead: ${res.status} ${JSON.stringify(res.body)}`);
  };
  const names = async (q: string): Promise<string[]> => {
    const res = await t.http
      .get(`/api/leads?subAccountId=${sub}&q=${encodeURIComponent(q)}&pageSize=200`)
      .set('authorization', admin);
    expect(res.status).toBe(200);
    return (res.body.items as Array<{ fullName: string }>).map((l) => l.fullName).sort();
  };

  beforeAll(async () => {
    t = await createTestApp();
    sub = await createSubAccount(t, 'MAX', 'Search audit 27');
    other = await createSubAccount(t, 'MAX', 'Search audit 27, other tenant');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
    for (const name of [
      'José Álvarez',
      'Jose Martinez',
      'Zoe\u0308 Smith', // decomposed: e + COMBINING DIAERESIS, as some forms send it
      'Łukasz Żółć',
      'Nguyễn Văn An',
      'François Müller',
      'Ana 100% Real',
      'Karl Weiß',
      'Erik Æbelø',
      'Þór Guðmundsson',
      'Claire Cœur',
    ])
      await create(sub, name);
    await create(other, 'José Otro');
  });
  afterAll(() => t?.close());

  it.each([
    ['jose', ['Jose Martinez', 'José Álvarez']],
    ['JOSÉ', ['Jose Martinez', 'José Álvarez']],
    ['alvarez', ['José Álvarez']],
    ['ÁLVAREZ', ['José Álvarez']],
    ['jose alv', ['José Álvarez']],
    ['zoe', ['Zoe\u0308 Smith']],
    ['zoë', ['Zoe\u0308 Smith']],
    ['lukasz zolc', ['Łukasz Żółć']],
    ['nguyen', ['Nguyễn Văn An']],
    ['francois muller', ['François Müller']],
    ['Müller', ['François Müller']],
    // letters a keyboard without them spells with two
    ['weiss', ['Karl Weiß']],
    ['WEISS', ['Karl Weiß']],
    ['weiß', ['Karl Weiß']],
    ['aebelo', ['Erik Æbelø']],
    ['thor gudmundsson', ['Þór Guðmundsson']],
    ['coeur', ['Claire Cœur']],
  ])('q=%s finds %j', async (q, expected) => {
    expect(await names(q)).toEqual(expected);
  });

  it('a wildcard typed in q is a literal, and another tenant’s José is never found', async () => {
    expect(await names('%')).toEqual(['Ana 100% Real']);
    expect(await names('_')).toEqual([]);
    expect(await names('otro')).toEqual([]);
    // only combining marks: nothing is left to find once folded, and nothing is found (not every lead)
    expect(await names('\u0301\u0308')).toEqual([]);
  });

  it('GET /api/conversations?q= finds a WhatsApp profile name without its accents', async () => {
    const integrationId = (await createIntegration(t, sub, 'whatsapp-cloud', WHATSAPP_CONFIG)).id;
    for (const [contact, profile] of [
      ['5511999990001', 'João Gonçalves'],
      ['5511999990002', 'Joana Silva'],
    ])
      await t.sql.query(
        `INSERT INTO conversations (sub_account_id, integration_id, channel, contact_key, wa_id, profile_name, updated_at)
         VALUES ($1, $2, 'whatsapp', $3, $3, $4, now())`,
        [sub, integrationId, contact, profile],
      );
    const found = async (q: string): Promise<string[]> => {
      const res = await t.http
        .get(`/api/conversations?subAccountId=${sub}&q=${encodeURIComponent(q)}`)
        .set('authorization', admin);
      expect(res.status).toBe(200);
      return (res.body.items as Array<{ contact: { profileName: string } }>).map((c) => c.contact.profileName).sort();
    };
    expect(await found('joao')).toEqual(['João Gonçalves']);
    expect(await found('GONCALVES')).toEqual(['João Gonçalves']);
    expect(await found('jo')).toEqual(['Joana Silva', 'João Gonçalves']);
  });

  it('the search folds exactly as the stored column does (name-fold.ts and the migration agree)', async () => {
    expect([...FOLD_FROM].length).toBe(FOLD_TO.length);
    const marks = Array.from({ length: 0x70 }, (_, i) => String.fromCharCode(0x300 + i)).join('');
    const multi = FOLD_MULTI.map(([letter]) => letter).join('');
    const sample = `${FOLD_FROM}|a${marks}b|${multi}|日本`;
    const stored = await t.sql.query<{ folded: string }>(
      `INSERT INTO leads (sub_account_id, full_name, updated_at) VALUES ($1, $2, now()) RETURNING full_name_folded AS folded`,
      [other, sample],
    );
    expect(stored.rows[0].folded).toBe(foldName(sample));
    expect(foldName(sample)).toBe(`${FOLD_TO}|ab|ssSSaeAEoeOEthTHdD|日本`);
  });

  describe('createdFrom / createdTo dates are days of the sub-account’s calendar', () => {
    let sp: number;
    const ids: Record<string, string> = {};

    beforeAll(async () => {
      sp = await createSubAccount(t, 'MAX', 'São Paulo calendar');
      const zone = await t.http
        .patch(`/api/sub-accounts/${sp}`)
        .set('authorization', `Bearer ${t.token('SUPER_ADMIN')}`)
        .send({ timezone: 'America/Sao_Paulo' });
      expect(zone.status).toBe(200);
      // São Paulo is UTC−3: 01:00Z on the 10th is still the 9th there, 02:59Z on the 11th still the 10th
      for (const [name, at] of [
        ['late on the 9th', '2026-03-10T01:00:00Z'],
        ['early on the 10th', '2026-03-10T03:00:00Z'],
        ['late on the 10th', '2026-03-11T02:59:00Z'],
        ['early on the 11th', '2026-03-11T03:00:00Z'],
      ]) {
        const row = await t.sql.query<{ id: string }>(
          `INSERT INTO leads (sub_account_id, full_name, created_at, updated_at) VALUES ($1, $2, $3::timestamptz, now())
           RETURNING id::text`,
          [sp, name, at],
        );
        ids[name] = row.rows[0].id;
      }
    });

    const listed = async (query: string, auth = `Bearer ${t.token('ADMIN', [sp])}`): Promise<string[]> => {
      const res = await t.http.get(`/api/leads?${query}&pageSize=200`).set('authorization', auth);
      expect(res.status).toBe(200);
      return (res.body.items as Array<{ fullName: string }>).map((l) => l.fullName).sort();
    };

    it('a date lists the leads of that local day, the ones the overview counts as new on it', async () => {
      expect(await listed(`subAccountId=${sp}&createdFrom=2026-03-10&createdTo=2026-03-10`)).toEqual([
        'early on the 10th',
        'late on the 10th',
      ]);
      const overview = await t.http
        .get(`/api/analytics/overview?subAccountId=${sp}&from=2026-03-10&to=2026-03-10`)
        .set('authorization', `Bearer ${t.token('ADMIN', [sp])}`);
      expect(overview.body.totals.newLeads).toBe(2);
      expect(await listed(`subAccountId=${sp}&createdTo=2026-03-09`)).toEqual(['late on the 9th']);
      expect(await listed(`subAccountId=${sp}&createdFrom=2026-03-11`)).toEqual(['early on the 11th']);
    });

    it('timestamps are taken as given; an upside-down range is 400 naming both fields', async () => {
      expect(
        await listed(`subAccountId=${sp}&createdFrom=2026-03-10T02:00:00Z&createdTo=2026-03-11T02:59:00Z`),
      ).toEqual(['early on the 10th', 'late on the 10th']);
      const res = await t.http
        .get(`/api/leads?subAccountId=${sp}&createdFrom=2026-03-11&createdTo=2026-03-10`)
        .set('authorization', `Bearer ${t.token('ADMIN', [sp])}`);
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.details)).toMatch(/createdFrom[\s\S]*createdTo/);
    });

    it('without subAccountId (several sub-accounts at once) a date is a UTC day', async () => {
      expect(await listed('createdFrom=2026-03-10&createdTo=2026-03-10', `Bearer ${t.token('ADMIN', [sp])}`)).toEqual([
        'early on the 10th',
        'late on the 9th',
      ]);
    });
  });
});
