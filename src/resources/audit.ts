import { httpError } from '../errors.js';
import type { Reply } from '../http/types.js';
import { collection } from './collection.js';
import type { Ctx, RouteDef } from './types.js';

const ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

// The batches that name the person, in order: from the person index (its first LIMIT + 1
// rounds after the cursor hold enough) and from the batches not indexed yet, at most LIMIT + 1
// of them, since each holds at least one of the person's records and the first may hold only
// older ones; then the person's records within them. Only those lines are parsed.
// Layout: sql/014_audit_batches.sql.
const LIST_SQL = `SELECT (b.batch * 1024 + u.k - 1)::text AS k,
    jsonb_build_object('seq', b.batch * 1024 + u.k - 1, 'at', to_timestamp((x.e ->> 0)::float8 / 1000),
      'actor', x.e -> 1, 'roles', x.e -> 2, 'method', x.e -> 3, 'endpoint', x.e -> 4, 'person', u.p,
      'record', x.e -> 5, 'client', x.e -> 6, 'status', x.e -> 7)::text AS j
  FROM (SELECT batch, persons, entries FROM audit_batch
        WHERE batch IN (
            SELECT unnest(r.batches) FROM (
              SELECT batches FROM audit_person
              WHERE person = $1 AND last_batch >= coalesce($2::text::bigint / 1024, 0)
              ORDER BY last_batch LIMIT $3::int + 1) r
            UNION ALL
            SELECT t.batch FROM audit_batch t
            WHERE t.batch > (SELECT upto FROM audit_index_state) AND t.persons @> ARRAY[$1::text])
          AND batch >= coalesce($2::text::bigint / 1024, 0)
        ORDER BY batch LIMIT $3::int + 1) b
  CROSS JOIN LATERAL unnest(b.persons) WITH ORDINALITY AS u(p, k)
  CROSS JOIN LATERAL (SELECT split_part(b.entries, E'\\n', u.k::int)::jsonb AS e OFFSET 0) x
  WHERE u.p = $1 AND ($2::text IS NULL OR b.batch * 1024 + u.k - 1 > $2::text::bigint)
  ORDER BY b.batch, u.k LIMIT $3`;

/** The `?person=` of the query, upper-cased like every federation ID; the ACL's owner too. */
function person(ctx: Ctx): string | null {
  const p = ctx.query.get('person');
  return p === null ? null : p.toUpperCase();
}

/** Who read or changed a person's records, oldest first, paged by `seq`. */
async function list(ctx: Ctx): Promise<Reply> {
  const p = person(ctx);
  if (p === null || !ID_RE.test(p)) throw httpError('BAD_QUERY', 'person=<federation ID> is required');
  const after = ctx.query.get('after');
  if (after !== null && !/^\d{1,18}$/.test(after)) throw httpError('BAD_QUERY', 'after must be the seq of an audit record');
  return collection(ctx, LIST_SQL, [p]);
}

export const routes: RouteDef[] = [
  // owner '' when person= is missing: a non-global role is refused rather than waved through.
  { method: 'GET', path: '/audit', op: { endpoint: 'audit', owner: (ctx) => person(ctx) ?? '', handler: list } },
];
