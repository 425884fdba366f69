import type { Db } from '../db/db.js';
import type { Logger } from '../log.js';

/** One access to person-linked data. */
export interface AuditRecord {
  /** Milliseconds since the epoch: a number is cheaper to keep and to send than a Date. */
  at: number;
  actor: string | null;
  roles: readonly string[];
  method: string;
  endpoint: string;
  person: string | null;
  record: string | null;
  client: string;
  status: number;
}

/** Endpoints whose requests are audited: everything that reads or writes a person's data. */
export const AUDITED_ENDPOINTS: ReadonlySet<string> = new Set(['people', 'person', 'book', 'page', 'personal_docs', 'password', 'audit']);

const INSERT_SQL = `INSERT INTO audit (at, actor, actor_roles, method, endpoint, person, record, client, status)
  SELECT to_timestamp(t / 1000.0), a, r, m, e, p, rec, c, s
  FROM unnest($1::float8[], $2::varchar[], $3::jsonb[], $4::varchar[], $5::varchar[],
    $6::varchar[], $7::varchar[], $8::varchar[], $9::int[]) AS x(t, a, r, m, e, p, rec, c, s)`;

/** Records kept while the database refuses them; beyond this the oldest are dropped (and counted). */
const MAX_BACKLOG = 100000;

/**
 * The audit trail's writer, one per worker. record() only appends to an array; rows reach the
 * `audit` table in one multi-row INSERT every `flushMs` or as soon as `batchSize` are waiting,
 * so the request path never waits for it. The price: records of the last `flushMs` (plus one
 * INSERT in flight) are lost if the worker dies abruptly. A clean stop flushes everything.
 */
export class AuditLog {
  private _buf: AuditRecord[] = [];
  private _timer: NodeJS.Timeout | null = null;
  private _flushing: Promise<void> | null = null;
  private _dropped = 0;
  private _failing = false;

  constructor(
    private readonly _db: Db,
    private readonly _flushMs: number,
    private readonly _batchSize: number,
    private readonly _log: Logger,
  ) {}

  record(r: AuditRecord): void {
    this._buf.push(r);
    if (this._buf.length >= this._batchSize) this._kick();
    else if (!this._timer) {
      this._timer = setTimeout(() => this._kick(), this._flushMs);
      this._timer.unref();
    }
  }

  get pending(): number {
    return this._buf.length;
  }

  private _kick(): void {
    if (this._timer) clearTimeout(this._timer);
    this._timer = null;
    if (!this._flushing) void this.flush();
  }

  /** Writes everything waiting; resolves when the buffer is empty or the database refused. */
  async flush(): Promise<void> {
    if (this._flushing) return this._flushing;
    this._flushing = this._drain().finally(() => {
      this._flushing = null;
      if (this._buf.length && !this._timer) {
        // Failing: retry later rather than spin; otherwise records that came during the write.
        this._timer = setTimeout(() => this._kick(), this._failing ? Math.max(this._flushMs, 1000) : this._flushMs);
        this._timer.unref();
      }
    });
    return this._flushing;
  }

  private async _drain(): Promise<void> {
    while (this._buf.length) {
      const batch = this._buf.splice(0, this._batchSize);
      try {
        await this._db.query('audit_insert', INSERT_SQL, columns(batch));
        if (this._failing) this._log.info({ dropped: this._dropped }, 'audit trail writable again');
        this._failing = false;
      } catch (err) {
        this._buf = batch.concat(this._buf);
        const over = this._buf.length - MAX_BACKLOG;
        if (over > 0) {
          this._buf.splice(0, over);
          this._dropped += over;
        }
        if (!this._failing) this._log.error({ err: (err as Error).message, pending: this._buf.length }, 'cannot write the audit trail; keeping records and retrying');
        this._failing = true;
        return;
      }
    }
  }

  /** Final flush on shutdown. */
  async close(): Promise<void> {
    if (this._timer) clearTimeout(this._timer);
    this._timer = null;
    await this.flush();
    if (this._buf.length) this._log.error({ lost: this._buf.length }, 'audit records not written at shutdown');
  }
}

/**
 * The batch as nine PostgreSQL array literals, one per column. Built here rather than by pg's
 * generic array serialiser: the values are short IDs and constants that almost never need
 * escaping, and this runs for every audited request (2 µs a row down to a fraction).
 */
function columns(batch: AuditRecord[]): string[] {
  const cols: string[][] = [[], [], [], [], [], [], [], [], []];
  // A batch comes from a few callers whose roles arrays are shared: serialise each once.
  const rolesJson = new Map<readonly string[], string>();
  for (const r of batch) {
    let roles = rolesJson.get(r.roles);
    if (roles === undefined) rolesJson.set(r.roles, (roles = element(JSON.stringify(r.roles))));
    cols[0].push(String(r.at));
    cols[1].push(element(r.actor));
    cols[2].push(roles);
    cols[3].push(element(r.method));
    cols[4].push(element(r.endpoint));
    cols[5].push(element(r.person));
    cols[6].push(element(r.record));
    cols[7].push(element(r.client));
    cols[8].push(String(r.status));
  }
  return cols.map((c) => '{' + c.join(',') + '}');
}

/** One array element: NULL, or the string in double quotes with `"` and `\` escaped. */
export function element(v: string | null): string {
  if (v === null) return 'NULL';
  return v.includes('"') || v.includes('\\') ? '"' + v.replace(/["\\]/g, '\\$&') + '"' : '"' + v + '"';
}
