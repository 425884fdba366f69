import { conflict, httpError, notFound } from '../errors.js';
import { parseJsonObject } from '../http/body.js';
import { json, noContent } from '../http/reply.js';
import type { Reply } from '../http/types.js';
import { withEvent } from '../events/outbox.js';
import { collection } from './collection.js';
import type { Ctx, RouteDef } from './types.js';
import { checkActive, checkBodyId, checkRoles, storedPassword } from './validate.js';

/** A person as clients see it: the stored JSON without the password hash, `id` from the key. */
export const PERSON_JSON = `(CASE WHEN data ? 'id' THEN data - 'password' ELSE (data - 'password') || jsonb_build_object('id', id) END)::text`;

const LIST_SQL = `SELECT id AS k, ${PERSON_JSON} AS j FROM people
  WHERE ($1::varchar IS NULL OR id > $1) ORDER BY id LIMIT $2`;

async function list(ctx: Ctx): Promise<Reply> {
  return collection(ctx, LIST_SQL, []);
}

async function get(ctx: Ctx): Promise<Reply> {
  const row = await ctx.svc.db.one<{ j: string }>('person_get', `SELECT ${PERSON_JSON} AS j FROM people WHERE id = $1`, [ctx.params.person]);
  if (!row) throw notFound('person');
  return json(200, row.j);
}

/** Type checks and the stored password, for POST and PATCH alike. */
async function prepare(ctx: Ctx, body: Record<string, unknown>): Promise<void> {
  if (body.roles !== undefined) checkRoles(body.roles);
  if (body.active !== undefined) checkActive(body.active);
  if (body.password !== undefined) body.password = await storedPassword(body.password, (p) => ctx.svc.auth.hasher.hash(p));
}

async function create(ctx: Ctx): Promise<Reply> {
  const id = ctx.params.person;
  const body = parseJsonObject(ctx.req.body);
  checkBodyId(body, id, (s) => s.toUpperCase());
  const admin = ctx.svc.acl.isAdmin(ctx.principal!);
  if (body.roles !== undefined) {
    const roles = checkRoles(body.roles);
    if (!admin && !(roles.length === 1 && roles[0] === 'end_user')) {
      throw httpError('FORBIDDEN', 'only an admin role may create an account with roles other than ["end_user"]');
    }
  }
  if (body.active === false && !admin) throw httpError('FORBIDDEN', 'only an admin role may create an inactive account');
  await prepare(ctx, body);
  body.id = id;
  body.roles ??= ['end_user'];
  body.active ??= true;
  const w = withEvent(ctx, {
    name: 'person_insert',
    text: `INSERT INTO people (id, data) VALUES ($1, $2::jsonb) ON CONFLICT (id) DO NOTHING RETURNING ${PERSON_JSON} AS j`,
    values: [id, JSON.stringify(body)],
  }, { resource: 'people', op: 'create', id, person: id, path: `/people/${id}` });
  const row = await ctx.svc.db.one<{ j: string }>(w.name, w.text, w.values);
  if (!row) throw conflict(`person ${id} already exists`);
  return json(201, row.j, { Location: `/people/${id}` });
}

async function update(ctx: Ctx): Promise<Reply> {
  const id = ctx.params.person;
  const p = ctx.principal!;
  const patch = parseJsonObject(ctx.req.body);
  checkBodyId(patch, id, (s) => s.toUpperCase());
  await prepare(ctx, patch);
  const guarded = patch.roles !== undefined || patch.active !== undefined;
  const text = JSON.stringify(patch);
  const row = await ctx.svc.db.tx(async (q) => {
    if (guarded && !ctx.svc.acl.isAdmin(p)) {
      // Only an admin changes roles, or another account's active flag; resending the same value is fine.
      const cur = await q.one<{ roles: string | null; active: string | null }>(
        'person_guard',
        `SELECT (data -> 'roles')::text AS roles, (data -> 'active')::text AS active FROM people WHERE id = $1 FOR UPDATE`,
        [id],
      );
      if (!cur) throw notFound('person');
      if (patch.roles !== undefined && !sameJson(cur.roles, patch.roles)) {
        throw httpError('FORBIDDEN', 'only an admin role may change roles');
      }
      if (patch.active !== undefined && id !== p.id && !sameJson(cur.active ?? 'true', patch.active)) {
        throw httpError('FORBIDDEN', "only an admin role may change another account's active flag");
      }
    }
    const w = withEvent(ctx, {
      name: 'person_update',
      text: `UPDATE people SET data = COALESCE(data, '{}'::jsonb) || $2::jsonb WHERE id = $1 RETURNING ${PERSON_JSON} AS j`,
      values: [id, text],
    }, { resource: 'people', op: 'update', id, person: id, path: `/people/${id}`, changed: patch });
    return q.one<{ j: string }>(w.name, w.text, w.values);
  });
  if (!row) throw notFound('person');
  return json(200, row.j);
}

function sameJson(storedText: string | null, value: unknown): boolean {
  if (storedText === null) return false;
  try {
    return JSON.stringify(JSON.parse(storedText)) === JSON.stringify(value);
  } catch {
    return false;
  }
}

async function remove(ctx: Ctx): Promise<Reply> {
  const id = ctx.params.person;
  return ctx.svc.db.tx(async (q) => {
    const cur = await q.one<{ active: boolean; pols: boolean; docs: boolean }>(
      'person_delete_check',
      `SELECT COALESCE(data -> 'active', 'true'::jsonb) <> 'false'::jsonb AS active,
         EXISTS (SELECT 1 FROM pols WHERE book = $1) AS pols,
         EXISTS (SELECT 1 FROM personal_docs WHERE fedacct = $1) AS docs
       FROM people WHERE id = $1 FOR UPDATE`,
      [id],
    );
    if (!cur) throw notFound('person');
    if (cur.active) throw conflict(`person ${id} is active; deactivate it (PATCH {"active": false}) before deleting`);
    if (cur.pols || cur.docs) throw conflict(`person ${id} still has pages of life or documents`);
    const w = withEvent(ctx, { name: 'person_delete', text: 'DELETE FROM people WHERE id = $1 RETURNING id', values: [id] },
      { resource: 'people', op: 'delete', id, person: id, path: `/people/${id}` });
    await q.query(w.name, w.text, w.values);
    return noContent();
  });
}

export const routes: RouteDef[] = [
  { method: 'GET', path: '/people', op: { endpoint: 'people', handler: list } },
  { method: 'GET', path: '/people/{person}', op: { endpoint: 'person', handler: get } },
  { method: 'POST', path: '/people/{person}', op: { endpoint: 'person', handler: create } },
  { method: 'PATCH', path: '/people/{person}', op: { endpoint: 'person', handler: update } },
  { method: 'DELETE', path: '/people/{person}', op: { endpoint: 'person', handler: remove } },
];

