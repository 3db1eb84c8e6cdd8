// Order ids are derived from (customer, Idempotency-Key): the same request always maps to
// the same order id and so the same workflow id `order-<id>`. That makes duplicates
// impossible even when Redis is down — the workflow id is the last guard (docs/design.md §8).
import { createHash } from 'node:crypto';

const NAMESPACE = 'durable-checkout/order/v1';

/** A UUID (version 5 layout, SHA-1 based) from the customer id and idempotency key. */
export function orderIdFor(customerId: string, idempotencyKey: string): string {
  const h = createHash('sha1').update(`${NAMESPACE}\u0000${customerId}\u0000${idempotencyKey}`).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** sha256 over a canonical JSON (sorted keys) of the request body. */
export function requestFingerprint(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
