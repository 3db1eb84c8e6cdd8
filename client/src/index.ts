// The typed client of the HTTP contract: openapi-fetch over the types that openapi-typescript
// generates from /openapi.json (schema.d.ts). Works in browsers and in Node (global fetch).
// Every exchange can be observed (the demo page shows them to client developers).
import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema.d.ts';

export type { components, paths };
export type Schemas = components['schemas'];
export type Order = Schemas['Order'];
export type Product = Schemas['Product'];
export type Problem = Schemas['Problem'];
export type CheckoutClient = Client<paths>;

/** One request and its response, as a client developer would want to see them. */
export interface Exchange {
  id: number;
  method: string;
  url: string;
  requestHeaders: Record<string, string>;
  requestBody?: string;
  status?: number;
  responseHeaders?: Record<string, string>;
  responseBody?: string;
  ms?: number;
}

export interface ClientOptions {
  /** The API's origin; '' (default) = same origin (the pages). */
  baseUrl?: string;
  /** The bearer token to send, read at each request (sign-in may change it). */
  token?: () => string | undefined;
  /** Called with each exchange once its response has arrived. */
  onExchange?: (exchange: Exchange) => void;
  fetch?: typeof globalThis.fetch;
}

const headersOf = (h: Headers, redact: boolean): Record<string, string> => {
  const out: Record<string, string> = {};
  h.forEach((v, k) => { out[k] = redact && k === 'authorization' ? `${v.slice(0, 14)}…` : v; });
  return out;
};

export function createCheckoutClient(opts: ClientOptions = {}): CheckoutClient {
  const client = createClient<paths>({ baseUrl: opts.baseUrl ?? '', fetch: opts.fetch });
  let seq = 0;
  const pending = new Map<string, { exchange: Exchange; started: number }>();
  const middleware: Middleware = {
    async onRequest({ request, id }) {
      const token = opts.token?.();
      if (token && !request.headers.has('authorization')) request.headers.set('authorization', `Bearer ${token}`);
      if (opts.onExchange) {
        const body = request.body ? await request.clone().text() : undefined;
        pending.set(id, { started: Date.now(), exchange: { id: ++seq, method: request.method, url: request.url, requestHeaders: headersOf(request.headers, true), ...(body ? { requestBody: body } : {}) } });
      }
      return request;
    },
    async onResponse({ response, id }) {
      const p = pending.get(id);
      if (p && opts.onExchange) {
        pending.delete(id);
        const text = await response.clone().text();
        opts.onExchange({ ...p.exchange, status: response.status, responseHeaders: headersOf(response.headers, false), ...(text ? { responseBody: text } : {}), ms: Date.now() - p.started });
      }
      return response;
    },
  };
  client.use(middleware);
  return client;
}

/** `payment.action` (docs/design.md §4): how the customer completes 3-D Secure. */
export interface PaymentAction {
  type: 'authenticate';
  clientSecret: string;
  redirectUrl?: string;
}

/**
 * The order's payment action, read defensively: the contract adds `payment.action` to orders
 * waiting for 3-D Secure; an API without it yet exposes only `payment.reference` (handled by
 * the caller).
 */
export function paymentActionOf(order: Order): PaymentAction | undefined {
  const action = (order.payment as { action?: unknown }).action as Partial<PaymentAction> | undefined;
  if (!action || action.type !== 'authenticate' || typeof action.clientSecret !== 'string') return undefined;
  return { type: 'authenticate', clientSecret: action.clientSecret, ...(typeof action.redirectUrl === 'string' ? { redirectUrl: action.redirectUrl } : {}) };
}

/** Statuses after which an order no longer changes on its own (docs/design.md §4). */
export const SETTLED: ReadonlySet<Order['status']> = new Set(['CONFIRMED', 'REJECTED', 'PAYMENT_FAILED', 'CANCELLED']);
