// Shared setup of the webhook-events.repository*.medium.spec.ts parts (src/modules/webhooks): each part gets the
// application's providers on a fresh database, the repository, one seeded generic-webhook integration and a
// builder of its events. (Here rather than beside the specs: the build compiles every non-spec file of src/.)
import { NewEvent, WebhookEventsRepository } from '../../src/modules/webhooks/webhook-events.repository';
import { createMediumApp, MediumApp, seedIntegration } from './medium-app';

export interface WebhookEventsMedium {
  m: MediumApp;
  events: WebhookEventsRepository;
  ids: { subAccountId: number; integrationId: number };
  /** A generic-webhook lead event of the seeded integration, deduplicated by `key`. */
  event(key: string): NewEvent;
  close(): Promise<void>;
}

export async function setupWebhookEventsMedium(): Promise<WebhookEventsMedium> {
  const m = await createMediumApp();
  const events = m.app.get(WebhookEventsRepository);
  const ids = await seedIntegration(m.sql);
  return {
    m,
    events,
    ids,
    event: (key) => ({
      integrationId: ids.integrationId,
      subAccountId: ids.subAccountId,
      provider: 'generic-webhook',
      dedupKey: `id:${key}`,
      externalId: key,
      eventType: 'lead',
      payload: { key, nested: { n: 1 } },
    }),
    close: () => m.close(),
  };
}
