import { ConfigSchemaService, misplacedSecretMarks } from './config-schema.service';

const secret = { type: 'string', 'x-secret': true };

describe('misplacedSecretMarks', () => {
  it('accepts secrets on properties reached through "properties" only, nested objects included', () => {
    expect(
      misplacedSecretMarks({
        type: 'object',
        properties: {
          token: secret,
          auth: { type: 'object', properties: { key: { type: 'string', writeOnly: true } } },
        },
      }),
    ).toEqual([]);
  });

  it.each([
    ['$defs', { type: 'object', properties: { t: { $ref: '#/$defs/s' } }, $defs: { s: secret } }, ['/$defs/s']],
    ['items', { type: 'object', properties: { t: { type: 'array', items: secret } } }, ['/properties/t/items']],
    [
      'prefixItems',
      { type: 'object', properties: { t: { type: 'array', prefixItems: [secret] } } },
      ['/properties/t/prefixItems/0'],
    ],
    ['anyOf', { type: 'object', properties: { t: { anyOf: [secret] } } }, ['/properties/t/anyOf/0']],
    ['oneOf', { type: 'object', oneOf: [{ properties: { t: secret } }] }, ['/oneOf/0/properties/t']],
    ['allOf', { type: 'object', allOf: [{ properties: { t: secret } }] }, ['/allOf/0/properties/t']],
    ['additionalProperties', { type: 'object', additionalProperties: secret }, ['/additionalProperties']],
    ['patternProperties', { type: 'object', patternProperties: { '^a/b': secret } }, ['/patternProperties/^a~1b']],
    [
      'if/then',
      { type: 'object', if: { properties: {} }, then: { properties: { t: secret } } },
      ['/then/properties/t'],
    ],
    ['the root itself', { type: 'object', 'x-secret': true, properties: {} }, ['/']],
    [
      'under another secret',
      { type: 'object', properties: { t: { ...secret, properties: { u: secret } } } },
      ['/properties/t/properties/u'],
    ],
  ])('finds a mark under %s', (_name, schema, pointers) => {
    expect(misplacedSecretMarks(schema)).toEqual(pointers);
  });

  it('ignores "x-secret" as data (const, enum, default, examples)', () => {
    expect(
      misplacedSecretMarks({ type: 'object', properties: { t: { type: 'object', default: { 'x-secret': true } } } }),
    ).toEqual([]);
  });

  it('walks hostile depth without a stack overflow', () => {
    let schema: Record<string, unknown> = secret;
    for (let i = 0; i < 20_000; i++) schema = { allOf: [schema] };
    expect(misplacedSecretMarks({ type: 'object', properties: {}, allOf: [schema] })).toHaveLength(1);
  });

  it('makes check() refuse such a schema, naming the place', () => {
    const problems = new ConfigSchemaService().check({
      type: 'object',
      properties: { t: { type: 'array', items: secret } },
    });
    expect(problems).toEqual([expect.stringContaining('/properties/t/items')]);
  });
});

describe('ConfigSchemaService.validate', () => {
  it('names what is wrong inside if/then/else, without the bare "must match then schema" line', () => {
    const schema = {
      type: 'object',
      properties: {
        email: { if: { type: 'string' }, then: { type: 'string', pattern: '^/' }, else: { type: 'object' } },
      },
    };
    const service = new ConfigSchemaService();
    const template = { id: 1, version: 1, configSchema: schema };
    expect(service.validate(template, { email: 'email' })).toEqual([
      { pointer: '/email', message: 'must match pattern "^/"' },
    ]);
    expect(service.validate(template, { email: 123 })).toEqual([{ pointer: '/email', message: 'must be object' }]);
    expect(service.validate(template, { email: '/ok' })).toEqual([]);
  });
});

describe('ConfigSchemaService.withDefaults', () => {
  const schema = {
    type: 'object',
    required: ['region'],
    properties: {
      region: { type: 'string', default: 'eu' },
      limits: {
        type: 'object',
        properties: { perMinute: { type: 'integer', default: 60 }, burst: { type: 'integer' } },
      },
      // Ajv cannot apply a default under oneOf; JSON Schema only ignores it: no reason to throw
      mode: { oneOf: [{ type: 'string', default: 'a' }, { type: 'integer' }] },
      retries: { type: 'integer', default: 3 },
    },
  };
  const template = { id: 7, version: 1, configSchema: schema };

  it('fills what is left out, nested objects included, on a copy: the caller keeps its object', () => {
    const service = new ConfigSchemaService();
    expect(service.check(schema)).toEqual([]);
    const config = { limits: { burst: 5 }, retries: 0 };
    const filled = service.withDefaults(template, config);
    expect(filled).toEqual({ region: 'eu', limits: { perMinute: 60, burst: 5 }, retries: 0 });
    expect(config).toEqual({ limits: { burst: 5 }, retries: 0 });
    expect(service.validate(template, filled)).toEqual([]);
  });

  it('leaves validate() as it was: a required property with a default is still missing from what is stored', () => {
    const service = new ConfigSchemaService();
    const config = {};
    expect(service.validate(template, config)).toEqual([
      { pointer: '/region', message: "must have required property 'region'" },
    ]);
    expect(config).toEqual({});
  });

  it('makes check() refuse a default on a secret, or on an object that holds one', () => {
    const service = new ConfigSchemaService();
    expect(
      service.check({
        type: 'object',
        properties: {
          apiKey: { type: 'string', 'x-secret': true, default: 'shared-key-1234' },
          auth: {
            type: 'object',
            default: { token: 'shared-token' },
            properties: { token: { type: 'string', writeOnly: true } },
          },
          name: { type: 'string', default: 'fine' },
        },
      }),
    ).toEqual([
      expect.stringMatching(/^property \/apiKey is or holds a secret and must not have a "default"/),
      expect.stringMatching(/^property \/auth is or holds a secret and must not have a "default"/),
    ]);
  });
});
