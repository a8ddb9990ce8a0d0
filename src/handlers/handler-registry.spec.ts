import { HandlerRegistry } from './handler-registry';
import { IntegrationHandler } from './integration-handler';

function fake(key: string): IntegrationHandler {
  return {
    key,
    displayName: key,
    category: 'test',
    capabilities: ['test'],
    defaultConfigSchema: { type: 'object', properties: {} },
    defaultRateLimitPerMinute: 60,
    testConnection: async () => ({ success: true, message: 'ok' }),
  };
}

describe('HandlerRegistry', () => {
  it('maps keys to handlers', () => {
    const registry = new HandlerRegistry([fake('a'), fake('b')]);
    expect(registry.require('b').key).toBe('b');
    expect(registry.get('c')).toBeUndefined();
    expect(() => registry.require('c')).toThrow('No integration handler is registered for "c"');
    expect(registry.list().map((h) => h.key)).toEqual(['a', 'b']);
  });

  it('refuses a duplicate key', () => {
    expect(() => new HandlerRegistry([fake('a'), fake('a')])).toThrow('Two integration handlers share the key "a"');
  });
});
