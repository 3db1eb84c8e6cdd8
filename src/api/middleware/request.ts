// Request plumbing: request id, content-type enforcement, and guards that reject JSON
// no handler should ever see — bodies in another charset than UTF-8, objects with a
// duplicated key (JSON.parse silently keeps the last one), NUL bytes, lone surrogates,
// prototype-pollution keys, absurd nesting — before any schema runs.
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import { AppError, type ProblemFieldError } from '../../infra/errors.ts';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Accepts a well-formed X-Request-Id (≤128 chars of [A-Za-z0-9._:-]) or generates one; echoed on every response. */
export function requestId(): RequestHandler {
  return (req, res, next) => {
    const given = req.get('x-request-id');
    const id = given && REQUEST_ID.test(given) ? given : randomUUID();
    res.locals.requestId = id;
    res.setHeader('X-Request-Id', id);
    next();
  };
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);
const hasBody = (headers: Record<string, string | string[] | undefined>) =>
  headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0');

/** A request that carries a body must say it is JSON (415 otherwise). Bodiless POSTs are fine. */
export function requireJson(): RequestHandler {
  return (req, _res, next) => {
    if (!BODY_METHODS.has(req.method) || !hasBody(req.headers)) return next();
    if (!req.is(['application/json', 'application/*+json'])) {
      return next(new AppError(415, 'unsupported_media_type', 'Send the request body as application/json.'));
    }
    next();
  };
}

/**
 * The dotted path of the first key that appears twice in one object of this JSON text, or
 * undefined. Keys are compared decoded ("a" and "\\u0061" are the same key). Text that is
 * not JSON is left to the parser to refuse.
 */
export function duplicateJsonKey(text: string): string | undefined {
  type Frame = { keys?: Set<string>; expectKey: boolean; path: string; key?: string; index: number };
  const stack: Frame[] = [];
  const join = (a: string, b: string) => (a ? `${a}.${b}` : b);
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    const top = stack[stack.length - 1];
    if (ch === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (top?.keys && top.expectKey) {
        let key: string;
        try {
          key = JSON.parse(text.slice(i, j + 1)) as string;
        } catch {
          return undefined;
        }
        if (top.keys.has(key)) return join(top.path, key);
        top.keys.add(key);
        top.key = key;
        top.expectKey = false;
      }
      i = j;
    } else if (ch === '{' || ch === '[') {
      const path = !top ? '' : top.keys ? join(top.path, top.key ?? '') : join(top.path, String(top.index));
      stack.push(ch === '{' ? { keys: new Set(), expectKey: true, path, index: 0 } : { expectKey: false, path, index: 0 });
    } else if (ch === '}' || ch === ']') {
      stack.pop();
    } else if (ch === ',' && top) {
      if (top.keys) top.expectKey = true;
      else top.index += 1;
    }
  }
  return undefined;
}

const UTF8 = new Set(['utf-8', 'utf8']);

/**
 * `verify` hook of express.json: runs on the raw bytes before parsing. The API speaks UTF-8
 * only (body-parser alone would also decode UTF-16/32), and a duplicated key would let the
 * last value win unseen (a second paymentMethod changed the card used).
 */
export function verifyJsonBody(_req: unknown, _res: unknown, buf: Buffer, encoding: string): void {
  if (!UTF8.has(encoding.toLowerCase())) {
    throw new AppError(415, 'unsupported_media_type', 'The request body charset is not supported; send UTF-8 JSON.');
  }
  const duplicate = duplicateJsonKey(buf.toString('utf8'));
  if (duplicate !== undefined) {
    throw new AppError(400, 'validation_failed', 'The request body repeats a key.', { errors: [{ path: duplicate, message: 'duplicate key', code: 'duplicate_key' }] });
  }
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_DEPTH = 32;
const MAX_NODES = 20_000;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const wellFormed = (s: string) => !LONE_SURROGATE.test(s);

/** Walks a parsed JSON value iteratively; returns the first problem found. */
export function unsafeJsonProblem(value: unknown): ProblemFieldError | undefined {
  const stack: { v: unknown; path: string; depth: number }[] = [{ v: value, path: '', depth: 0 }];
  let nodes = 0;
  while (stack.length) {
    const { v, path, depth } = stack.pop()!;
    if (++nodes > MAX_NODES) return { path, message: 'too many values in the request body', code: 'too_big' };
    if (depth > MAX_DEPTH) return { path, message: `nesting deeper than ${MAX_DEPTH} levels`, code: 'too_deep' };
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return { path, message: 'NUL characters are not allowed', code: 'invalid_string' };
      if (!wellFormed(v)) return { path, message: 'lone UTF-16 surrogates are not allowed', code: 'invalid_string' };
    } else if (v && typeof v === 'object') {
      const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.keys(v).map((k) => [k, (v as Record<string, unknown>)[k]] as const);
      for (const [k, child] of entries) {
        const childPath = path ? `${path}.${k}` : k;
        if (!Array.isArray(v)) {
          if (FORBIDDEN_KEYS.has(k)) return { path: childPath, message: `the key "${k}" is not allowed`, code: 'forbidden_key' };
          if (k.includes('\u0000') || !wellFormed(k)) return { path: [...childPath].map((c) => (c === '\u0000' || LONE_SURROGATE.test(c) ? '?' : c)).join(''), message: 'invalid characters in a key', code: 'invalid_string' };
        }
        stack.push({ v: child, path: childPath, depth: depth + 1 });
      }
    }
  }
  return undefined;
}

export function safeJsonBody(): RequestHandler {
  return (req, _res, next) => {
    if (req.body === undefined) return next();
    const problem = unsafeJsonProblem(req.body);
    if (problem) return next(new AppError(400, 'validation_failed', 'The request body contains values that are not allowed.', { errors: [problem] }));
    next();
  };
}
