// A small strict parser for the Prometheus text exposition format (0.0.4), used to check
// that every /metrics endpoint (prom-client and the Temporal SDK's) is well-formed: names and
// label names valid, label values properly escaped, one TYPE per family declared before its
// samples, no duplicate series, histograms with cumulative buckets ending at +Inf == _count.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help?: string;
  samples: Sample[];
}

export class ExpositionError extends Error {
  constructor(line: number, text: string, why: string) {
    super(`line ${line}: ${why}: ${JSON.stringify(text.slice(0, 200))}`);
    this.name = 'ExpositionError';
  }
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/** As Go's strconv.ParseFloat (what Prometheus uses): Inf/NaN spellings are case-insensitive (prom-client prints "Nan"). */
function parseValue(s: string): number {
  const l = s.toLowerCase();
  if (l === '+inf' || l === 'inf' || l === '+infinity' || l === 'infinity') return Infinity;
  if (l === '-inf' || l === '-infinity') return -Infinity;
  if (l === 'nan') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) throw new Error(`not a number: ${s}`);
  return Number(s);
}

/** Parses `{a="x",b="y\"z"}` starting at `i` (the `{`); returns labels and the index after `}`. */
function parseLabels(text: string, i: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  i += 1;
  for (;;) {
    while (text[i] === ' ') i++;
    if (text[i] === '}') return { labels, end: i + 1 };
    const m = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(text.slice(i));
    if (!m) throw new Error('bad label name');
    const key = m[0];
    i += key.length;
    if (text[i] !== '=' || text[i + 1] !== '"') throw new Error(`label ${key}: expected ="`);
    i += 2;
    let value = '';
    for (;;) {
      const c = text[i];
      if (c === undefined) throw new Error('unterminated label value');
      if (c === '"') break;
      if (c === '\\') {
        const n = text[i + 1];
        if (n === 'n') value += '\n';
        else if (n === '\\' || n === '"') value += n;
        else throw new Error(`bad escape \\${n}`);
        i += 2;
      } else {
        value += c;
        i += 1;
      }
    }
    i += 1;
    if (key in labels) throw new Error(`duplicate label ${key}`);
    labels[key] = value;
    if (text[i] === ',') i += 1;
    else if (text[i] !== '}') throw new Error('expected , or }');
  }
}

function familyOf(sample: string, families: Map<string, Family>): Family | undefined {
  for (const suffix of ['_bucket', '_sum', '_count', '']) {
    if (suffix && !sample.endsWith(suffix)) continue;
    const f = families.get(sample.slice(0, sample.length - suffix.length));
    if (f && (suffix === '' || f.type === 'histogram' || f.type === 'summary')) return f;
  }
  return undefined;
}

/** Parses and validates; throws ExpositionError on the first problem. */
export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  const lines = text.split('\n');
  if (lines[lines.length - 1] !== '') throw new ExpositionError(lines.length, lines[lines.length - 1], 'the exposition must end with a newline');
  lines.forEach((line, idx) => {
    const n = idx + 1;
    if (line === '') return;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
      if (!m) return; // plain comment
      const [, kind, name, rest = ''] = m;
      if (!NAME.test(name)) throw new ExpositionError(n, line, 'bad metric name');
      const f = families.get(name) ?? { name, type: 'untyped' as const, samples: [] };
      if (kind === 'TYPE') {
        if (!TYPES.has(rest)) throw new ExpositionError(n, line, 'unknown type');
        if (f.samples.length || (families.has(name) && (families.get(name) as Family & { typed?: boolean }).typed)) throw new ExpositionError(n, line, 'TYPE after samples or twice');
        f.type = rest as Family['type'];
        (f as Family & { typed?: boolean }).typed = true;
      } else {
        if (f.help !== undefined) throw new ExpositionError(n, line, 'HELP twice');
        f.help = rest;
      }
      families.set(name, f);
      return;
    }
    const nm = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
    if (!nm) throw new ExpositionError(n, line, 'bad sample name');
    const name = nm[0];
    let i = name.length;
    let labels: Record<string, string> = {};
    try {
      if (line[i] === '{') ({ labels, end: i } = parseLabels(line, i));
      for (const k of Object.keys(labels)) if (!LABEL.test(k)) throw new Error(`bad label name ${k}`);
      if (line[i] !== ' ') throw new Error('expected a space before the value');
      const parts = line.slice(i + 1).trim().split(/\s+/);
      if (parts.length < 1 || parts.length > 2) throw new Error('expected value [timestamp]');
      if (parts[1] !== undefined && !/^-?\d+$/.test(parts[1])) throw new Error('bad timestamp');
      const value = parseValue(parts[0]);
      const key = `${name}{${Object.entries(labels).sort().map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`;
      if (seen.has(key)) throw new Error('duplicate series');
      seen.add(key);
      let f = familyOf(name, families);
      if (!f) {
        f = { name, type: 'untyped', samples: [] };
        families.set(name, f);
      }
      if (f.type === 'counter' && !(value >= 0)) throw new Error('negative or NaN counter');
      f.samples.push({ name, labels, value });
    } catch (err) {
      if (err instanceof ExpositionError) throw err;
      throw new ExpositionError(n, line, (err as Error).message);
    }
  });
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

function checkHistogram(f: Family): void {
  const groups = new Map<string, { buckets: [number, number][]; count?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const g = groups.get(key) ?? { buckets: [] };
    if (s.name === `${f.name}_bucket`) {
      if (le === undefined) throw new Error(`${f.name}: bucket without le`);
      g.buckets.push([parseValue(le), s.value]);
    } else if (s.name === `${f.name}_count`) g.count = s.value;
    groups.set(key, g);
  }
  for (const [key, g] of groups) {
    const sorted = [...g.buckets].sort((a, b) => a[0] - b[0]);
    if (!sorted.length || sorted[sorted.length - 1][0] !== Infinity) throw new Error(`${f.name}${key}: no +Inf bucket`);
    for (let i = 1; i < sorted.length; i++) if (sorted[i][1] < sorted[i - 1][1]) throw new Error(`${f.name}${key}: buckets not cumulative`);
    if (g.count !== undefined && g.count !== sorted[sorted.length - 1][1]) throw new Error(`${f.name}${key}: _count ≠ +Inf bucket`);
  }
}

/** Sum of the samples named `name` whose labels include `match`. */
export function total(families: Map<string, Family>, name: string, match: Record<string, string> = {}): number {
  const f = familyOf(name, families);
  if (!f) return 0;
  return f.samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v)).reduce((n, s) => n + s.value, 0);
}

/** Is the family declared (HELP/TYPE) or sampled? */
export const has = (families: Map<string, Family>, name: string) => families.has(name);
