import { defineEntity, p } from '@mikro-orm/core';

export const ReconciliationRun = defineEntity({
  name: 'ReconciliationRun',
  tableName: 'reconciliation_runs',
  properties: {
    id: p.uuid().primary(),
    trigger: p.enum(['schedule', 'manual'] as const),
    status: p.enum(['RUNNING', 'COMPLETED', 'FAILED'] as const),
    windowStart: p.datetime(),
    windowEnd: p.datetime(),
    checked: p.integer().default(0),
    matched: p.integer().default(0),
    findingsCount: p.integer().default(0),
    needsHuman: p.integer().default(0),
    error: p.text().nullable(),
    startedAt: p.datetime().onCreate(() => new Date()),
    finishedAt: p.datetime().nullable(),
  },
});

export const ReconciliationFinding = defineEntity({
  name: 'ReconciliationFinding',
  tableName: 'reconciliation_findings',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    runId: p.uuid(),
    kind: p.string(),
    orderId: p.uuid().nullable(),
    providerReference: p.string().nullable(),
    ourAmount: p.integer().nullable(),
    providerAmount: p.integer().nullable(),
    currency: p.string().nullable(),
    ourStatus: p.string().nullable(),
    providerStatus: p.string().nullable(),
    action: p.string(),
    actionOutcome: p.string().nullable(),
    needsHuman: p.boolean().default(false),
    details: p.json<Record<string, unknown>>().nullable(),
    resolvedAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
