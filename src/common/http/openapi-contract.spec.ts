import { undeclaredResponses } from './openapi-contract';

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
