// npm run client:generate [-- --from http://127.0.0.1:3000/openapi.json]
// Writes client/src/schema.d.ts from the API's OpenAPI document: by default the document the
// API would serve, built in-process (no server needed); --from reads a running API instead.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { renderSchemaTypes } from './render-types.ts';

const { values } = parseArgs({ options: { from: { type: 'string' } } });
let document: unknown;
if (values.from) {
  const res = await fetch(values.from);
  if (!res.ok) throw new Error(`GET ${values.from} answered ${res.status}`);
  document = await res.json();
} else {
  const { apiDocument } = await import('../../src/api/app.ts');
  document = apiDocument();
}
const target = new URL('../src/schema.d.ts', import.meta.url);
writeFileSync(target, await renderSchemaTypes(document));
console.log(`wrote ${target.pathname}`);
