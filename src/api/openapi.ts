// OpenAPI 3.1 document generated from the zod schemas in schemas.ts (the same ones that
// validate requests). Served at /openapi.json and rendered by Swagger UI at /docs.
import * as z from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject, type ZodOpenApiResponsesObject } from 'zod-openapi';
import {
  CancelBody,
  CreateOrderBody,
  CreateOrderHeaders,
  EventListQuery,
  GetOrderHeaders,
  InventoryPutBody,
  InventoryResource,
  OrderEventPage,
  OrderListQuery,
  OrderPage,
  OrderPath,
  OrderResource,
  Problem,
  ProductListQuery,
  ProductPage,
  ProductPath,
  ProductResource,
  ProductUpsertBody,
} from './schemas.ts';

const json = (schema: z.ZodType) => ({ 'application/json': { schema } });
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: Problem } } });

/** Error responses every route can answer. */
const common = {
  '400': problem('Bad input (`validation_failed`, `malformed_json`, `invalid_cursor`, …)'),
  '429': problem('`rate_limited` (see Retry-After)'),
} satisfies ZodOpenApiResponsesObject;
const authed = { ...common, '401': problem('`unauthorized`: missing, invalid or expired token'), '403': problem('`forbidden`: the token lacks the role') } satisfies ZodOpenApiResponsesObject;
const secured = { security: [{ bearerAuth: [] }] };

const op = (o: ZodOpenApiOperationObject): ZodOpenApiOperationObject => o;

const orderHeaders = {
  Location: { description: '/v1/orders/{id}', schema: { type: 'string' as const } },
  ETag: { description: 'Strong ETag of the representation', schema: { type: 'string' as const } },
  'Idempotent-Replayed': { description: '`true` when an earlier request with this key created the order', schema: { type: 'string' as const } },
  'Preference-Applied': { description: '`wait=N` when Prefer: wait was honoured', schema: { type: 'string' as const } },
};

