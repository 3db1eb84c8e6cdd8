import { defineEntity, p } from '@mikro-orm/core';

export const ReconciliationRun = defineEntity({
  name: 'ReconciliationRun',
  tableName: 'reconciliation_runs',
  indexes: [{ name: 'reconciliation_runs_started_idx', columns: [{ name: 'started_at', sort: 'desc' }] }],
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
    startedAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
    finishedAt: p.datetime().nullable(),
  },
});

export const ReconciliationFinding = defineEntity({
  name: 'ReconciliationFinding',
  tableName: 'reconciliation_findings',
  uniques: [{ name: 'reconciliation_findings_run_kind_ref_unique', properties: ['runId', 'kind', 'providerReference', 'orderId'] }],
  indexes: [{ name: 'reconciliation_findings_open_idx', properties: ['needsHuman', 'createdAt'], where: 'resolved_at is null' }],
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    runId: p.manyToOne(ReconciliationRun).mapToPk().joinColumn('run_id').foreignKeyName('reconciliation_findings_run_id_fkey').deleteRule('cascade'),
    kind: p.text(),
    orderId: p.uuid().nullable(),
    providerReference: p.text().nullable(),
    ourAmount: p.integer().nullable(),
    providerAmount: p.integer().nullable(),
    currency: p.string().columnType('char(3)').nullable(),
    ourStatus: p.text().nullable(),
    providerStatus: p.text().nullable(),
    action: p.text(),
    actionOutcome: p.text().nullable(),
    needsHuman: p.boolean().default(false),
    details: p.json<Record<string, unknown>>().nullable(),
    resolvedAt: p.datetime().nullable(),
    createdAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
  },
});
