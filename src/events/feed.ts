import type { Acl, Endpoint } from '../auth/acl.js';
import type { Principal } from '../auth/principal.js';
import type { Db } from '../db/db.js';

/** One event as read from the outbox: what filtering needs, and the JSON the client receives. */
export interface FeedRow {
  seq: number;
  resource: string;
  person: string | null;
  /** The event as JSON text, rendered by PostgreSQL. */
  j: string;
}

interface RawRow {
  [k: string]: unknown;
  seq: string;
  resource: string;
  person: string | null;
  j: string;
}

const EVENT_JSON = `row_to_json((SELECT e FROM (SELECT seq, resource, record_id AS id, person, op, actor, path, at, changed) e))::text`;

/** Events after `after`, up to `upto` when given, optionally only those about one person. */
const PAGE_SQL = `SELECT seq::text AS seq, resource, person, ${EVENT_JSON} AS j FROM events
  WHERE seq > $1 AND ($2::bigint IS NULL OR seq <= $2) AND ($3::varchar IS NULL OR person = $3)
  ORDER BY events.seq LIMIT $4`;

export async function readEvents(db: Db, after: number, upto: number | null, person: string | null, limit: number): Promise<FeedRow[]> {
  const r = await db.query<RawRow>('events_page', PAGE_SQL, [after, upto, person, limit]);
  return r.rows.map((row) => ({ seq: Number(row.seq), resource: row.resource, person: row.person, j: row.j }));
}

/** The REST endpoint that reads each kind of record: an event is visible when that GET would be allowed. */
const READ_ENDPOINT: Record<string, Endpoint> = {
  people: 'person',
  pols: 'page',
  personal_docs: 'personal_docs',
  'domiciliary-units': 'domiciliary_unit',
  institutions: 'institution',
};

export function canSee(acl: Acl, p: Principal, row: { resource: string; person: string | null }): boolean {
  const endpoint = READ_ENDPOINT[row.resource];
  return endpoint !== undefined && acl.allows(p, 'GET', endpoint, row.person);
}

/**
 * The person a subscriber is limited to, when none of its roles reads records globally: the
 * database then returns only that person's events instead of the whole feed to be filtered.
 */
export function ownOnly(acl: Acl, p: Principal): string | null {
  for (const endpoint of Object.values(READ_ENDPOINT)) if (acl.allowsGlobally(p, 'GET', endpoint)) return null;
  return p.id;
}

export interface Horizon {
  /** Every event at or below this sequence may have been pruned. */
  prunedThrough: number;
  /** Highest committed sequence, 0 when the feed is empty. */
  latest: number;
}

export async function readHorizon(db: Db): Promise<Horizon> {
  const row = await db.one<{ pruned: string | null; latest: string | null }>(
    'events_horizon',
    `SELECT (SELECT value FROM thalamus_meta WHERE key = 'events_pruned_through') AS pruned,
       (SELECT max(seq) FROM events)::text AS latest`,
  );
  return { prunedThrough: Number(row?.pruned ?? 0), latest: Number(row?.latest ?? 0) };
}

/**
 * Deletes a bounded batch of events older than the retention age and advances the pruned
 * horizon, in one transaction that only one process at a time may run (a transaction-level
 * advisory lock, so a dead worker never keeps it). Returns how many were deleted.
 */
export async function pruneEvents(db: Db, retentionMs: number, batch: number): Promise<number> {
  return db.tx(async (q) => {
    const lock = await q.one<{ ok: boolean }>('events_prune_lock', 'SELECT pg_try_advisory_xact_lock(7424813) AS ok');
    if (!lock?.ok) return 0;
    const r = await q.one<{ n: string; top: string | null }>(
      'events_prune',
      `WITH d AS (
         DELETE FROM events WHERE seq IN (
           SELECT seq FROM events WHERE at < now() - $1::bigint * interval '1 millisecond' ORDER BY seq LIMIT $2)
         RETURNING seq),
       m AS (SELECT count(*) AS n, max(seq) AS top FROM d),
       u AS (UPDATE thalamus_meta SET value = GREATEST(value::bigint, (SELECT top FROM m))::text
             WHERE key = 'events_pruned_through' AND (SELECT top FROM m) IS NOT NULL RETURNING 1)
       SELECT m.n::text AS n, m.top::text AS top FROM m LEFT JOIN u ON true`,
      [retentionMs, batch],
    );
    return Number(r?.n ?? 0);
  });
}
