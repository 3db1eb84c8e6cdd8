// Switchable faults for tests and chaos runs. Rates are probabilities per matching
// request; the `*Next` counters are deterministic (the next n matching requests).
import * as z from 'zod';

export const faultSchema = z.strictObject({
  latencyMs: z.number().int().min(0).max(120_000).optional(),
  /** Answer 500 api_error before doing anything (nothing is persisted). */
  errorRate: z.number().min(0).max(1).optional(),
  errorNext: z.number().int().min(0).optional(),
  /** Answer 429 rate_limit before doing anything. */
  rateLimitRate: z.number().min(0).max(1).optional(),
  rateLimitNext: z.number().int().min(0).optional(),
  /** Perform the operation, commit it, then destroy the socket without answering. */
  dropAfterCommitRate: z.number().min(0).max(1).optional(),
  dropNext: z.number().int().min(0).optional(),
  /**
   * Perform the operation and commit it, but answer 500 and store that 500 as the response
   * of its idempotency key: every replay of the key answers the same 500, as Stripe does.
   */
  storedErrorNext: z.number().int().min(0).optional(),
  /** Only requests whose method equals and whose path starts with these are affected. */
  matching: z.strictObject({ method: z.string().optional(), path: z.string().optional() }).optional(),
});
export type FaultConfig = z.infer<typeof faultSchema>;

export interface FaultDecision {
  latencyMs: number;
  respond?: 500 | 429;
  drop: boolean;
  /** Answer (and store for the key) a 500 after committing. */
  storeError: boolean;
}

export class Faults {
  private config: FaultConfig = {};
  private readonly random: () => number;
  constructor(random: () => number = Math.random) {
    this.random = random;
  }

  set(config: FaultConfig): void {
    this.config = { ...config };
  }

  clear(): void {
    this.config = {};
  }

  get current(): FaultConfig {
    return { ...this.config };
  }

  private matches(method: string, path: string): boolean {
    const m = this.config.matching;
    if (!m) return true;
    if (m.method && m.method.toUpperCase() !== method.toUpperCase()) return false;
    if (m.path && !path.startsWith(m.path)) return false;
    return true;
  }

  private take(counter: 'errorNext' | 'rateLimitNext' | 'dropNext' | 'storedErrorNext', rate: number | undefined): boolean {
    const n = this.config[counter];
    if (n && n > 0) {
      this.config[counter] = n - 1;
      return true;
    }
    return rate !== undefined && rate > 0 && this.random() < rate;
  }

  /** Decides what happens to one API request (the admin endpoints are never faulted). */
  decide(method: string, path: string): FaultDecision {
    if (!this.matches(method, path)) return { latencyMs: 0, drop: false, storeError: false };
    const latencyMs = this.config.latencyMs ?? 0;
    if (this.take('errorNext', this.config.errorRate)) return { latencyMs, respond: 500, drop: false, storeError: false };
    if (this.take('rateLimitNext', this.config.rateLimitRate)) return { latencyMs, respond: 429, drop: false, storeError: false };
    if (this.take('storedErrorNext', undefined)) return { latencyMs, drop: false, storeError: true };
    return { latencyMs, drop: this.take('dropNext', this.config.dropAfterCommitRate), storeError: false };
  }
}
