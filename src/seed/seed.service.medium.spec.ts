import { createMediumApp, MediumApp } from '../../test/support/medium-app';
import { HandlerRegistry } from '../handlers/handler-registry';
import { SeedService } from './seed.service';

// An admin connecting a seeded template (Meta Lead Ads …) saw empty setupInstructions. The seed runs
// at every start: it fills those of templates seeded before, but never a super-admin's own text.
describe('SeedService: setup instructions of the standard templates', () => {
  let m: MediumApp;
  let seed: SeedService;

  const instructions = async (): Promise<Map<string, string | null>> => {
    const { rows } = await m.sql.query<{ name: string; setup_instructions: string | null }>(
      'SELECT name, setup_instructions FROM integration_templates',
    );
    return new Map(rows.map((r) => [r.name, r.setup_instructions]));
  };

  beforeAll(async () => {
    m = await createMediumApp();
    seed = m.app.get(SeedService);
  });

  afterAll(async () => {
    await m?.close();
  });

  it('gives every seeded template its handler’s non-empty setup instructions', async () => {
    await seed.run('test');
    const stored = await instructions();
    const handlers = m.app.get(HandlerRegistry).list();
    expect(handlers.length).toBeGreaterThan(0);
    for (const handler of handlers) {
      expect(stored.get(handler.key)?.trim()).toBeTruthy();
      expect(stored.get(handler.key)).toBe(handler.setupInstructions);
    }
  });

  it('fills templates seeded without instructions and keeps text a super-admin wrote', async () => {
    await m.sql.query("UPDATE integration_templates SET setup_instructions = NULL WHERE name = 'meta-lead-ads'");
    await m.sql.query("UPDATE integration_templates SET setup_instructions = '' WHERE name = 'whatsapp-cloud'");
    await m.sql.query(
      "UPDATE integration_templates SET setup_instructions = 'Ask Ana for the token.' WHERE name = 'gohighlevel'",
    );

    const done = await seed.run('test');

    expect(done.sort()).toEqual([
      'setup instructions of template meta-lead-ads',
      'setup instructions of template whatsapp-cloud',
    ]);
    const stored = await instructions();
    const registry = m.app.get(HandlerRegistry);
    expect(stored.get('meta-lead-ads')).toBe(registry.get('meta-lead-ads')?.setupInstructions);
    expect(stored.get('whatsapp-cloud')).toBe(registry.get('whatsapp-cloud')?.setupInstructions);
    expect(stored.get('gohighlevel')).toBe('Ask Ana for the token.');
    // idempotent: nothing left to fill
    expect(await seed.run('test')).toEqual([]);
  });
});
