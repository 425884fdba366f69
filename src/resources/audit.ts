import { httpError } from '../errors.js';
import type { Reply } from '../http/types.js';
import { collection } from './collection.js';
import type { Ctx, RouteDef } from './types.js';

const ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

const LIST_SQL = `SELECT seq::text AS k, jsonb_build_object('seq', seq, 'at', at, 'actor', actor, 'roles', actor_roles,
    'method', method, 'endpoint', endpoint, 'person', person, 'record', record, 'client', client, 'status', status)::text AS j
  FROM audit WHERE person = $1 AND ($2::text IS NULL OR seq > $2::text::bigint) ORDER BY seq LIMIT $3`;

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
