// The API's single error handler: every error becomes an RFC 9457 problem details
// response (application/problem+json) with a stable `code`. Bad input is never a 5xx and
// no response ever carries a stack trace.
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import * as z from 'zod';
import { AppError, type ProblemFieldError } from '../../infra/errors.ts';
import type { Logger } from '../../infra/logger.ts';
import { activeTraceId } from '../../infra/tracing.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const TYPE_BASE = 'https://checkout.example/problems/';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export function sendProblem(req: Request, res: Response, err: AppError): void {
  if (res.headersSent) return;
  // With tracing on: the trace of this request, to find it in the tracing backend.
  const traceId = activeTraceId();
  for (const [k, v] of Object.entries(err.headers ?? {})) res.setHeader(k, v);
  res.status(err.status);
  res.type(PROBLEM_CONTENT_TYPE);
  res.send(
    JSON.stringify({
      type: `${TYPE_BASE}${err.code}`,
      title: TITLES[err.status] ?? 'Error',
      status: err.status,
      detail: err.message,
      code: err.code,
      instance: req.originalUrl.slice(0, 512),
      requestId: res.locals.requestId,
      ...(traceId ? { traceId } : {}),
      ...(err.errors?.length ? { errors: err.errors } : {}),
    }),
  );
}

/** zod issues → problem `errors[]` (path in dotted form, e.g. `items.0.quantity`). */
export function zodFieldErrors(error: z.ZodError, prefix = ''): ProblemFieldError[] {
  return error.issues.slice(0, 50).map((i) => {
    const keys = i.code === 'unrecognized_keys' ? (i as { keys?: string[] }).keys : undefined;
    const path = [prefix, ...i.path.map(String)].filter(Boolean).join('.');
    return {
      path: keys?.length ? [path, keys[0]].filter(Boolean).join('.') : path,
      message: (keys?.length ? `unknown field(s): ${keys.slice(0, 5).join(', ')}` : i.message).slice(0, 300),
      code: i.code,
    };
  });
}

/** Parses with a zod schema; a failure is a 400 `validation_failed` listing every issue. */
export function parseOr400<T extends z.ZodType>(schema: T, value: unknown, where: 'body' | 'query' | 'params' | 'headers'): z.output<T> {
  const r = schema.safeParse(value ?? (where === 'body' ? undefined : {}));
  if (r.success) return r.data;
  throw new AppError(400, 'validation_failed', `The request ${where === 'body' ? 'body' : where} is not valid.`, { errors: zodFieldErrors(r.error, where === 'body' ? '' : where) });
}

type HttpishError = Error & { status?: number; statusCode?: number; type?: string; expose?: boolean };

/** Maps anything thrown to an AppError. Unknown errors become a generic 500. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof z.ZodError) return new AppError(400, 'validation_failed', 'The request is not valid.', { errors: zodFieldErrors(err) });
  const e = err as HttpishError;
  const status = e?.status ?? e?.statusCode;
  // body-parser / raw-body / http-errors
  switch (e?.type) {
    case 'entity.parse.failed':
      return new AppError(400, 'malformed_json', 'The request body is not valid JSON.');
    case 'entity.too.large':
      return new AppError(413, 'payload_too_large', 'The request body is too large.');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError(415, 'unsupported_media_type', 'The request body encoding or charset is not supported; send UTF-8 JSON.');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
    case 'stream.not.readable':
      return new AppError(400, 'bad_request', 'The request body could not be read.');
    default:
      break;
  }
  if (e instanceof URIError) return new AppError(400, 'bad_request', 'The request URL is not valid.');
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new AppError(status, status === 404 ? 'not_found' : 'bad_request', e.expose && e.message ? e.message : TITLES[status] ?? 'Bad request');
  }
  return new AppError(500, 'internal_error', 'Something went wrong on our side. The error has been logged; please retry later.', { cause: err });
}

export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const problem = toAppError(err);
    if (problem.status >= 500) {
      (req.log ?? log).error({ err, requestId: res.locals.requestId }, 'request failed');
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    sendProblem(req, res, problem);
  };
}

/** 405 for a known path with another method (Allow lists the methods), else 404. */
export function notFoundHandler(allowedMethods: (path: string) => string[]): RequestHandler {
  return (req, res) => {
    const allowed = allowedMethods(req.path);
    if (allowed.length) {
      const allow = [...new Set([...allowed, ...(allowed.includes('GET') ? ['HEAD'] : [])])].sort().join(', ');
      sendProblem(req, res, new AppError(405, 'method_not_allowed', `${req.method} is not allowed here. Allowed: ${allow}.`, { headers: { Allow: allow } }));
      return;
    }
    sendProblem(req, res, new AppError(404, 'not_found', 'No such resource.'));
  };
}
