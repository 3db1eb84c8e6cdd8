// OpenAPI 3.1 document generated from the route table (src/api/routes/table.ts), whose
// operations use the zod schemas in schemas.ts that also validate requests. Served at
// /openapi.json and rendered by Swagger UI at /docs.
import { createDocument, type ZodOpenApiPathsObject, type ZodOpenApiResponsesObject } from 'zod-openapi';
import { openApiPaths } from './routing.ts';
import { ROUTES, common, problem } from './routes/table.ts';

const BODY_METHODS = ['post', 'put', 'patch'] as const;
const ALL_METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/**
 * Adds the errors the middleware answers on whole groups of routes, so that no operation
 * forgets one: 400 (bad URL or body), 429 (the per-IP limiter on /v1, not on webhooks),
 * 413 and 415 (any body: size limit, JSON in UTF-8 only). An operation's own, more
 * precise description of a status wins.
 */
function documentMiddlewareErrors(paths: ZodOpenApiPathsObject): void {
  for (const [path, item] of Object.entries(paths)) {
    if (!path.startsWith('/v1/')) continue;
    const webhook = path.startsWith('/v1/webhooks/');
    for (const method of ALL_METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const add: ZodOpenApiResponsesObject = { '400': common['400'] };
      if (!webhook) add['429'] = common['429'];
      if ((BODY_METHODS as readonly string[]).includes(method)) {
        add['413'] = problem('`payload_too_large`: the body exceeds the size limit');
        if (!webhook) add['415'] = problem('`unsupported_media_type`: send the body as application/json in UTF-8');
      }
      operation.responses = { ...add, ...operation.responses };
    }
  }
}

/** The OpenAPI 3.1 document of the route table (src/api/routes/table.ts). */
export function createOpenApiDocument(opts: { serverUrl?: string } = {}) {
  const paths = openApiPaths(ROUTES);
  documentMiddlewareErrors(paths);
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Durable checkout API',
      version: '1.0.0',
      description: 'Orders are processed by one durable Temporal workflow each. Errors are RFC 9457 problem details with a stable `code`.',
    },
    servers: opts.serverUrl ? [{ url: opts.serverUrl }] : undefined,
    components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    paths,
  });
}
