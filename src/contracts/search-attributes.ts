// Custom search attributes the Web UI filters on. Registered by the dev stack
// (scripts/dev.ts → `temporal server start-dev --search-attribute …`) and, for a
// cluster, by `npm run temporal:search-attributes`.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const SA = {
  OrderId: defineSearchAttributeKey('OrderId', SearchAttributeType.KEYWORD),
  CustomerId: defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD),
  OrderStatus: defineSearchAttributeKey('OrderStatus', SearchAttributeType.KEYWORD),
  PaymentStatus: defineSearchAttributeKey('PaymentStatus', SearchAttributeType.KEYWORD),
  OrderTotal: defineSearchAttributeKey('OrderTotal', SearchAttributeType.INT),
  PaymentReference: defineSearchAttributeKey('PaymentReference', SearchAttributeType.KEYWORD),
  /** 'capture_failed' | 'compensation_failed' | 'manual_review' | 'needs_human' (reconciliation). */
  NeedsAttention: defineSearchAttributeKey('NeedsAttention', SearchAttributeType.KEYWORD),
  ReconciliationFindings: defineSearchAttributeKey('ReconciliationFindings', SearchAttributeType.INT),
} as const;

/** name → CLI type, for `temporal server start-dev --search-attribute Name=Type`. */
export const SEARCH_ATTRIBUTE_DEFINITIONS: Record<keyof typeof SA, 'Keyword' | 'Int'> = {
  OrderId: 'Keyword',
  CustomerId: 'Keyword',
  OrderStatus: 'Keyword',
  PaymentStatus: 'Keyword',
  OrderTotal: 'Int',
  PaymentReference: 'Keyword',
  NeedsAttention: 'Keyword',
  ReconciliationFindings: 'Int',
};
