// Renders one line of child output for the dev console: pino / Temporal JSON lines become
// "12:01:02.345 INFO  message key=value …"; anything else is printed as it came.

const RESET = '\x1b[0m';
const DIM = '\x1b[2m';
const BOLD = '\x1b[1m';
const LEVEL_COLOURS: Record<string, string> = {
  TRACE: '\x1b[90m',
  DEBUG: '\x1b[90m',
  INFO: '\x1b[32m',
  WARN: '\x1b[33m',
  ERROR: '\x1b[31m',
  FATAL: '\x1b[41m\x1b[97m',
};
const PINO_LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** Fields every line carries that say nothing new on a per-process console. */
const NOISE = new Set(['time', 'ts', 'level', 'msg', 'message', 'service', 'component', 'pid', 'hostname', 'v', 'logger', 'caller', 'stacktrace']);
/** Fields shown first, in this order, when present. */
const KEY_FIELDS = ['orderId', 'workflowId', 'runId', 'requestId', 'taskQueue', 'activityType', 'workflowType', 'status', 'method', 'url', 'statusCode', 'responseTime', 'durationMs'];
const MAX_VALUE = 160;

export const PROCESS_COLOURS = ['\x1b[36m', '\x1b[35m', '\x1b[34m', '\x1b[33m', '\x1b[32m', '\x1b[96m', '\x1b[95m', '\x1b[94m', '\x1b[93m'];

export function paint(text: string, code: string, colour: boolean): string {
  return colour ? `${code}${text}${RESET}` : text;
}
export const bold = (text: string, colour: boolean) => paint(text, BOLD, colour);
export const dim = (text: string, colour: boolean) => paint(text, DIM, colour);

function clock(value: unknown): string {
  const d = typeof value === 'number' ? new Date(value) : typeof value === 'string' ? new Date(value) : undefined;
  if (!d || Number.isNaN(d.getTime())) return '';
  return d.toISOString().slice(11, 23);
}

function levelName(value: unknown): string {
  if (typeof value === 'number') return PINO_LEVELS[value] ?? String(value);
  if (typeof value === 'string') return value.toUpperCase();
  return '';
}

function show(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = /[\s"=]/.test(value) ? JSON.stringify(value) : value;
  else if (value instanceof Object && 'message' in value && typeof value.message === 'string') {
    // Errors: type and message only — the full stack is in the JSON logs when you need it.
    const e = value as { type?: string; name?: string; message: string };
    text = JSON.stringify(`${e.type ?? e.name ?? 'Error'}: ${e.message}`);
  } else text = JSON.stringify(value) ?? String(value);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE)}…` : text;
}

/** Compact rendering of a JSON log line, or the line unchanged when it is not one. */
export function renderLine(line: string, colour: boolean): string {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{') || !trimmed.endsWith('}')) return line;
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(trimmed);
  } catch {
    return line;
  }
  if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) return line;
  const level = levelName(rec.level);
  const msg = typeof rec.msg === 'string' ? rec.msg : typeof rec.message === 'string' ? rec.message : '';
  const keys = [...KEY_FIELDS.filter((k) => k in rec), ...Object.keys(rec).filter((k) => !NOISE.has(k) && !KEY_FIELDS.includes(k))];
  const fields = keys.map((k) => `${dim(`${k}=`, colour)}${show(rec[k])}`).join(' ');
  const parts = [dim(clock(rec.time ?? rec.ts), colour), level ? paint(level.padEnd(5), LEVEL_COLOURS[level] ?? '', colour) : '', msg, fields];
  return parts.filter(Boolean).join(' ');
}

/** Splits a byte stream into lines and hands each complete line to `onLine`. */
export function lineSplitter(onLine: (line: string) => void): { push: (chunk: Buffer | string) => void; flush: () => void } {
  let rest = '';
  return {
    push(chunk) {
      rest += chunk.toString();
      let i: number;
      while ((i = rest.indexOf('\n')) >= 0) {
        onLine(rest.slice(0, i).replace(/\r$/, ''));
        rest = rest.slice(i + 1);
      }
    },
    flush() {
      if (rest) onLine(rest);
      rest = '';
    },
  };
}
