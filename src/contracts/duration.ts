// Durations as the configuration and the workflow inputs write them: '500ms', '30s', '15m',
// '24h', '30d'. Pure and deterministic, so workflow code may use it too.

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Milliseconds of a duration such as '15m'; throws a RangeError for anything else ('1 week'). */
export function parseDuration(text: string): number {
  const m = /^(\d+)\s*(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) throw new RangeError(`not a duration: ${text}`);
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}
