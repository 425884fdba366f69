/**
 * The error catalogue: every client-facing error has a stable code, a status and a readable
 * message. Handlers throw HttpError; the dispatcher turns it into `{"error": ..., "code": ...}`.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const ERROR_CODES = {
  BAD_REQUEST: 400,
  BAD_ID: 400,
  BAD_JSON: 400,
  BAD_QUERY: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  GONE: 410,
  PAYLOAD_TOO_LARGE: 413,
  UNPROCESSABLE: 422,
  UPGRADE_REQUIRED: 426,
  TOO_MANY_REQUESTS: 429,
  INTERNAL: 500,
  NOT_IMPLEMENTED: 501,
  DB_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export function httpError(code: ErrorCode, message: string, headers?: Record<string, string>): HttpError {
  return new HttpError(ERROR_CODES[code], code, message, headers);
}

export const notFound = (what: string): HttpError => httpError('NOT_FOUND', `${what} not found`);
export const unprocessable = (message: string): HttpError => httpError('UNPROCESSABLE', message);
export const conflict = (message: string): HttpError => httpError('CONFLICT', message);

export function errorBody(err: HttpError): string {
  return JSON.stringify({ error: err.message, code: err.code });
}
