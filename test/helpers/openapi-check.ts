// Checks real responses against the served OpenAPI document: the status must be documented
// for the operation, and a JSON body must match the documented schema (Ajv, JSON Schema
// 2020-12 as OpenAPI 3.1 uses it). Used by the conformance tests and the fuzzing property.
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { apiDocument } from '../../src/api/app.ts';

type Doc = ReturnType<typeof apiDocument> & { paths: Record<string, Record<string, any>>; components?: { schemas?: Record<string, unknown> } };
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;

export interface ResponseLike {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export function createOpenApiChecker(doc: Doc = apiDocument() as Doc) {
  const ajv = new Ajv2020({ strict: false, allErrors: false });
  addFormats(ajv);
  ajv.addSchema({ $id: 'doc', components: doc.components ?? {} });
  const templates = Object.keys(doc.paths).map((p) => ({ path: p, re: new RegExp(`^${p.replace(/\{[^}]+\}/g, '[^/]+')}$`) }));
  const cache = new Map<string, ReturnType<Ajv2020['compile']>>();
  const withRefs = (schema: unknown) => JSON.parse(JSON.stringify(schema).replace(/"#\/components\//g, '"doc#/components/'));

  /** The template a concrete path belongs to (literal templates win over parameterised ones). */
  function templateOf(path: string): string | undefined {
    const p = path.split('?')[0];
    return templates.find((t) => t.path === p)?.path ?? templates.find((t) => t.re.test(p))?.path;
  }

  /** Problems with this response, or [] when it conforms. */
  function problems(method: string, path: string, res: ResponseLike): string[] {
    const template = templateOf(path);
    if (!template) return [`${method} ${path}: no such path in the document`];
    const operation = doc.paths[template][method.toLowerCase()];
    if (!operation) return [`${method} ${template}: no such operation in the document`];
    const documented = operation.responses?.[String(res.status)] ?? operation.responses?.default;
    if (!documented) return [`${method} ${template}: status ${res.status} is not documented (documented: ${Object.keys(operation.responses ?? {}).join(', ')})`];
    const type = String(res.headers['content-type'] ?? '').split(';')[0].trim();
    if (!documented.content || res.status === 304 || !type) return [];
    const media = documented.content[type];
    if (!media) return [`${method} ${template} ${res.status}: content type ${type} is not documented (${Object.keys(documented.content).join(', ')})`];
    if (!type.endsWith('json') || !media.schema) return [];
    const key = `${method} ${template} ${res.status} ${type}`;
    let validate = cache.get(key);
    if (!validate) {
      validate = ajv.compile(withRefs(media.schema));
      cache.set(key, validate);
    }
    if (validate(res.body)) return [];
    return (validate.errors ?? []).slice(0, 5).map((e) => `${key}: ${e.instancePath || '(body)'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`);
  }

  return { problems, templateOf, doc };
}
