import type { JsonSchemaObject } from './handler-types';
import { ALL_HANDLERS } from './providers';

/** The config fields an admin must fill: the schema's required ones. */
function requiredFields(schema: JsonSchemaObject): string[] {
  const required = (schema as { required?: unknown }).required;
  return Array.isArray(required) ? required.filter((f): f is string => typeof f === 'string') : [];
}

// the seed gives each standard template its handler's setupInstructions (an admin connecting e.g.
// Meta Lead Ads saw an empty panel): they must exist and name the fields the schema asks for
describe('setup instructions of the handlers', () => {
  const handlers = ALL_HANDLERS.map((Handler) => new Handler());

  it.each(handlers.map((h) => [h.key, h] as const))('%s has Markdown instructions', (_key, handler) => {
    expect(handler.setupInstructions?.trim()).toBeTruthy();
  });

  it.each(handlers.map((h) => [h.key, h] as const))(
    '%s names every required config field, as the schema spells it',
    (_key, handler) => {
      for (const field of requiredFields(handler.defaultConfigSchema))
        expect(handler.setupInstructions).toContain(`\`${field}\``);
    },
  );

  it.each(handlers.filter((h) => h.webhook).map((h) => [h.key, h] as const))(
    '%s says which webhook URL to give the provider',
    (_key, handler) => {
      expect(handler.setupInstructions).toMatch(
        new RegExp(`webhookUrl|/api/webhooks/${handler.key.replace(/[-/]/g, '\\$&')}`),
      );
    },
  );
});
