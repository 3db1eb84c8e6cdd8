// fast-check arbitraries for requests, generated from the served OpenAPI document: for each
// operation, path/query/header parameters and a JSON body that follow the schemas most of
// the time and break them now and then (wrong types, junk strings, missing or extra fields),
// like a schema-driven fuzzer would.
import fc from 'fast-check';

type Schema = Record<string, any>;

export interface GeneratedRequest {
  method: string;
  template: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body?: unknown;
  /** Which role's token to send ('none' = anonymous). */
  role: 'none' | 'customer' | 'ops' | 'finance';
}

const JUNK = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.constantFrom('', ' ', '0', '-1', '1e309', 'null', 'true', '%00', '../', "' or 1=1 --", '\u{1F600}', 'A'.repeat(300)),
);

export function createArbitraries(doc: { paths: Record<string, Record<string, any>>; components?: { schemas?: Record<string, Schema> } }) {
  const resolve = (s: Schema | undefined): Schema => {
    if (!s) return {};
    if (typeof s.$ref === 'string') return resolve(doc.components?.schemas?.[s.$ref.split('/').pop()!]);
    return s;
  };

  /** Values that follow the schema. */
  function valid(raw: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
    const s = resolve(raw);
    if (s.enum) return fc.constantFrom(...s.enum);
    if (s.const !== undefined) return fc.constant(s.const);
    if (s.anyOf || s.oneOf) return fc.oneof(...(s.anyOf ?? s.oneOf).map((x: Schema) => valid(x, depth + 1)));
    const type = Array.isArray(s.type) ? s.type.find((t: string) => t !== 'null') ?? 'null' : s.type;
    switch (type) {
      case 'string':
        if (s.pattern) return fc.stringMatching(new RegExp(s.pattern)).filter((v) => v.length <= (s.maxLength ?? 255) && v.length >= (s.minLength ?? 0));
        if (s.format === 'date-time') return fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
        if (s.format === 'uuid') return fc.uuid();
        return fc.string({ minLength: s.minLength ?? 0, maxLength: Math.min(s.maxLength ?? 30, 30) });
      case 'integer':
        return fc.integer({ min: Math.max(s.minimum ?? -1000, -1e9), max: Math.min(s.maximum ?? 1000, 1e9) });
      case 'number':
        return fc.double({ min: s.minimum ?? -1000, max: s.maximum ?? 1000, noNaN: true });
      case 'boolean':
        return fc.boolean();
      case 'null':
        return fc.constant(null);
      case 'array':
        if (depth > 4) return fc.constant([]);
        return fc.array(valid(s.items, depth + 1), { minLength: s.minItems ?? 0, maxLength: Math.min(s.maxItems ?? 3, 3) });
      case 'object': {
        if (depth > 4) return fc.constant({});
        const props = Object.fromEntries(Object.entries<Schema>(s.properties ?? {}).map(([k, v]) => [k, valid(v, depth + 1)]));
        return fc.record(props, { requiredKeys: (s.required ?? []).filter((k: string) => k in props) });
      }
      default:
        return fc.jsonValue({ maxDepth: 2 });
    }
  }

  /** Mostly valid, sometimes junk: the mix a schema-driven fuzzer sends. */
  const mixed = (s: Schema | undefined) => fc.oneof({ arbitrary: valid(s), weight: 4 }, { arbitrary: fc.oneof(JUNK, fc.jsonValue({ maxDepth: 2 })), weight: 1 });

  const asString = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v) ?? '');

  function operation(template: string, method: string, op: any): fc.Arbitrary<GeneratedRequest> {
    const params: any[] = op.parameters ?? [];
    const pick = (where: string) => params.filter((p) => p.in === where);
    // A path parameter is never empty (that would be another route).
    const pathArb = fc.record(Object.fromEntries(pick('path').map((p) => [p.name, mixed(p.schema).map(asString).filter((v) => v.length > 0)])));
    const queryArb = fc.record(Object.fromEntries(pick('query').map((p) => [p.name, mixed(p.schema).map(asString)])), { requiredKeys: [] });
    const headerModel: Record<string, fc.Arbitrary<string>> = Object.fromEntries(pick('header').filter((p) => p.name !== 'stripe-signature').map((p) => [p.name, valid(p.schema).map(asString)]));
    const requiredHeaders: string[] = pick('header').filter((p) => p.required && p.name !== 'stripe-signature').map((p) => p.name);
    const headerArb = fc.record(headerModel, { requiredKeys: requiredHeaders });
    const bodySchema = op.requestBody?.content?.['application/json']?.schema;
    const bodyArb = bodySchema ? mixed(bodySchema) : fc.constant(undefined);
    const roleArb = op.security ? fc.constantFrom('customer', 'ops', 'finance', 'customer', 'none') : fc.constant('none');
    return fc.record({ p: pathArb, query: queryArb, headers: headerArb, body: bodyArb, role: roleArb }).map(({ p, query, headers, body, role }) => ({
      method: method.toUpperCase(),
      template,
      path: template.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent((p as Record<string, string>)[name] ?? '')),
      query: Object.fromEntries(Object.entries(query as Record<string, string>).filter(([, v]) => v !== undefined)),
      headers: headers as Record<string, string>,
      body,
      role: role as GeneratedRequest['role'],
    }));
  }

  /** One arbitrary over every operation of the document (minus the excluded ones). */
  function anyRequest(exclude: (template: string, method: string) => boolean = () => false): fc.Arbitrary<GeneratedRequest> {
    const ops: fc.Arbitrary<GeneratedRequest>[] = [];
    for (const [template, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (!['get', 'post', 'put', 'patch', 'delete'].includes(method) || exclude(template, method)) continue;
        ops.push(operation(template, method, op));
      }
    }
    return fc.oneof(...ops);
  }

  return { anyRequest, valid };
}
