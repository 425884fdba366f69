import type { Db } from '../db/db.js';
import type { Logger } from '../log.js';
import type { CredentialCache } from './cache.js';

const GAP_WATCH_MS = 30000;
const MAX_GAPS = 10000;

/**
 * Keeps the credential cache coherent with the database: a trigger appends every change of an
 * account's password, roles or active flag to `account_changes`, and each worker reads that
 * log every `pollMs`. The log, not a message, is the truth, so a change made on another
 * instance, by the CLI or by psql is seen too. If the log cannot be read the cache is dropped:
 * stale grants are worse than slow logins. Other holders of a past authentication (the change
 * feed's WebSocket subscriptions) hear of each changed account through onChange().
 */
export class CacheInvalidator {
  private _last = 0n;
  private _timer: NodeJS.Timeout | null = null;
  private _healthy = true;
  private _running: Promise<void> | null = null;
  /** Unseen sequence numbers below `_last` (transactions not yet committed, or rolled back). */
  private readonly _gaps = new Map<bigint, number>();
  private _again = false;
  private readonly _listeners: Array<(id: string) => void> = [];

  constructor(
    private readonly _db: Db,
    private readonly _cache: CredentialCache,
    private readonly _pollMs: number,
    private readonly _log: Logger,
  ) {}

  /** Calls `fn` with the (upper-case) ID of every account whose credentials or grants changed. */
  onChange(fn: (id: string) => void): void {
    this._listeners.push(fn);
  }

  /** Reads the log even with the cache off: subscriptions still need to hear of changes. */
  async start(): Promise<void> {
    const row = await this._db.one<{ seq: string }>('auth_changes_max', 'SELECT COALESCE(max(seq), 0)::text AS seq FROM account_changes');
    this._last = BigInt(row?.seq ?? '0');
    this._schedule();
  }

  private _schedule(): void {
    this._timer = setTimeout(() => void this.poll().finally(() => this._timer && this._schedule()), this._pollMs);
    this._timer.unref();
  }

  /** An immediate poll (a NOTIFY arrived); coalesces with one already running. */
  wake(): void {
    if (this._running) this._again = true;
    else void this.poll();
  }

  /** Reads new account changes and drops those accounts from the cache; never two at once. */
  async poll(): Promise<void> {
    if (this._running) {
      this._again = true;
      return this._running;
    }
    this._running = this._pollOnce().finally(() => {
      this._running = null;
      if (this._again) {
        this._again = false;
        void this.poll();
      }
    });
    return this._running;
  }

  private async _pollOnce(): Promise<void> {
    try {
      const now = Date.now();
      for (const [seq, until] of this._gaps) if (until < now) this._gaps.delete(seq);
      const r = await this._db.query<{ seq: string; id: string }>(
        'auth_changes_since',
        'SELECT seq::text AS seq, id FROM account_changes WHERE seq > $1 OR seq = ANY($2::bigint[]) ORDER BY seq LIMIT 1000',
        [this._last.toString(), [...this._gaps.keys()].map(String)],
      );
      for (const row of r.rows) {
        const seq = BigInt(row.seq);
        const id = row.id.toUpperCase();
        this._cache.invalidate(id);
        for (const fn of this._listeners) fn(id);
        if (this._gaps.delete(seq)) continue;
        // Sequence numbers are taken at insert but become visible at commit, so a lower one
        // can appear after a higher one: remember the holes and look at them again for a while.
        for (let g = this._last + 1n; g < seq && this._gaps.size < MAX_GAPS; g++) this._gaps.set(g, now + GAP_WATCH_MS);
        if (seq > this._last) this._last = seq;
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
