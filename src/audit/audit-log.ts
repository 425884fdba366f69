import type { Db } from '../db/db.js';
import type { Logger } from '../log.js';
import { AUDIT_WRITE_LOCK } from './audit-index.js';

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

/**
 * One row per batch (sql/014_audit_batches.sql): the persons array and one JSON line per record.
 * The shared lock, taken before the batch number is drawn and held to commit, is what lets the
 * indexer know when every batch up to a number is final (audit-index.ts).
 */
export const AUDIT_INSERT_SQL = `WITH w AS (SELECT pg_advisory_xact_lock_shared(${AUDIT_WRITE_LOCK}))
  INSERT INTO audit_batch (persons, entries) SELECT $1, $2 FROM w`;

/** Records per batch row at most: record k of batch b is numbered b * 1024 + k - 1. */
export const MAX_AUDIT_BATCH = 1024;

/** Records kept while the database refuses them; beyond this the oldest are dropped (and counted). */
const MAX_BACKLOG = 100000;

/**
 * The audit trail's writer, one per worker. record() only appends to an array; records reach
 * the database as one `audit_batch` row at most `flushMs` after the first of them arrived, or
 * as soon as `batchSize` are waiting, so the request path never waits for it. The price:
 * records of the last `flushMs` (plus one row in flight) are lost if the worker dies
 * abruptly. A clean stop flushes everything.
 */
export class AuditLog {
  private _buf: AuditRecord[] = [];
  private _timer: NodeJS.Timeout | null = null;
  private _flushing: Promise<void> | null = null;
  private _dropped = 0;
  private _failing = false;
  private _closing = false;
  private readonly _batchSize: number;

  constructor(
    private readonly _db: Db,
    private readonly _flushMs: number,
    batchSize: number,
    private readonly _log: Logger,
  ) {
    this._batchSize = Math.min(Math.max(1, batchSize), MAX_AUDIT_BATCH);
  }

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

  /**
   * Writes what is waiting as one batch, and more while full batches wait (everything, once
   * closing). Records that arrive during a write wait for their own timer rather than follow
   * at once: writing back to back would make rows of a few records each, and every row costs
   * a commit. Resolves when done or when the database refused.
   */
  async flush(): Promise<void> {
    if (this._flushing) return this._flushing;
    this._flushing = this._drain().finally(() => {
      this._flushing = null;
      if (this._buf.length && !this._timer && !this._closing) {
        // Failing: retry later rather than spin; otherwise the oldest waiting record's deadline.
        const wait = this._failing ? Math.max(this._flushMs, 1000) : Math.min(this._flushMs, Math.max(0, this._flushMs - (Date.now() - this._buf[0].at)));
        this._timer = setTimeout(() => this._kick(), wait);
        this._timer.unref();
      }
    });
    return this._flushing;
  }

  private async _drain(): Promise<void> {
    do {
      const batch = this._buf.splice(0, this._batchSize);
      try {
        await this._db.query('audit_insert', AUDIT_INSERT_SQL, batchRow(batch));
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
    } while (this._buf.length >= this._batchSize || (this._closing && this._buf.length));
  }

  /** Final flush on shutdown. */
  async close(): Promise<void> {
    if (this._timer) clearTimeout(this._timer);
    this._timer = null;
    this._closing = true;
    await this.flush();
    // A write in progress when close() came may have stopped before _closing was seen.
    if (this._buf.length && !this._failing) await this.flush();
    if (this._buf.length) this._log.error({ lost: this._buf.length }, 'audit records not written at shutdown');
  }
}

/**
 * The batch as its row: the persons as a PostgreSQL array literal and the records as JSON
 * lines. Built here rather than by pg's serialiser or JSON.stringify of objects: the values are
 * short IDs and constants that almost never need escaping, and this runs for every audited
 * request. PostgreSQL stores the lines without parsing them; they are parsed when read.
 */
function batchRow(batch: AuditRecord[]): [string, string] {
  const persons: string[] = [];
  const lines: string[] = [];
  // A batch comes from a few callers whose roles arrays are shared: serialise each once.
  const rolesJson = new Map<readonly string[], string>();
  for (const r of batch) {
    let roles = rolesJson.get(r.roles);
    if (roles === undefined) rolesJson.set(r.roles, (roles = JSON.stringify(r.roles)));
    persons.push(element(r.person));
    lines.push(`[${r.at},${json(r.actor)},${roles},${json(r.method)},${json(r.endpoint)},${json(r.record)},${json(r.client)},${r.status}]`);
  }
  return ['{' + persons.join(',') + '}', lines.join('\n')];
}

/** One array element: NULL, or the string in double quotes with `"` and `\` escaped. */
function element(v: string | null): string {
  if (v === null) return 'NULL';
  return v.includes('"') || v.includes('\\') ? '"' + v.replace(/["\\]/g, '\\$&') + '"' : '"' + v + '"';
}

// Characters JSON must escape, and UTF-16 surrogates (a lone one would be escaped as \udXXX,
// which PostgreSQL's JSON parser refuses): any of them takes the slow path.
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** A JSON string (or null); a lone surrogate becomes U+FFFD, as it would in any UTF-8 text. */
function json(v: string | null): string {
  if (v === null) return 'null';
  return NEEDS_ESCAPE.test(v) ? JSON.stringify(v.replace(LONE_SURROGATE, '\ufffd')) : '"' + v + '"';
}
