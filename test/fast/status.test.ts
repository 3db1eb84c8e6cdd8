// The order and payment state machines (src/contracts/status.ts, docs/design.md §4): every
// (from, to) pair is pinned, so a change to either machine is a deliberate one.
import { describe, expect, it } from '@jest/globals';
import {
  FAILURE_CODES, ORDER_STATUSES, PAYMENT_STATUSES, canTransition, canTransitionPayment, isSettled, isTerminal,
} from '../../src/contracts/index.ts';

/** The allowed moves, written out as edges (everything else is refused). */
const ORDER_EDGES = [
  'PENDING→AWAITING_PAYMENT_ACTION', 'PENDING→CONFIRMED', 'PENDING→REJECTED', 'PENDING→PAYMENT_FAILED', 'PENDING→CANCELLED',
  'AWAITING_PAYMENT_ACTION→CONFIRMED', 'AWAITING_PAYMENT_ACTION→PAYMENT_FAILED', 'AWAITING_PAYMENT_ACTION→CANCELLED',
  'CONFIRMED→CANCELLED',
];
const PAYMENT_EDGES = [
  'PENDING→REQUIRES_ACTION', 'PENDING→AUTHORIZED', 'PENDING→FAILED', 'PENDING→VOIDED',
  'REQUIRES_ACTION→AUTHORIZED', 'REQUIRES_ACTION→FAILED', 'REQUIRES_ACTION→VOIDED',
  'AUTHORIZED→CAPTURED', 'AUTHORIZED→VOIDED',
  'CAPTURED→REFUNDED',
];

const pairs = <S extends string>(all: readonly S[]) => all.flatMap((from) => all.map((to) => [from, to] as const));

describe('order status machine', () => {
  it.each(pairs(ORDER_STATUSES))('%s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(ORDER_EDGES.includes(`${from}→${to}`));
  });

  it('never moves back to PENDING and never leaves a terminal status', () => {
    for (const from of ORDER_STATUSES) expect(canTransition(from, 'PENDING')).toBe(false);
    for (const from of ORDER_STATUSES.filter(isTerminal)) expect(ORDER_STATUSES.some((to) => canTransition(from, to))).toBe(false);
  });

  it('terminal: REJECTED, PAYMENT_FAILED, CANCELLED; settled adds CONFIRMED and AWAITING_PAYMENT_ACTION', () => {
    expect(ORDER_STATUSES.filter(isTerminal)).toEqual(['REJECTED', 'PAYMENT_FAILED', 'CANCELLED']);
    expect(ORDER_STATUSES.filter(isSettled)).toEqual(['AWAITING_PAYMENT_ACTION', 'CONFIRMED', 'REJECTED', 'PAYMENT_FAILED', 'CANCELLED']);
  });

  it('knows the failure codes the checkout reports', () => {
    expect([...FAILURE_CODES]).toEqual(expect.arrayContaining(['out_of_stock', 'payment_declined', 'insufficient_funds', 'payment_action_timeout', 'payment_action_failed', 'cancelled']));
  });
});

describe('payment status machine', () => {
  it.each(pairs(PAYMENT_STATUSES))('%s → %s', (from, to) => {
    expect(canTransitionPayment(from, to)).toBe(PAYMENT_EDGES.includes(`${from}→${to}`));
  });

  it('money only moves forward: captured can only be refunded; voided, refunded and failed are final', () => {
    expect(PAYMENT_STATUSES.filter((to) => canTransitionPayment('CAPTURED', to))).toEqual(['REFUNDED']);
    for (const from of ['VOIDED', 'REFUNDED', 'FAILED'] as const) expect(PAYMENT_STATUSES.some((to) => canTransitionPayment(from, to))).toBe(false);
    for (const from of PAYMENT_STATUSES) expect(canTransitionPayment(from, 'PENDING')).toBe(false);
  });
});
