// The HTTP contract (docs/design.md §4) as zod 4 schemas. The same schemas validate requests in
// the route handlers and generate the OpenAPI 3.1 document (zod-openapi `createDocument`).
import * as z from 'zod';
import 'zod-openapi';
import { ORDER_STATUSES, PAYMENT_STATUSES, UUID_PATTERN } from '../contracts/index.ts';
import { FINDING_KINDS } from '../reconciliation/classify.ts';
import { ROLES } from './middleware/auth.ts';

// ---------- building blocks ----------

export const SKU_PATTERN = /^[A-Z0-9][A-Z0-9-]{0,63}$/;
/** Idempotency-Key: 1–255 printable ASCII characters (RFC 9110 field value without control chars). */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x20-\x7E]{1,255}$/;
export const PREFER_WAIT_MAX_SECONDS = 30;

export const Sku = z.string().min(1).max(64).regex(SKU_PATTERN, 'upper-case letters, digits and dashes, max 64').meta({ id: 'Sku', example: 'AUD-HEADPHONES-01' });
export const Currency = z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 code in upper case').meta({ example: 'USD' });
export const Money = z
  .strictObject({
    amount: z.number().int().min(0).max(100_000_000_00).meta({ description: 'Minor units (cents)' }),
    currency: Currency,
  })
  .meta({ id: 'Money', example: { amount: 1999, currency: 'USD' } });

/**
 * Cursors are base64url (what every list hands out as nextCursor). The pattern is documented;
 * the read models check it themselves and answer `invalid_cursor`, which says more.
 */
export const Cursor = z.string().min(1).max(512).meta({ description: 'Opaque cursor from a previous page (`nextCursor`).', pattern: '^[A-Za-z0-9_-]+$' });
const Limit = (max: number, dflt: number) => z.coerce.number().int().min(1).max(max).default(dflt);
const Timestamp = z.string().meta({ format: 'date-time' });

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().meta({ description: 'Stable snake_case error code' }),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    traceId: z.string().regex(/^[0-9a-f]{32}$/).optional().meta({ description: 'The OpenTelemetry trace of this request (present when the server traces): search it in the tracing backend' }),
    errors: z.array(z.object({ path: z.string(), message: z.string(), code: z.string().optional() })).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

// ---------- catalog ----------

export const ProductResource = z
  .object({
    sku: Sku,
    name: z.string(),
    description: z.string(),
    price: Money,
    category: z.string(),
    brand: z.string(),
    available: z.number().int().meta({ description: 'Sum over warehouses of on-hand minus reserved' }),
  })
  .meta({ id: 'Product' });

export const ProductListQuery = z.strictObject({
  limit: Limit(100, 20),
  cursor: Cursor.optional(),
  category: z.string().min(1).max(64).regex(/^[a-z0-9-]+$/).optional(),
});

export const ProductPath = z.object({ sku: z.string().regex(SKU_PATTERN).meta({ description: 'Upper-case letters, digits and dashes (max 64). Anything else answers 404.', example: 'AUD-HEADPHONES-01' }) });

export const ProductUpsertBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    description: z.string().max(5000).default(''),
    price: Money,
    category: z.string().min(1).max(64),
    brand: z.string().min(1).max(64),
    active: z.boolean().default(true),
  })
  .meta({ id: 'ProductUpsert' });

// ---------- inventory (admin) ----------

export const InventoryResource = z
  .object({
    sku: Sku,
    levels: z.array(z.object({ warehouse: z.string(), onHand: z.number().int(), reserved: z.number().int(), available: z.number().int() })),
  })
  .meta({ id: 'Inventory' });

export const InventoryPutBody = z
  .strictObject({
    warehouse: z.string().min(1).max(64),
    onHand: z.number().int().min(0).max(1_000_000_000),
  })
  .meta({ id: 'InventoryUpdate' });

// ---------- orders ----------

export const OrderItemInput = z.strictObject({
  sku: Sku,
  quantity: z.number().int().min(1).max(1000),
});

export const ShippingAddress = z
  .strictObject({
    name: z.string().min(1).max(200),
    line1: z.string().min(1).max(200),
    line2: z.string().max(200).optional(),
    city: z.string().min(1).max(100),
    region: z.string().max(100).optional(),
    postalCode: z.string().min(1).max(20),
    country: z.string().regex(/^[A-Z]{2}$/, 'ISO 3166-1 alpha-2'),
  })
  .meta({ id: 'ShippingAddress' });

