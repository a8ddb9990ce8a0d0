import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

/**
 * The one Ajv setup for integration config schemas: draft 2020-12, strict mode, ajv-formats, and
 * our `x-secret` annotation (a secret property: encrypted at rest, never returned) and `x-oauth` (a
 * credential an OAuth connection fills or replaces: it may be left out of the config, API.md "OAuth
 * connections").
 */
export function createAjv(): Ajv2020 {
  const ajv = new Ajv2020({ strict: true, allErrors: true, validateFormats: true });
  addFormats(ajv);
  ajv.addKeyword({ keyword: 'x-secret', schemaType: 'boolean' });
  ajv.addKeyword({ keyword: 'x-oauth', schemaType: 'boolean' });
  return ajv;
}
