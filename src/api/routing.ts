// The route table's machinery. Every HTTP operation is declared once, in src/api/routes/table.ts
// (method, path, OpenAPI operation); routers bind handlers to those names. From that one table
// come the Express routes, the OpenAPI document and the 405 answers with their Allow header.
import type { Router, RequestHandler } from 'express';
import type { ZodOpenApiOperationObject, ZodOpenApiPathsObject } from 'zod-openapi';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteSpec {
  method: Method;
  /** OpenAPI path template, e.g. `/v1/orders/{id}`. */
  path: string;
  operation: ZodOpenApiOperationObject;
}

/** Express's spelling of a path template: `{id}` → `:id`. */
export const expressPath = (path: string) => path.replace(/\{(\w+)\}/g, ':$1');

/** Handlers a router binds to route names of the table; a name left out is not served. */
export class RouteBindings<Name extends string> {
  readonly bound = new Map<Name, RequestHandler[]>();

  on(name: Name, ...handlers: RequestHandler[]): this {
    if (this.bound.has(name)) throw new Error(`route ${name} bound twice`);
    this.bound.set(name, handlers);
    return this;
  }
}

/** A path template as a matcher of concrete paths (one segment per parameter). */
function matcher(template: string): RegExp {
  const escaped = template.split(/\{\w+\}/).map((part) => part.replace(/[.*+?^$()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('[^/]+')}/?$`);
}

/** The routes an app serves, in mount order: Express routing and 405 answers read it. */
export class ServedRoutes<Name extends string> {
  private readonly served: { name: Name; spec: RouteSpec; match: RegExp }[] = [];
  private readonly table: Record<Name, RouteSpec>;

  constructor(table: Record<Name, RouteSpec>) {
    this.table = table;
  }

  /** Registers the bound handlers on `router`, in the table's order. */
  mount(router: Pick<Router, Method>, bindings: RouteBindings<Name>): void {
    for (const name of Object.keys(this.table) as Name[]) {
      const handlers = bindings.bound.get(name);
      if (!handlers) continue;
      const spec = this.table[name];
      router[spec.method](expressPath(spec.path), ...handlers);
      this.served.push({ name, spec, match: matcher(spec.path) });
    }
  }

  /** Methods served for a concrete path (405 + Allow when the path exists with other methods). */
  allowedMethods(path: string): string[] {
    return [...new Set(this.served.filter((r) => r.match.test(path)).map((r) => r.spec.method.toUpperCase()))];
  }

  /** [METHOD, path template] of every route served. */
  list(): [string, string][] {
    return this.served.map((r) => [r.spec.method.toUpperCase(), r.spec.path]);
  }
}

/** The OpenAPI `paths` object of a table. */
export function openApiPaths(table: Record<string, RouteSpec>): ZodOpenApiPathsObject {
  const paths: ZodOpenApiPathsObject = {};
  for (const spec of Object.values(table)) paths[spec.path] = { ...(paths[spec.path] ?? {}), [spec.method]: spec.operation };
  return paths;
}
