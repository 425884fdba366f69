import type { Db } from '../db/db.js';
import type { Logger } from '../log.js';

/**
 * Held shared by every audit batch insert until it commits (see audit-log.ts); taken
 * exclusively for an instant by the indexer, which then knows every batch number handed out
 * so far belongs to a finished transaction. (7424811-7424813: migrator and change feed.)
 */
export const AUDIT_WRITE_LOCK = 7424814;
/** One indexing transaction at a time, across workers and instances. */
const AUDIT_INDEX_LOCK = 7424815;
/** Batches per indexing transaction at most (about a million records): bounds its time. */
const CHUNK = 1000;
/** Statement timeout of an indexing transaction. */
const INDEX_TIMEOUT_MS = 120_000;

const DUE_SQL = `SELECT indexed_at < now() - make_interval(secs => $1::float8 / 1000) AS due FROM audit_index_state`;
const SETTLED_SQL = `SELECT (CASE WHEN is_called THEN last_value ELSE 0 END)::text AS h FROM audit_batch_batch_seq`;
const INDEX_SQL = `INSERT INTO audit_person (person, last_batch, batches)
  SELECT p, max(b.batch), array_agg(DISTINCT b.batch ORDER BY b.batch)
  FROM audit_batch b CROSS JOIN LATERAL unnest(b.persons) AS p
  WHERE b.batch > $1::bigint AND b.batch <= $2::bigint AND p IS NOT NULL
  GROUP BY p`;

/**
 * Builds the person index of the audit trail (audit_person) off the request path. Each round
 * takes every batch written since the last round, so a person read a thousand times in a
 * minute costs one index row, not a thousand; `GET /audit` scans the batches of the round
 * not yet indexed. Every worker runs one; the advisory lock and the round time in
 * audit_index_state let one of them work and the others skip.
 */
export class AuditIndexer {
  private _timer: NodeJS.Timeout | null = null;
  private _running: Promise<number> | null = null;

  constructor(
    private readonly _db: Db,
    private readonly _everyMs: number,
    private readonly _log: Logger,
  ) {}

  start(): void {
    if (this._timer || this._everyMs <= 0) return;
    // Ticks more often than rounds are due, so a round starts soon after it is due on any worker.
    this._timer = setInterval(() => void this.run(false).catch((err: unknown) => this._log.warn({ err: (err as Error).message }, 'audit index round failed; will retry')), Math.max(1000, this._everyMs / 4));
    this._timer.unref();
  }

  stop(): void {
    if (this._timer) clearInterval(this._timer);
    this._timer = null;
  }

  /** One round if due (or always, with force): returns the batches indexed. */
  run(force = true): Promise<number> {
    if (!this._running) this._running = this._round(force).finally(() => (this._running = null));
    return this._running;
  }

  private async _round(force: boolean): Promise<number> {
    const state = await this._db.one<{ due: boolean }>('audit_index_due', DUE_SQL, [this._everyMs]);
    if (!state || (!force && !state.due)) return 0;
    // The barrier: once the exclusive lock is granted, every insert that drew a batch number
    // has committed or rolled back, so no batch up to `settled` can appear later.
    const settled = await this._db.tx(async (q) => {
      await q.query('audit_write_barrier', `SELECT pg_advisory_xact_lock(${AUDIT_WRITE_LOCK})`);
      return BigInt((await q.one<{ h: string }>('audit_settled', SETTLED_SQL))?.h ?? '0');
    });
    let indexed = 0;
    for (;;) {
      const step = await this._db.tx(async (q) => {
        const lock = await q.one<{ ok: boolean }>('audit_index_lock', `SELECT pg_try_advisory_xact_lock(${AUDIT_INDEX_LOCK}) AS ok`);
        if (!lock?.ok) return 0n;
        const upto = BigInt((await q.one<{ upto: string }>('audit_index_upto', 'SELECT upto::text AS upto FROM audit_index_state'))?.upto ?? '0');
        if (upto >= settled) {
          await q.query('audit_index_touch', 'UPDATE audit_index_state SET indexed_at = now()');
          return 0n;
        }
        const hi = settled - upto > BigInt(CHUNK) ? upto + BigInt(CHUNK) : settled;
        await q.query('audit_index_insert', INDEX_SQL, [upto.toString(), hi.toString()]);
        await q.query('audit_index_advance', 'UPDATE audit_index_state SET upto = $1, indexed_at = now()', [hi.toString()]);
        return hi - upto;
      }, INDEX_TIMEOUT_MS);
      if (step === 0n) break;
      indexed += Number(step);
    }
    if (indexed) this._log.debug({ batches: indexed }, 'audit person index updated');
    return indexed;
  }
}
