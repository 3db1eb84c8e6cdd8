// Stripe-shaped objects and errors of the payment sandbox. Pure helpers: ids, the
// JSON shapes the SDK expects, and the error type the HTTP layer turns into
// Stripe's `{ error: { type, code, decline_code, message, param } }` bodies.
import { createHash, randomBytes } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Stripe-like id: `pi_3Px…` (prefix + 24 base62 characters). */
export function newId(prefix: string): string {
  const bytes = randomBytes(24);
  let out = '';
  for (const b of bytes) out += ALPHABET[b % ALPHABET.length];
  return `${prefix}_${out}`;
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export type IntentStatus = 'requires_payment_method' | 'requires_confirmation' | 'requires_action' | 'processing' | 'requires_capture' | 'canceled' | 'succeeded';

export interface StripeErrorBody {
  type: 'card_error' | 'invalid_request_error' | 'api_error' | 'idempotency_error' | 'authentication_error';
  code?: string;
  decline_code?: string;
  message: string;
  param?: string;
  payment_intent?: Record<string, unknown>;
  charge?: string;
  doc_url?: string;
}

/**
 * An error answered in Stripe's shape. `persist` = the endpoint had started executing,
 * so (like Stripe) the result is stored under the idempotency key and replayed;
 * parameter validation errors are not stored and roll back everything.
 */
export class SandboxApiError extends Error {
  readonly status: number;
  readonly body: StripeErrorBody;
  readonly persist: boolean;
  constructor(status: number, body: StripeErrorBody, persist = true) {
    super(body.message);
    this.name = 'SandboxApiError';
    this.status = status;
    this.body = body;
    this.persist = persist;
  }
}

export const invalidParam = (param: string, message: string, code = 'parameter_invalid_integer') =>
  new SandboxApiError(400, { type: 'invalid_request_error', code, param, message }, false);
export const missingParam = (param: string) =>
  new SandboxApiError(400, { type: 'invalid_request_error', code: 'parameter_missing', param, message: `Missing required param: ${param}.` }, false);
export const noSuch = (kind: string, id: string, param = 'id') =>
  new SandboxApiError(404, { type: 'invalid_request_error', code: 'resource_missing', param, message: `No such ${kind}: '${id}'` }, false);
export const unexpectedState = (message: string) =>
  new SandboxApiError(400, { type: 'invalid_request_error', code: 'payment_intent_unexpected_state', message });

/** The test PaymentMethods the sandbox knows, and what confirming them does. */
export const TEST_PAYMENT_METHODS: Record<string, { outcome: 'succeed' | 'decline' | 'authenticate'; declineCode?: string; message?: string; brand: string; last4: string }> = {
  pm_card_visa: { outcome: 'succeed', brand: 'visa', last4: '4242' },
  pm_card_mastercard: { outcome: 'succeed', brand: 'mastercard', last4: '4444' },
  pm_card_chargeDeclined: { outcome: 'decline', declineCode: 'generic_decline', message: 'Your card was declined.', brand: 'visa', last4: '0002' },
  pm_card_chargeDeclinedInsufficientFunds: { outcome: 'decline', declineCode: 'insufficient_funds', message: 'Your card has insufficient funds.', brand: 'visa', last4: '9995' },
  pm_card_authenticationRequired: { outcome: 'authenticate', brand: 'visa', last4: '3184' },
};

/** Canonical JSON (sorted keys) so that the same parameters always hash the same. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value as object).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export const requestHash = (method: string, path: string, body: unknown): string =>
  createHash('sha256').update(`${method} ${path} ${canonical(body)}`).digest('hex');

/** Parses a form-encoded integer parameter (the SDK sends numbers as strings). */
export function intParam(body: Record<string, unknown>, name: string, opts: { required?: boolean; min?: number } = {}): number | undefined {
  const raw = body[name];
  if (raw === undefined || raw === '') {
    if (opts.required) throw missingParam(name);
    return undefined;
  }
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n)) throw invalidParam(name, `Invalid integer: ${String(raw)}`);
  if (opts.min !== undefined && n < opts.min) throw invalidParam(name, `This value must be greater than or equal to ${opts.min}.`, 'parameter_invalid_integer');
  return n;
}

export function stringMap(raw: unknown, param: string): Record<string, string> {
  if (raw === undefined || raw === '') return {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalidParam(param, 'Invalid object', 'parameter_invalid_string');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof v !== 'string') throw invalidParam(`${param}[${k}]`, 'Metadata values must be strings.', 'parameter_invalid_string');
    out[k] = v;
  }
  return out;
}

export function expandList(raw: unknown): string[] {
  if (raw === undefined) return [];
  if (Array.isArray(raw)) return raw.map(String);
  if (typeof raw === 'object' && raw !== null) return Object.values(raw).map(String);
  return [String(raw)];
}
