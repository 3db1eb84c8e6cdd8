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
  /**
   * Hand fetch() the URL, method, headers and body directly instead of a Request object
   * (openapi-fetch builds one per call and fetch() then builds another from it). For callers
   * that send thousands of requests a second, such as the benchmarks: in Node it saves about
   * as much per request as the rest of the client costs (numbers: bench/client-overhead.ts).
   */
  plain?: boolean;
}

/**
 * What openapi-fetch needs of a request, without a Request: the call's URL, method, headers
 * (a real Headers, so middleware can read and set them) and serialized body.
 */
class PlainRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly body: RequestInit['body'];
  readonly signal: AbortSignal | null | undefined;
  constructor(url: string, init: RequestInit) {
    this.url = url;
    this.method = init.method ?? 'GET';
    this.headers = init.headers instanceof Headers ? init.headers : new Headers(init.headers); // openapi-fetch hands over a fresh Headers
    this.body = init.body;
    this.signal = init.signal;
  }
  /** A real Request with the same contents (what an observer reads the body from). */
  clone(): Request {
    return new Request(this.url, { method: this.method, headers: this.headers, body: this.body });
  }
}

const headersOf = (h: Headers, redact: boolean): Record<string, string> => {
  const out: Record<string, string> = {};
  h.forEach((v, k) => { out[k] = redact && k === 'authorization' ? `${v.slice(0, 14)}…` : v; });
  return out;
};

export function createCheckoutClient(opts: ClientOptions = {}): CheckoutClient {
  const send = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const client = createClient<paths>({
    baseUrl: opts.baseUrl ?? '',
    ...(opts.plain
      ? {
        Request: PlainRequest as unknown as typeof Request,
        fetch: (r: Request) => send(r.url, { method: r.method, headers: r.headers, body: (r as unknown as PlainRequest).body, signal: r.signal }),
      }
      : { fetch: opts.fetch }),
  });
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
      // Changed in place (no new Request): works for a Request and for a PlainRequest alike.
      return undefined;
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
  // Without a token or an observer the middleware has nothing to do: skip its per-call cost.
  if (opts.token || opts.onExchange) client.use(middleware);
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