export const CreateOrderBody = z
  .strictObject({
    items: z.array(OrderItemInput).min(1).max(50),
    paymentMethod: z.string().min(3).max(255).regex(/^pm_[A-Za-z0-9_]+$/, 'a payment method id such as pm_card_visa'),
    shippingAddress: ShippingAddress.optional(),
  })
  .meta({ id: 'CreateOrder', example: { items: [{ sku: 'AUD-HEADPHONES-01', quantity: 1 }], paymentMethod: 'pm_card_visa' } });

export const OrderResource = z
  .object({
    id: z.uuid(),
    customerId: z.string(),
    status: z.enum(ORDER_STATUSES),
    items: z.array(z.object({ sku: Sku, name: z.string(), quantity: z.number().int(), unitPrice: Money, lineTotal: Money })),
    total: Money,
    payment: z.object({
      status: z.enum(PAYMENT_STATUSES),
      reference: z.string().optional(),
      /** While the payment requires 3-D Secure: what Stripe.js (clientSecret) or a browser (redirectUrl) needs. Owner and ops only. */
      action: z.object({ type: z.literal('authenticate'), clientSecret: z.string(), redirectUrl: z.string().optional() }).optional(),
    }),
    failure: z.object({ code: z.string(), message: z.string() }).optional(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'Order' });

export const OrderPath = z.object({ id: z.string().regex(UUID_PATTERN).meta({ description: 'Order id (UUID). Anything else answers 404.' }) });

export const OrderListQuery = z.strictObject({
  status: z.enum(ORDER_STATUSES).optional(),
  limit: Limit(100, 20),
  cursor: Cursor.optional(),
  customerId: z.string().min(1).max(255).optional().meta({ description: 'ops/finance only: filter by customer' }),
});

export const EventListQuery = z.strictObject({
  limit: Limit(500, 100),
  cursor: Cursor.optional(),
});

export const CancelBody = z.strictObject({ reason: z.string().trim().min(1).max(500).optional() }).meta({ id: 'CancelOrder' });

export const OrderEventResource = z
  .object({ type: z.string(), status: z.enum(ORDER_STATUSES), at: Timestamp, reason: z.string().optional(), actor: z.string().optional() })
  .meta({ id: 'OrderEvent' });

const page = <T extends z.ZodType>(item: T) => z.object({ data: z.array(item), nextCursor: z.string().nullable() });

export const ProductPage = page(ProductResource).meta({ id: 'ProductPage' });
export const OrderPage = page(OrderResource).meta({ id: 'OrderPage' });
export const OrderEventPage = page(OrderEventResource).meta({ id: 'OrderEventPage' });

// ---------- headers ----------

export const CreateOrderHeaders = z.object({
  'idempotency-key': z.string().min(1).max(255).regex(IDEMPOTENCY_KEY_PATTERN).meta({ description: '1–255 printable ASCII characters; scoped per customer' }),
  prefer: z.string().optional().meta({ description: `\`wait=N\`: wait up to N seconds (capped at ${PREFER_WAIT_MAX_SECONDS}) for a settled state` }),
});
export const GetOrderHeaders = z.object({
  'if-none-match': z.string().optional(),
  prefer: z.string().optional().meta({ description: `With If-None-Match: \`wait=N\` long-polls up to N seconds (capped at ${PREFER_WAIT_MAX_SECONDS})` }),
});

// ---------- ops actions (src/api/routes/ops.ts) ----------

export const OPS_ACTIONS = ['cancel', 'retry-compensation', 'redrive-capture', 'manual-review'] as const;
export type OpsActionName = (typeof OPS_ACTIONS)[number];

export const OpsActionBody = z
  .strictObject({ reason: z.string().trim().min(1).max(500).meta({ description: 'Why (audited with the caller\'s JWT sub)' }) })
  .meta({ id: 'OpsActionRequest', example: { reason: 'customer called support: duplicate order' } });

export const OpsActionResult = z
  .object({
    action: z.enum(OPS_ACTIONS),
    orderId: z.uuid(),
    workflowId: z.string(),
    status: z.enum(ORDER_STATUSES).meta({ description: 'Order status as known after the action was delivered' }),
    attention: z.string().optional(),
    requestId: z.string(),
  })
  .meta({ id: 'OpsActionResult' });
export type OpsActionResult = z.infer<typeof OpsActionResult>;

// ---------- finance (src/api/routes/finance.ts; the read model in src/reconciliation/read-model.ts builds the responses) ----------

const financeLimit = z.coerce.number().int().min(1).max(500).default(100);
const financeCursor = Cursor.optional();
const boolParam = z.enum(['true', 'false']).transform((v) => v === 'true').optional();
const isoDate = z.iso.datetime({ offset: true }).transform((s) => new Date(s)).optional();

export const StartReconciliationBody = z
  .strictObject({
    lookbackMinutes: z.number().int().min(1).max(60 * 24 * 35).optional().meta({ description: 'Overlap with the previous run (default RECONCILIATION_LOOKBACK)' }),
    capturedPolicy: z.enum(['refund', 'confirm']).optional(),
  })
  .meta({ id: 'StartReconciliationRequest' });

export const RunsQuery = z.strictObject({ limit: financeLimit, cursor: financeCursor });
export const FindingsQuery = z.strictObject({
  open: boolParam, needsHuman: boolParam, kind: z.enum(FINDING_KINDS).optional(), orderId: z.uuid().optional(), runId: z.uuid().optional(), limit: financeLimit, cursor: financeCursor,
});
export const LedgerQuery = z.strictObject({
  orderId: z.uuid().optional(),
  providerReference: z.string().min(1).max(255).optional(),
  type: z.string().min(1).max(100).optional(),
  source: z.enum(['api_call', 'webhook', 'reconciliation']).optional(),
  from: isoDate,
  to: isoDate,
  limit: financeLimit,
  cursor: financeCursor,
});

const nullableInt = z.number().int().nullable();
const when = z.string().meta({ format: 'date-time' });
export const RunSchema = z.object({
  id: z.string(), trigger: z.string(), status: z.string(), checked: z.number().int(), matched: z.number().int(),
  findingsCount: z.number().int(), needsHuman: z.number().int(), window: z.object({ start: when, end: when }),
  startedAt: when, finishedAt: when.nullable(), error: z.string().nullable(),
}).meta({ id: 'ReconciliationRun' });
export const FindingSchema = z.object({
  id: z.number().int(), runId: z.string(), kind: z.string(), orderId: z.string().nullable(), providerReference: z.string().nullable(),
  ourAmount: nullableInt, providerAmount: nullableInt, currency: z.string().nullable(), ourStatus: z.string().nullable(), providerStatus: z.string().nullable(),
  action: z.string(), actionOutcome: z.string().nullable(), needsHuman: z.boolean(), details: z.record(z.string(), z.unknown()).nullable(),
  createdAt: when, resolvedAt: when.nullable(),
}).meta({ id: 'ReconciliationFinding' });
export const LedgerEntrySchema = z.object({
  id: z.number().int(), orderId: z.string().nullable(), provider: z.string(), providerEventId: z.string(), type: z.string(), source: z.string(),
  providerReference: z.string().nullable(), amount: nullableInt, currency: z.string().nullable(), status: z.string().nullable(), createdAt: when,
  payment: z.object({ status: z.string(), amount: z.number().int(), capturedAmount: z.number().int(), refundedAmount: z.number().int() }).nullable(),
  order: z.object({ status: z.string(), customerId: z.string(), totalAmount: z.number().int() }).nullable(),
}).meta({ id: 'LedgerEntry' });

// ---------- development tokens (src/api/routes/dev-tokens.ts) ----------

export const DevTokenBody = z
  .strictObject({
    sub: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/).optional().meta({ description: 'Subject (customer id or user id); default: a fresh demo customer' }),
    roles: z.array(z.enum(ROLES)).min(1).max(3).default(['customer']),
  })
  .meta({ id: 'DevTokenRequest' });

export const DevToken = z
  .object({ token: z.string(), sub: z.string(), roles: z.array(z.enum(ROLES)), expiresAt: z.string().meta({ format: 'date-time' }) })
  .meta({ id: 'DevToken' });

// ---------- Temporal Web UI codec endpoint (src/api/routes/codec.ts) ----------

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64');
export const CodecPayloads = z.object({
  payloads: z.array(z.object({ metadata: z.record(z.string(), base64).optional(), data: base64.optional() })).max(10_000),
}).meta({ id: 'CodecPayloads', description: 'Temporal payloads as JSON: metadata values and data in base64' });
