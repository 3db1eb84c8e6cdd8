// Domain and HTTP errors. Services throw these; the API's single error handler maps
// them to RFC 9457 problem details. `code` is the stable snake_case contract value.

export interface ProblemFieldError {
  path: string;
  message: string;
  code?: string;
}

export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  readonly errors?: ProblemFieldError[];
  readonly headers?: Record<string, string>;
  constructor(status: number, code: string, message: string, opts: { errors?: ProblemFieldError[]; headers?: Record<string, string>; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'AppError';
    this.status = status;
    this.code = code;
    this.errors = opts.errors;
    this.headers = opts.headers;
  }
}

export const notFound = (what = 'resource') => new AppError(404, 'not_found', `The ${what} does not exist.`);
export const conflict = (code: string, message: string) => new AppError(409, code, message);
export const unprocessable = (code: string, message: string, errors?: ProblemFieldError[]) => new AppError(422, code, message, { errors });
export const badRequest = (code: string, message: string, errors?: ProblemFieldError[]) => new AppError(400, code, message, { errors });
