// The route table: every HTTP operation of the API, declared once — method, path and its
// OpenAPI description. src/api/routing.ts turns it into Express routes, the OpenAPI document
// (/openapi.json, the typed client in client/) and the 405 answers; the routers in this folder
// bind their handlers to these names. Order matters only for the document's order.
import * as z from 'zod';
import type { ZodOpenApiOperationObject, ZodOpenApiResponsesObject } from 'zod-openapi';
import type { RouteSpec } from '../routing.ts';
import {
  CancelBody,
  CodecPayloads,
  CreateOrderBody,
  CreateOrderHeaders,
  DevToken,
  DevTokenBody,
  EventListQuery,
  FindingSchema,
  FindingsQuery,
  GetOrderHeaders,
  InventoryPutBody,
  InventoryResource,
  LedgerEntrySchema,
  LedgerQuery,
  OPS_ACTIONS,
  OpsActionBody,
  OpsActionResult,
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
  RunSchema,
  RunsQuery,
  StartReconciliationBody,
  type OpsActionName,
} from '../schemas.ts';
import { UUID_PATTERN } from '../../contracts/index.ts';

export const json = (schema: z.ZodType) => ({ 'application/json': { schema } });
export const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: Problem } } });

/** Error responses every route can answer. */
export const common = {
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

/** What each ops action answers and how it is described (the handlers are in ops.ts). */
export const OPS_ACTION_DOCS: Record<OpsActionName, { httpStatus: 200 | 202; summary: string }> = {
  cancel: { httpStatus: 202, summary: 'Cancel the order; refunds the payment if it was captured (cancelOrderUpdate, role ops)' },
  'retry-compensation': { httpStatus: 202, summary: 'Retry compensations that gave up (retryCompensationSignal)' },
  'redrive-capture': { httpStatus: 202, summary: 'Re-drive a capture that gave up (redriveCaptureSignal)' },
  'manual-review': { httpStatus: 200, summary: 'Flag the order for manual review (markManualReviewUpdate); sets NeedsAttention' },
};

const opsAction = (action: OpsActionName): RouteSpec => ({
  method: 'post',
  path: `/v1/admin/orders/{id}/${action}`,
  operation: {
    tags: ['ops'],
    operationId: `ops_${action.replace('-', '_')}`,
    summary: OPS_ACTION_DOCS[action].summary,
    security: [{ bearerAuth: [] }],
    requestParams: { path: z.object({ id: z.string().regex(UUID_PATTERN).meta({ description: 'Order id (UUID). Anything else answers 404.' }) }) },
    requestBody: { required: true, content: { 'application/json': { schema: OpsActionBody } } },
    responses: {
      [OPS_ACTION_DOCS[action].httpStatus]: { description: 'Delivered to the order workflow (visible in its history) and audited', content: { 'application/json': { schema: OpsActionResult } } },
      400: problem('validation_failed: `reason` missing, empty or longer than 500 characters'),
      401: problem('unauthorized'),
      403: problem('forbidden: requires the role ops'),
      404: problem('not_found: no such order'),
      409: problem('workflow_closed: the checkout workflow has completed; order_not_cancellable; or the workflow rejected the action'),
      503: problem('service_unavailable: Temporal unreachable or too slow; nothing was audited; retry with the same X-Request-Id'),
    },
  },
});

const listOf = (description: string, item: z.ZodType) => ({
  description,
  content: {
    'application/json': { schema: z.object({ data: z.array(item), nextCursor: z.string().nullable() }) },
    'text/csv': { schema: z.string() },
  },
});

const codecOperation = (op: 'encode' | 'decode', summary: string): ZodOpenApiOperationObject => ({
  tags: ['ops'],
  operationId: `codec_${op}`,
  summary,
  description: 'Called by the Temporal Web UI (remote codec endpoint). Requires an ops token when PAYLOAD_CODEC_ENDPOINT_AUTH=ops (default in production).',
  requestBody: { required: true, content: { 'application/json': { schema: CodecPayloads } } },
  responses: {
    200: { description: 'The payloads, decoded (or encoded) in order; payloads that were never encrypted come back unchanged', content: { 'application/json': { schema: CodecPayloads } } },
    400: problem('invalid_request: not a payload list'),
    401: problem('unauthorized (PAYLOAD_CODEC_ENDPOINT_AUTH=ops)'),
    403: problem('forbidden: requires the role ops'),
    422: problem('unknown_codec_key or undecodable_payload'),
  },
});

/** The route name of an ops action. */
export const opsActionRoute = (action: OpsActionName) => `ops:${action}` as const;

export const ROUTES = {
  stripeWebhook: {
    method: 'post',
    path: '/v1/webhooks/stripe',
    operation: op({
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
  listProducts: {
    method: 'get',
    path: '/v1/products',
    operation: op({ tags: ['catalog'], summary: 'List products (public)', requestParams: { query: ProductListQuery }, responses: { '200': { description: 'A page of products', content: json(ProductPage) }, ...common } }),
  },
  getProduct: {
    method: 'get',
    path: '/v1/products/{sku}',
    operation: op({ tags: ['catalog'], summary: 'One product (public)', requestParams: { path: ProductPath }, responses: { '200': { description: 'The product', content: json(ProductResource) }, '404': problem('`not_found`'), ...common } }),
  },
  createOrder: {
    method: 'post',
    path: '/v1/orders',
    operation: op({
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
  },
  listOrders: {
    method: 'get',
    path: '/v1/orders',
    operation: op({
      tags: ['orders'],
      summary: 'List orders, newest first',
      description: 'Customers see their own orders; ops/finance see all and may filter by customerId.',
      ...secured,
      requestParams: { query: OrderListQuery },
      responses: { '200': { description: 'A page of orders', content: json(OrderPage) }, ...authed },
    }),
  },
  getOrder: {
    method: 'get',
    path: '/v1/orders/{id}',
    operation: op({
      tags: ['orders'],
      summary: 'One order (owner, ops, finance); ETag + long-poll',
      description: 'Someone else’s order, or a non-UUID id, is a 404. `If-None-Match` → 304; with `Prefer: wait=N` it long-polls: 200 as soon as the order changes, 304 after N s.',
      ...secured,
      requestParams: { path: OrderPath, header: GetOrderHeaders },
      responses: { '200': { description: 'The order', headers: { ETag: orderHeaders.ETag }, content: json(OrderResource) }, '304': { description: 'Not modified' }, '404': problem('`not_found`'), ...authed },
    }),
  },
  cancelOrder: {
    method: 'post',
    path: '/v1/orders/{id}/cancel',
    operation: op({
      tags: ['orders'],
      summary: 'Cancel an order',
      description: 'The owner may cancel before CONFIRMED; ops at any time (a captured payment is refunded).',
      ...secured,
      requestParams: { path: OrderPath },
      requestBody: { required: false, content: json(CancelBody) },
      responses: { '202': { description: 'Cancellation accepted', content: json(OrderResource) }, '404': problem('`not_found`'), '409': problem('`order_not_cancellable`'), ...authed },
    }),
  },
  orderEvents: {
    method: 'get',
    path: '/v1/orders/{id}/events',
    operation: op({
      tags: ['orders'],
      summary: 'The order timeline, oldest first',
      ...secured,
      requestParams: { path: OrderPath, query: EventListQuery },
      responses: { '200': { description: 'Events', content: json(OrderEventPage) }, '404': problem('`not_found`'), ...authed },
    }),
  },
  getInventory: {
    method: 'get',
    path: '/v1/admin/inventory/{sku}',
    operation: op({ tags: ['admin'], summary: 'Stock per warehouse (ops)', ...secured, requestParams: { path: ProductPath }, responses: { '200': { description: 'Levels', content: json(InventoryResource) }, '404': problem('`not_found`'), ...authed } }),
  },
  setInventory: {
    method: 'put',
    path: '/v1/admin/inventory/{sku}',
    operation: op({
      tags: ['admin'],
      summary: 'Set on-hand stock in one warehouse (ops)',
      ...secured,
      requestParams: { path: ProductPath },
      requestBody: { required: true, content: json(InventoryPutBody) },
      responses: { '200': { description: 'Levels after the change', content: json(InventoryResource) }, '404': problem('`not_found`'), '409': problem('`stock_below_reserved`'), '422': problem('`unknown_warehouse`'), ...authed },
    }),
  },
  upsertProduct: {
    method: 'put',
    path: '/v1/admin/products/{sku}',
    operation: op({
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
  healthz: {
    method: 'get',
    path: '/healthz',
    operation: op({ tags: ['operations'], summary: 'Liveness', responses: { '200': { description: 'Alive', content: json(z.object({ status: z.literal('ok') })) } } }),
  },
  readyz: {
    method: 'get',
    path: '/readyz',
    operation: op({
      tags: ['operations'],
      summary: 'Readiness: Postgres, Redis, Temporal',
      responses: { '200': { description: 'Ready', content: json(z.object({ status: z.string(), checks: z.record(z.string(), z.unknown()) })) }, '503': { description: 'A dependency is unreachable' } },
    }),
  },
  metrics: {
    method: 'get',
    path: '/metrics',
    operation: op({
      tags: ['operations'],
      summary: 'Prometheus metrics (loopback clients, or Authorization: Bearer <METRICS_TOKEN>)',
      responses: { '200': { description: 'Text exposition format', content: { 'text/plain': { schema: z.string() } } }, '403': { description: 'Not a loopback client, or not the metrics token', content: { 'text/plain': { schema: z.string() } } } },
    }),
  },
  openapi: {
    method: 'get',
    path: '/openapi.json',
    operation: op({ tags: ['operations'], summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1', content: json(z.record(z.string(), z.unknown())) } } }),
  },
  ...(Object.fromEntries(OPS_ACTIONS.map((a) => [opsActionRoute(a), opsAction(a)])) as Record<ReturnType<typeof opsActionRoute>, RouteSpec>),
  startReconciliation: {
    method: 'post',
    path: '/v1/finance/reconciliations',
    operation: {
      tags: ['finance'],
      operationId: 'finance_start_reconciliation',
      summary: 'Start a reconciliation run now (finance)',
      security: [{ bearerAuth: [] }],
      requestBody: { required: false, content: { 'application/json': { schema: StartReconciliationBody } } },
      responses: {
        '202': { description: 'Started; poll Location', content: { 'application/json': { schema: z.object({ id: z.string(), workflowId: z.string(), status: z.string() }) } } },
        '400': problem('`validation_failed`'),
        '401': problem('`unauthorized`'),
        '403': problem('`forbidden`'),
        '503': problem('`service_unavailable`: Temporal unreachable'),
      },
    },
  },
  listReconciliations: {
    method: 'get',
    path: '/v1/finance/reconciliations',
    operation: {
      tags: ['finance'],
      operationId: 'finance_list_reconciliations',
      summary: 'Reconciliation runs, newest first (finance, ops); CSV with Accept: text/csv',
      security: [{ bearerAuth: [] }],
      requestParams: { query: RunsQuery },
      responses: { '200': listOf('Runs', RunSchema), '400': problem('`validation_failed` / `invalid_cursor`'), '401': problem('`unauthorized`'), '403': problem('`forbidden`') },
    },
  },
  getReconciliation: {
    method: 'get',
    path: '/v1/finance/reconciliations/{id}',
    operation: {
      tags: ['finance'],
      operationId: 'finance_get_reconciliation',
      summary: 'A reconciliation run with its findings (finance, ops); findings as CSV with Accept: text/csv',
      security: [{ bearerAuth: [] }],
      requestParams: { path: z.object({ id: z.string().regex(UUID_PATTERN).meta({ description: 'Run id (UUID). Anything else answers 404.' }) }) },
      responses: {
        '200': { description: 'The run', content: { 'application/json': { schema: RunSchema.extend({ findings: z.array(FindingSchema) }) }, 'text/csv': { schema: z.string() } } },
        '401': problem('`unauthorized`'), '403': problem('`forbidden`'), '404': problem('`not_found`'),
      },
    },
  },
  listPayments: {
    method: 'get',
    path: '/v1/finance/payments',
    operation: {
      tags: ['finance'],
      operationId: 'finance_list_payments',
      summary: 'The payment ledger, oldest first (finance, ops); CSV with Accept: text/csv (next page cursor in X-Next-Cursor)',
      security: [{ bearerAuth: [] }],
      requestParams: { query: LedgerQuery },
      responses: { '200': listOf('Ledger entries', LedgerEntrySchema), '400': problem('`validation_failed` / `invalid_cursor`'), '401': problem('`unauthorized`'), '403': problem('`forbidden`') },
    },
  },
  listFindings: {
    method: 'get',
    path: '/v1/finance/findings',
    operation: {
      tags: ['finance'],
      operationId: 'finance_list_findings',
      summary: 'Reconciliation findings (open, needing a human, by kind/order/run); CSV with Accept: text/csv',
      security: [{ bearerAuth: [] }],
      requestParams: { query: FindingsQuery },
      responses: { '200': listOf('Findings', FindingSchema), '400': problem('`validation_failed` / `invalid_cursor`'), '401': problem('`unauthorized`'), '403': problem('`forbidden`') },
    },
  },
  mintDevToken: {
    method: 'post',
    path: '/v1/dev/tokens',
    operation: {
      tags: ['development'],
      operationId: 'dev_mint_token',
      summary: 'Mint a development token (dev only; 404 in production)',
      description: 'For the demo storefront and the finance console. Enabled by DEV_TOKENS (default outside production, refused in production) with HS256 signing.',
      requestBody: { required: false, content: { 'application/json': { schema: DevTokenBody } } },
      responses: {
        '201': { description: 'A token valid for one hour', content: { 'application/json': { schema: DevToken } } },
        '400': problem('`validation_failed`'),
        '404': problem('`not_found`: development tokens are disabled'),
        '429': problem('`rate_limited`'),
      },
    },
  },
  codecDecode: { method: 'post', path: '/codec/decode', operation: codecOperation('decode', 'Decrypt payloads for display in the Temporal Web UI') },
  codecEncode: { method: 'post', path: '/codec/encode', operation: codecOperation('encode', 'Encrypt payloads entered in the Temporal Web UI') },
} satisfies Record<string, RouteSpec>;

export type RouteName = keyof typeof ROUTES;
