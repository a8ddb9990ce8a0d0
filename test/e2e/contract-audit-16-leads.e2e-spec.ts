// Audit 16 of API.md's "Leads" and "Sub-account settings" as an outside tester with a signed token.
// Failed before their fix:
// - `q` on GET /api/leads (API.md: "q=" searches the leads; DTO: "Searches name, e-mail and phone") found
//   a lead whose phone was given in national format by no means people write that number in its
//   country: with its trunk prefix ("07911 123456" in GB, "8 912 345-67-89" in RU), "+44 (0)7911 …" or
//   an international prefix ("0044 7911 …"); the stored E.164 holds none of these digit runs;
// - a sub-account's `defaultRegion` took any two capitals ("ZZ", "XX": no country), and then every
//   national phone of its leads was invalid: stored as typed, never an identity to deduplicate by;
// - PATCH /api/leads/:id repeating the lead's assignee without `assignedUserName` (API.md: every field
//   optional) wiped the stored name although nothing changed (no assignment fact either).
import { createTestApp, TestApp } from '../support/test-app';

type Json = Record<string, unknown>;

describe('API.md audit 16 (leads, sub-account settings)', () => {
  let t: TestApp;
  let superAdmin: string;

  beforeAll(async () => {
    t = await createTestApp();
    superAdmin = `Bearer ${t.token('SUPER_ADMIN')}`;
  });
  afterAll(() => t.close());

  async function subAccount(name: string, defaultRegion: string): Promise<number> {
    const res = await t.http.post('/api/sub-accounts').set('authorization', superAdmin).send({ name, defaultRegion });
    expect(res.status).toBe(201);
    return res.body.id as number;
  }

  async function lead(token: string, body: Json): Promise<Json> {
    const res = await t.http.post('/api/leads').set('authorization', token).send(body);
    expect(res.status).toBe(201);
    return res.body as Json;
  }

  describe('GET /api/leads?q= finds a phone as people write it in the sub-account’s country', () => {
    let gb: number;
    let ru: number;
    let admin: string;
    let ann: Json;
    let ivan: Json;

    beforeAll(async () => {
      gb = await subAccount('Audit 16 London', 'GB');
      ru = await subAccount('Audit 16 Moscow', 'RU');
      admin = `Bearer ${t.token('ADMIN', [gb, ru])}`;
      ann = await lead(admin, { subAccountId: gb, fullName: 'Ann Hale', phone: '07911 123456' });
      await lead(admin, { subAccountId: gb, fullName: 'Other Hale', phone: '07912 123456' });
      ivan = await lead(admin, { subAccountId: ru, fullName: 'Ivan Petrov', phone: '8 (912) 345-67-89' });
      expect([ann.phone, ivan.phone]).toEqual(['+447911123456', '+79123456789']);
    });

    const found = async (sub: number, q: string, token = admin): Promise<string[]> => {
      const res = await t.http
        .get(`/api/leads?subAccountId=${sub}&q=${encodeURIComponent(q)}`)
        .set('authorization', token);
      expect(res.status).toBe(200);
      return (res.body.items as Json[]).map((item) => String(item.id));
    };

    it.each(['07911 123456', '07911123456', '(07911) 123 456', '+44 (0)7911 123456', '0044 7911 123456', '07911 123'])(
      'GB: %s finds the lead stored as +447911123456, and only it',
      async (q) => {
        expect(await found(gb, q)).toEqual([ann.id]);
      },
    );

    it.each(['8 912 345-67-89', '8 (912) 345 67 89'])('RU: %s finds the lead stored as +79123456789', async (q) => {
      expect(await found(ru, q)).toEqual([ivan.id]);
    });

    it('still within the scope searched: another sub-account’s lead is not found, an outsider is 403', async () => {
      expect(await found(ru, '07911 123456')).toEqual([]);
      const outsider = `Bearer ${t.token('ADMIN', [ru])}`;
      const res = await t.http.get(`/api/leads?subAccountId=${gb}&q=07911`).set('authorization', outsider);
      expect([res.status, res.body.code]).toEqual([403, 'FORBIDDEN']);
      // a super-admin across every sub-account reads the number in each region
      expect(await found(gb, '07911 123456', superAdmin)).toEqual([ann.id]);
      const all = await t.http
        .get(`/api/leads?q=${encodeURIComponent('8 912 345-67-89')}`)
        .set('authorization', superAdmin);
      expect((all.body.items as Json[]).map((item) => item.id)).toEqual([ivan.id]);
    });
  });

  it('PATCH repeating the assignee keeps its name; a new assignee without one has none; no fact of either kind', async () => {
    const sub = await subAccount('Audit 16 assignees', 'US');
    const agent = `Bearer ${t.token('AGENT', [sub])}`;
    const { id } = await lead(agent, { subAccountId: sub, fullName: 'Cal Reed', email: 'cal@example.com' });
    const patch = (body: Json) =>
      t.http
        .patch(`/api/leads/${String(id)}`)
        .set('authorization', agent)
        .send(body);
    expect((await patch({ assignedUserId: 'u-1', assignedUserName: 'Una' })).status).toBe(200);
    const again = await patch({ assignedUserId: 'u-1', status: 'CONTACTED' });
    expect(again.body).toMatchObject({ status: 'CONTACTED', assignedUserId: 'u-1', assignedUserName: 'Una' });
    const sameStatus = await patch({ assignedUserId: 'u-1', status: 'CONTACTED', tags: [] });
    expect(sameStatus.body).toMatchObject({ assignedUserId: 'u-1', assignedUserName: 'Una' });
    const history = await t.http.get(`/api/leads/${String(id)}/history`).set('authorization', agent);
    expect((history.body as Json[]).filter((f) => f.to === 'CONTACTED').map((f) => f.from)).toEqual(['NEW']);
    const assignments = await t.sql.query('SELECT to_user_id FROM lead_assignments WHERE lead_id = $1', [id]);
    expect(assignments.rows.map((r: { to_user_id: string }) => r.to_user_id)).toEqual(['u-1']);
    const moved = await patch({ assignedUserId: 'u-2' });
    expect(moved.body).toMatchObject({ assignedUserId: 'u-2', assignedUserName: null });
  });

  describe('sub-account defaultRegion is a country phone numbers can be read in', () => {
    it.each(['ZZ', 'XX', 'AA'])(
      '%s is refused 400 VALIDATION_FAILED on create and on PATCH, nothing changes',
      async (region) => {
        const created = await t.http
          .post('/api/sub-accounts')
          .set('authorization', superAdmin)
          .send({ name: 'Nowhere', defaultRegion: region });
        expect([created.status, created.body.code]).toEqual([400, 'VALIDATION_FAILED']);
        expect(created.body.details.map((d: { field: string }) => d.field)).toEqual(['defaultRegion']);

        const sub = await subAccount(`Audit 16 ${region}`, 'BR');
        const admin = `Bearer ${t.token('ADMIN', [sub])}`;
        const patched = await t.http
          .patch(`/api/sub-accounts/${sub}`)
          .set('authorization', admin)
          .send({ defaultRegion: region });
        expect([patched.status, patched.body.code]).toEqual([400, 'VALIDATION_FAILED']);
        const after = await t.http.get(`/api/sub-accounts/${sub}`).set('authorization', admin);
        expect(after.body.defaultRegion).toBe('BR');
      },
    );
  });
});
