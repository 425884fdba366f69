import type { Db } from '../db/db.js';
import type { Logger } from '../log.js';
import type { CredentialCache } from './cache.js';

/**
 * Keeps the credential cache coherent with the database: a trigger appends every change of an
 * account's password, roles or active flag to `account_changes`, and each worker reads that
 * log every `pollMs`. The log, not a message, is the truth, so a change made on another
 * instance, by the CLI or by psql is seen too. If the log cannot be read the cache is dropped:
 * stale grants are worse than slow logins.
 */
export class CacheInvalidator {
  private _last = 0n;
  private _timer: NodeJS.Timeout | null = null;
  private _healthy = true;

  constructor(
    private readonly _db: Db,
    private readonly _cache: CredentialCache,
    private readonly _pollMs: number,
    private readonly _log: Logger,
  ) {}

  async start(): Promise<void> {
    if (!this._cache.enabled) return;
    const row = await this._db.one<{ seq: string }>('auth_changes_max', 'SELECT COALESCE(max(seq), 0)::text AS seq FROM account_changes');
    this._last = BigInt(row?.seq ?? '0');
    this._schedule();
  }

  private _schedule(): void {
    this._timer = setTimeout(() => void this.poll().finally(() => this._timer && this._schedule()), this._pollMs);
    this._timer.unref();
  }

  /** Reads new account changes and drops those accounts from the cache. */
  async poll(): Promise<void> {
    try {
      const r = await this._db.query<{ seq: string; id: string }>(
        'auth_changes_since',
        'SELECT seq::text AS seq, id FROM account_changes WHERE seq > $1 ORDER BY seq LIMIT 1000',
        [this._last.toString()],
      );
      for (const row of r.rows) {
        this._cache.invalidate(row.id.toUpperCase());
        this._last = BigInt(row.seq);
      }
      if (!this._healthy) this._log.info('account change log readable again');
      this._healthy = true;
    } catch (err) {
      if (this._healthy) this._log.warn({ err: (err as Error).message }, 'cannot read account change log; credential cache dropped');
      this._healthy = false;
      this._cache.clear();
    }
  }

  stop(): void {
    if (this._timer) clearTimeout(this._timer);
    this._timer = null;
  }
}
