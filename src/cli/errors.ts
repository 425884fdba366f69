/** CLI failures carry an exit code, so scripts can tell them apart (docs/operator.md lists them). */
export const EXIT = {
  OK: 0,
  FAILED: 1,
  USAGE: 2,
  CONNECT: 3,
  SOURCE: 4,
  EXISTS: 5,
  NOT_FOUND: 6,
} as const;

export class CliError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

export const usage = (message: string): CliError => new CliError(EXIT.USAGE, message);

/** A PostgreSQL URL, checked before anything connects: a typo gets a clear message, not a stack. */
export function checkDbUrl(raw: string | undefined, what: string): string {
  if (!raw) throw usage(`${what} is not set: give a PostgreSQL URL, e.g. postgresql://thalamus@localhost/federation`);
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw usage(`${what} is not a URL: expected postgresql://user@host[:port]/database`);
  }
  if (u.protocol !== 'postgresql:' && u.protocol !== 'postgres:') {
    throw usage(`${what} must start with postgresql:// (got ${u.protocol}//)`);
  }
  return raw;
}

/** Turns a connection failure into a message an operator can act on. */
export function connectError(err: unknown, label: string): CliError {
  const e = err as { code?: string; message?: string };
  const why: Record<string, string> = {
    ECONNREFUSED: 'connection refused: is PostgreSQL running there?',
    ENOTFOUND: 'host not found',
    ETIMEDOUT: 'connection timed out',
    '3D000': 'the database does not exist',
    '28P01': 'password authentication failed',
    '28000': 'the server refused this user',
  };
  return new CliError(EXIT.CONNECT, `cannot connect to ${label}: ${(e.code && why[e.code]) ?? e.message ?? String(err)}`);
}
