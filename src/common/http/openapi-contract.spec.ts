import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { OPERATIONS_WITHOUT_ERRORS, undeclaredResponses, undocumentedOperations } from './openapi-contract';

const json = (schema: unknown): unknown => ({ content: { 'application/json': { schema } } });

describe('undeclaredResponses', () => {
  it('accepts routes whose success answers all declare a schema, and a 204 without a body', () => {
    const document = {
      paths: {
        '/a': { get: { responses: { '200': json({ $ref: '#/components/schemas/A' }) } } },
        '/a/{id}': {
          delete: { responses: { '204': { description: 'Deleted' } } },
          post: { responses: { '201': json({ type: 'array', items: { type: 'string' } }), '409': {} } },
        },
      },
    };
    expect(undeclaredResponses(document)).toEqual([]);
  });

  it('names a success answer without content or schema, and a route without a success answer', () => {
    const document = {
      paths: {
        '/a': { get: { responses: { '200': { description: '' } } } },
        '/b': { post: { responses: { '201': { content: { 'application/json': {} } } } } },
        '/c': {
          get: {
            responses: { '200': { content: { 'text/plain': { schema: { type: 'string' } }, 'application/json': {} } } },
          },
        },
        '/d': { get: { responses: { '404': json({ type: 'object' }) } } },
      },
    };
    expect(undeclaredResponses(document)).toEqual(['GET /a (200)', 'POST /b (201)', 'GET /c (200)', 'GET /d (no 2xx)']);
  });
});

describe('undocumentedOperations', () => {
  const error = json({ $ref: '#/components/schemas/ErrorResponseDto' });

  it('accepts operations with a summary and an error answer, and the liveness probe without one', () => {
    const document = {
      paths: {
        '/a': { get: { summary: 'List a', responses: { '200': json({}), '401': error } } },
        '/api/health': { get: { summary: 'Check that the process answers', responses: { '200': json({}) } } },
      },
    };
    expect(undocumentedOperations(document)).toEqual([]);
  });

  it('names an operation without a summary, with a blank one, or without an error answer', () => {
    const document = {
      paths: {
        '/a': { get: { responses: { '200': json({}), '404': error } } },
        '/b': { post: { summary: '  ', responses: { '201': json({}), '400': error } } },
        '/c': { delete: { summary: 'Delete c', responses: { '204': { description: 'Deleted' } } } },
      },
    };
    expect(undocumentedOperations(document)).toEqual([
      'GET /a (no summary)',
      'POST /b (no summary)',
      'DELETE /c (no error answer)',
    ]);
  });
});

// openapi.json is what the application serves (`npm run openapi:check` fails otherwise): the CRM's reference
describe('the committed openapi.json', () => {
  type Operation = { summary?: string; responses: Record<string, { content?: Record<string, { schema?: unknown }> }> };
  const document = JSON.parse(readFileSync(resolve(__dirname, '../../../openapi.json'), 'utf8')) as {
    paths: Record<string, Record<string, Operation>>;
  };
  const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ name: `${method.toUpperCase()} ${path}`, operation })),
  );

  it('gives every operation a summary and its error answers', () => {
    expect(operations.length).toBeGreaterThan(80);
    expect(undocumentedOperations(document)).toEqual([]);
    for (const name of OPERATIONS_WITHOUT_ERRORS) expect(operations.map((o) => o.name)).toContain(name);
  });

  it('declares every 4xx answer with the shared error schema', () => {
    const other = operations.flatMap(({ name, operation }) =>
      Object.entries(operation.responses)
        .filter(([status]) => /^4\d\d$/.test(status))
        .filter(([, answer]) => {
          const schema = answer.content?.['application/json']?.schema;
          return JSON.stringify(schema) !== JSON.stringify({ $ref: '#/components/schemas/ErrorResponseDto' });
        })
        .map(([status]) => `${name} ${status}`),
    );
    expect(other).toEqual([]);
  });

  it('documents the signature headers and handshake parameters of the webhook routes', () => {
    const parameters = (path: string, method: string): string[] =>
      ((document.paths[path]?.[method] as { parameters?: Array<{ name: string }> }).parameters ?? []).map(
        (p) => p.name,
      );
    expect(parameters('/api/webhooks/{provider}', 'post')).toEqual(
      expect.arrayContaining(['X-Hub-Signature-256', 'X-LI-Signature', 'X-GHL-Signature', 'X-WH-Signature']),
    );
    expect(parameters('/api/webhooks/{provider}/{webhookId}', 'post')).toEqual(
      expect.arrayContaining(['x-webhook-signature', 'x-webhook-timestamp']),
    );
    for (const path of ['/api/webhooks/{provider}', '/api/webhooks/{provider}/{webhookId}'])
      expect(parameters(path, 'get')).toEqual(
        expect.arrayContaining(['hub.mode', 'hub.verify_token', 'hub.challenge', 'challengeCode']),
      );
    for (const path of ['/api/webhooks/{provider}', '/api/webhooks/{provider}/{webhookId}'])
      expect(Object.keys(document.paths[path]?.post?.responses ?? {})).toEqual(
        expect.arrayContaining(['200', '401', '409', '429']),
      );
  });
});
