import type { Db } from '../db/db.js';
import { httpError, type HttpError } from '../errors.js';

export interface ThrottleOptions {
  accountFailures: number;
  addressFailures: number;
  windowMs: number;
}

/** What the throttle table says about one login attempt before its password is checked. */
export interface ThrottleState {
  /** Milliseconds until the account or the address may try again; 0 when not locked. */
  waitMs: number;
  /** The account has failures on record (so a success must clear them). */
  accountFailures: boolean;
}

const CHECK_SQL = `SELECT key, failures,
  GREATEST(0, ceil(extract(epoch FROM blocked_until - now()) * 1000))::float8 AS wait_ms
  FROM auth_throttle WHERE key IN ($1, $2)`;

// One statement counts the failure for both keys. A window that has run out starts again at
// 1; the failure that reaches a key's limit locks it for one window.
const FAIL_SQL = `INSERT INTO auth_throttle AS t (key, failures, window_start, max_failures, blocked_until)
  SELECT k, 1, now(), m, CASE WHEN m <= 1 THEN now() + make_interval(secs => $5::float8 / 1000) END
  FROM (VALUES ($1::varchar, $2::int), ($3::varchar, $4::int)) AS v(k, m) WHERE m > 0
  ON CONFLICT (key) DO UPDATE SET
    failures = CASE WHEN t.window_start <= now() - make_interval(secs => $5::float8 / 1000) THEN 1 ELSE t.failures + 1 END,
    window_start = CASE WHEN t.window_start <= now() - make_interval(secs => $5::float8 / 1000) THEN now() ELSE t.window_start END,
    max_failures = EXCLUDED.max_failures,
    blocked_until = CASE
      WHEN (CASE WHEN t.window_start <= now() - make_interval(secs => $5::float8 / 1000) THEN 1 ELSE t.failures + 1 END) >= EXCLUDED.max_failures
      THEN now() + make_interval(secs => $5::float8 / 1000) ELSE t.blocked_until END
  RETURNING key, failures, max_failures`;

// A lock drops the account from every worker's credential cache, so even a password proven
// before the attack is refused until the lock ends.
const LOCKED_SQL = `WITH c AS (INSERT INTO account_changes (id) VALUES ($1) RETURNING id)
  SELECT pg_notify('thalamus_account', id) FROM c`;

const SWEEP_PROBABILITY = 0.01;
const SWEEP_SQL = `DELETE FROM auth_throttle WHERE window_start < now() - make_interval(secs => $1::float8 / 1000)
  AND (blocked_until IS NULL OR blocked_until < now())`;

/**
 * Failed-login counting in PostgreSQL, so every worker of every instance shares one count:
 * per account and per client address, within a sliding-from-first-failure window. Only logins
 * that miss the credential cache consult it, so the cached path does no extra database work.
 */
export class Throttle {
  constructor(
    private readonly _db: Db,
    private readonly _opts: ThrottleOptions,
  ) {}

  get enabled(): boolean {
    return this._opts.accountFailures > 0 || this._opts.addressFailures > 0;
  }

  async check(account: string, client: string): Promise<ThrottleState> {
    const r = await this._db.query<{ key: string; failures: number; wait_ms: number }>('throttle_check', CHECK_SQL, ['a:' + account, 'c:' + client]);
    let waitMs = 0;
    let accountFailures = false;
    for (const row of r.rows) {
      const isAccount = row.key.startsWith('a:');
      const limit = isAccount ? this._opts.accountFailures : this._opts.addressFailures;
      if (limit > 0 && row.wait_ms > waitMs) waitMs = row.wait_ms;
      if (isAccount && row.failures > 0) accountFailures = true;
    }
    return { waitMs, accountFailures };
  }

  async failed(account: string, client: string): Promise<void> {
    const r = await this._db.query<{ key: string; failures: number; max_failures: number }>('throttle_fail', FAIL_SQL, [
      'a:' + account,
      this._opts.accountFailures,
      'c:' + client,
      this._opts.addressFailures,
      this._opts.windowMs,
    ]);
    const acct = r.rows.find((row) => row.key.startsWith('a:'));
    if (acct && acct.failures === acct.max_failures) await this._db.query('throttle_locked', LOCKED_SQL, [account]);
    // Guessing at random IDs leaves one row per ID: now and then, sweep the ones that expired.
    if (Math.random() < SWEEP_PROBABILITY) await this._db.query('throttle_sweep', SWEEP_SQL, [this._opts.windowMs]);
  }

  /** A success ends the account's run of failures (the address keeps its count). */
  async succeeded(account: string): Promise<void> {
    await this._db.query('throttle_reset', 'DELETE FROM auth_throttle WHERE key = $1', ['a:' + account]);
  }
}

export function tooManyAttempts(waitMs: number): HttpError {
  const s = Math.max(1, Math.ceil(waitMs / 1000));
  return httpError('TOO_MANY_REQUESTS', `too many failed logins; try again in ${s} s`, { 'Retry-After': String(s) });
}
