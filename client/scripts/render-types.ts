// Renders the TypeScript types of the HTTP contract from an OpenAPI document with
// openapi-typescript. Used by generate.ts (writes client/src/schema.d.ts) and by the test
// that fails when the committed types drift from the live /openapi.json.
import openapiTS, { astToString } from 'openapi-typescript';

export const SCHEMA_HEADER = `// GENERATED from the API's /openapi.json by openapi-typescript — do not edit.
// Regenerate: npm run client:generate  (a test fails when this file drifts from the API).
`;

export async function renderSchemaTypes(document: unknown): Promise<string> {
  const ast = await openapiTS(JSON.parse(JSON.stringify(document)), { alphabetize: true });
  return `${SCHEMA_HEADER}\n${astToString(ast)}`;
}
