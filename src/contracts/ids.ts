// Ids the contract promises: order ids (and reconciliation run ids) are UUIDs. Anything else
// is not an id of ours — the API answers 404 without a lookup, webhooks ignore the claim.

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (value: string): boolean => UUID_PATTERN.test(value);