const corePaths: ZodOpenApiPathsObject = {
  '/v1/products': {
    get: op({ tags: ['catalog'], summary: 'List products (public)', requestParams: { query: ProductListQuery }, responses: { '200': { description: 'A page of products', content: json(ProductPage) }, ...common } }),
  },
  '/v1/products/{sku}': {
    get: op({ tags: ['catalog'], summary: 'One product (public)', requestParams: { path: ProductPath }, responses: { '200': { description: 'The product', content: json(ProductResource) }, '404': problem('`not_found`'), ...common } }),
  },
  '/v1/orders': {
    post: op({
      tags: ['orders'],
      summary: 'Place an order (idempotent)',
      description: 'Requires `Idempotency-Key` (scoped per customer). Same key + same body → the same order with `Idempotent-Replayed: true`; same key + different body → 422 `idempotency_key_reused`. `Prefer: wait=N` (N capped at 30; malformed preferences are ignored) waits for a settled state: 201 if settled, else 202.',
      ...secured,
      requestParams: { header: CreateOrderHeaders },
      requestBody: { required: true, content: json(CreateOrderBody) },
      responses: {
        '201': { description: 'Settled within the Prefer: wait window', headers: orderHeaders, content: json(OrderResource) },
        '202': { description: 'Accepted; poll the Location', headers: orderHeaders, content: json(OrderResource) },
        ...authed,
        '413': problem('`payload_too_large`'),
        '415': problem('`unsupported_media_type`'),
        '422': problem('`unknown_sku` or `idempotency_key_reused`'),
        '503': problem('`service_unavailable`: retry with the same Idempotency-Key'),
      },
    }),
    get: op({
      tags: ['orders'],
      summary: 'List orders, newest first',
      description: 'Customers see their own orders; ops/finance see all and may filter by customerId.',
      ...secured,
      requestParams: { query: OrderListQuery },
      responses: { '200': { description: 'A page of orders', content: json(OrderPage) }, ...authed },
    }),
  },
  '/v1/orders/{id}': {
    get: op({
      tags: ['orders'],
      summary: 'One order (owner, ops, finance); ETag + long-poll',
      description: 'Someone else’s order, or a non-UUID id, is a 404. `If-None-Match` → 304; with `Prefer: wait=N` it long-polls: 200 as soon as the order changes, 304 after N s.',
      ...secured,
      requestParams: { path: OrderPath, header: GetOrderHeaders },
      responses: { '200': { description: 'The order', headers: { ETag: orderHeaders.ETag }, content: json(OrderResource) }, '304': { description: 'Not modified' }, '404': problem('`not_found`'), ...authed },
    }),
  },
  '/v1/orders/{id}/cancel': {
    post: op({
      tags: ['orders'],
      summary: 'Cancel an order',
      description: 'The owner may cancel before CONFIRMED; ops at any time (a captured payment is refunded).',
      ...secured,
      requestParams: { path: OrderPath },
      requestBody: { required: false, content: json(CancelBody) },
      responses: { '202': { description: 'Cancellation accepted', content: json(OrderResource) }, '404': problem('`not_found`'), '409': problem('`order_not_cancellable`'), ...authed },
    }),
  },
  '/v1/orders/{id}/events': {
    get: op({
      tags: ['orders'],
      summary: 'The order timeline, oldest first',
      ...secured,
      requestParams: { path: OrderPath, query: EventListQuery },
      responses: { '200': { description: 'Events', content: json(OrderEventPage) }, '404': problem('`not_found`'), ...authed },
    }),
  },
  '/v1/admin/inventory/{sku}': {
    get: op({ tags: ['admin'], summary: 'Stock per warehouse (ops)', ...secured, requestParams: { path: ProductPath }, responses: { '200': { description: 'Levels', content: json(InventoryResource) }, '404': problem('`not_found`'), ...authed } }),
    put: op({
      tags: ['admin'],
      summary: 'Set on-hand stock in one warehouse (ops)',
      ...secured,
      requestParams: { path: ProductPath },
      requestBody: { required: true, content: json(InventoryPutBody) },
      responses: { '200': { description: 'Levels after the change', content: json(InventoryResource) }, '404': problem('`not_found`'), '409': problem('`stock_below_reserved`'), '422': problem('`unknown_warehouse`'), ...authed },
    }),
  },
  '/v1/admin/products/{sku}': {
    put: op({
      tags: ['admin'],
      summary: 'Create or update a product (ops)',
      ...secured,
      requestParams: { path: ProductPath },
      requestBody: { required: true, content: json(ProductUpsertBody) },
      responses: {
        '200': { description: 'Updated', content: json(ProductResource.extend({ active: z.boolean() })) },
        '201': { description: 'Created', content: json(ProductResource.extend({ active: z.boolean() })) },
        '422': problem('`unknown_category` / `unknown_brand`'),
        ...authed,
      },
    }),
  },
  '/healthz': { get: op({ tags: ['operations'], summary: 'Liveness', responses: { '200': { description: 'Alive', content: json(z.object({ status: z.literal('ok') })) } } }) },
  '/readyz': {
    get: op({
      tags: ['operations'],
      summary: 'Readiness: Postgres, Redis, Temporal',
      responses: { '200': { description: 'Ready', content: json(z.object({ status: z.string(), checks: z.record(z.string(), z.unknown()) })) }, '503': { description: 'A dependency is unreachable' } },
    }),
  },
  '/metrics': {
    get: op({
      tags: ['operations'],
      summary: 'Prometheus metrics (loopback clients, or Authorization: Bearer <METRICS_TOKEN>)',
      responses: { '200': { description: 'Text exposition format', content: { 'text/plain': { schema: z.string() } } }, '403': { description: 'Not a loopback client, or not the metrics token', content: { 'text/plain': { schema: z.string() } } } },
    }),
  },
  '/openapi.json': { get: op({ tags: ['operations'], summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1', content: json(z.record(z.string(), z.unknown())) } } }) },
};

/**
 * Routes owned by other modules (webhooks, finance, ops). A router module may export
 * `openapiPaths` to describe itself precisely; these defaults document the docs/design.md §4 contract.
 */
export const contractPaths: ZodOpenApiPathsObject = {
  '/v1/webhooks/stripe': {
    post: op({
      tags: ['webhooks'],
      summary: 'Stripe webhook intake (signature verified on the raw body)',
      requestParams: { header: z.object({ 'stripe-signature': z.string() }) },
      requestBody: { required: true, content: json(z.record(z.string(), z.unknown())) },
      responses: {
        '200': { description: 'Recorded and handed to the order workflow (duplicates harmless)', content: json(z.object({ received: z.literal(true), duplicate: z.boolean().optional(), workflow: z.string().optional(), order: z.string().optional() })) },
        '400': problem('`invalid_signature`: bad, missing or stale signature; `invalid_event`: signed, but not an event (no `id`, `type` or `data.object`, or a field of the wrong type); nothing changes'),
        '503': problem('`temporal_unavailable`: recorded, not yet signalled; retry'),
      },
    }),
  },
};

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

export function createOpenApiDocument(opts: { serverUrl?: string; extraPaths?: ZodOpenApiPathsObject[] } = {}) {
  const paths: ZodOpenApiPathsObject = { ...contractPaths, ...corePaths };
  for (const extra of opts.extraPaths ?? []) {
    for (const [path, item] of Object.entries(extra)) paths[path] = { ...(paths[path] ?? {}), ...item };
  }
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
