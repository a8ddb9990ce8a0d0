import { createMediumApp, MediumApp, seedIntegration } from '../../../test/support/medium-app';
import { ConfigCodec } from '../integration-templates/config-codec';
import { HandlerContextFactory } from './handler-context.factory';
import { IntegrationsRepository } from './integrations.repository';

describe('HandlerContextFactory.build', () => {
  let m: MediumApp;
  let integrationId: number;

  beforeAll(async () => {
    m = await createMediumApp();
    ({ integrationId } = await seedIntegration(m.sql));
  });
  afterAll(async () => {
    await m.close();
  });

  it("opens a row's config once while the worker keeps that row, and again for a row read anew", async () => {
    const factory = m.app.get(HandlerContextFactory);
    const rows = m.app.get(IntegrationsRepository);
    const open = jest.spyOn(m.app.get(ConfigCodec), 'open');
    try {
      const row = await rows.findForProcessing(integrationId);
      if (!row) throw new Error('the seeded integration');
      const first = factory.build(row);
      const second = factory.build(row);
      // a burst of events on one cached row: one decryption, one context
      expect(open).toHaveBeenCalledTimes(1);
      expect(second).toBe(first);
      const reread = await rows.findForProcessing(integrationId);
      if (!reread) throw new Error('the seeded integration');
      // a row read again (the cache expired, or the integration changed) is opened again
      expect(factory.build(reread)).not.toBe(first);
      expect(open).toHaveBeenCalledTimes(2);
    } finally {
      open.mockRestore();
    }
  });
});
