import { httpError, HttpError } from '../errors.js';

/** PostgreSQL and driver errors carry a SQLSTATE `code`; this is the one place that maps them to HTTP. */
export interface PgLikeError {
  code?: string;
  message?: string;
  constraint?: string;
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH']);

export function isUnavailable(err: PgLikeError): boolean {
  const code = err.code ?? '';
  if (CONNECTION_CODES.has(code)) return true;
  // 08: connection exception, 57P0x: server shutting down / cannot connect now, 53: insufficient resources
  if (code.startsWith('08') || code.startsWith('57P') || code.startsWith('53') || code === '57014') return true;
  const msg = err.message ?? '';
  return /timeout exceeded when trying to connect|Connection terminated|Client has encountered a connection error|Query read timeout|connection timeout/i.test(msg);
}

/** Maps a database error to the HTTP error a client should see, or null when it is our bug (a 500). */
export function dbErrorToHttp(err: unknown): HttpError | null {
  if (err instanceof HttpError) return err;
  const e = err as PgLikeError;
  if (isUnavailable(e)) return httpError('DB_UNAVAILABLE', 'database unavailable, retry shortly', { 'Retry-After': '1' });
  const code = e.code ?? '';
  // Deadlock or serialisation failure: two writes crossed (e.g. deleting a person while adding a page for them); nothing was written.
  if (code === '40P01' || code === '40001') return httpError('DB_UNAVAILABLE', 'the write crossed a concurrent one and was not applied; retry', { 'Retry-After': '1' });
  if (code === '23505') return httpError('CONFLICT', 'record already exists');
  if (code === '23503') return httpError('CONFLICT', 'record is referenced by or refers to another record');
  // 22: data exception (e.g. \u0000 in jsonb), 54: program limit (e.g. nesting too deep)
  if (code.startsWith('22') || code.startsWith('54')) return httpError('UNPROCESSABLE', 'the database rejected the value: ' + (e.message ?? code));
  return null;
}
