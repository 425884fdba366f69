import type { Endpoint } from '../auth/acl.js';
import { conflict, notFound } from '../errors.js';
import { parseJsonObject } from '../http/body.js';
import { json, noContent } from '../http/reply.js';
import type { Reply } from '../http/types.js';
import { withEvent, type Change, type EventOp, type EventResource } from '../events/outbox.js';
import { collection } from './collection.js';
import type { Ctx, RouteDef } from './types.js';
import { checkBodyId } from './validate.js';

interface RecordResource {
  /** URL prefix, e.g. `/domiciliary-units`. */
  path: string;
  table: 'dus' | 'institutions';
  /** Name of the collection in feed events (the URL's). */
  resource: EventResource;
  what: string;
  collectionEndpoint: Endpoint;
  itemEndpoint: Endpoint;
}

/**
 * Plain JSONB records with no owner (domiciliary units, institutions): a collection and
 * GET/POST/PATCH/DELETE of one record, with the same rules as pages of life.
 */
export function recordRoutes(r: RecordResource): RouteDef[] {
  // Table names come from the closed union above, never from a request.
  const RECORD_JSON = `(COALESCE(data, '{}'::jsonb) || jsonb_build_object('id', id))::text`;
  const q = {
    list: `SELECT id AS k, ${RECORD_JSON} AS j FROM ${r.table} WHERE ($1::varchar IS NULL OR id > $1) ORDER BY id LIMIT $2`,
    get: `SELECT ${RECORD_JSON} AS j FROM ${r.table} WHERE id = $1`,
    insert: `INSERT INTO ${r.table} (id, data) VALUES ($1, $2::jsonb) ON CONFLICT (id) DO NOTHING RETURNING ${RECORD_JSON} AS j`,
    update: `UPDATE ${r.table} SET data = COALESCE(data, '{}'::jsonb) || $2::jsonb WHERE id = $1 RETURNING ${RECORD_JSON} AS j`,
    remove: `DELETE FROM ${r.table} WHERE id = $1 RETURNING id`,
  };
  const itemPath = `${r.path}/{id}`;
  const ev = (id: string, op: EventOp, changed?: Record<string, unknown>): Change =>
    ({ resource: r.resource, op, id, person: null, path: `${r.path}/${id}`, changed });

  const list = (ctx: Ctx): Promise<Reply> => collection(ctx, q.list, []);
  const get = async (ctx: Ctx): Promise<Reply> => {
    const row = await ctx.svc.db.one<{ j: string }>(`${r.table}_get`, q.get, [ctx.params.id]);
    if (!row) throw notFound(r.what);
    return json(200, row.j);
  };
  const create = async (ctx: Ctx): Promise<Reply> => {
    const id = ctx.params.id;
    const body = parseJsonObject(ctx.req.body);
    checkBodyId(body, id);
    body.id = id;
    const w = withEvent(ctx, { name: `${r.table}_insert`, text: q.insert, values: [id, JSON.stringify(body)] }, ev(id, 'create'));
    const row = await ctx.svc.db.one<{ j: string }>(w.name, w.text, w.values);
    if (!row) throw conflict(`${r.what} ${id} already exists`);
    return json(201, row.j, { Location: `${r.path}/${id}` });
  };
  const update = async (ctx: Ctx): Promise<Reply> => {
    const patch = parseJsonObject(ctx.req.body);
    checkBodyId(patch, ctx.params.id);
    const w = withEvent(ctx, { name: `${r.table}_update`, text: q.update, values: [ctx.params.id, JSON.stringify(patch)] }, ev(ctx.params.id, 'update', patch));
    const row = await ctx.svc.db.one<{ j: string }>(w.name, w.text, w.values);
    if (!row) throw notFound(r.what);
    return json(200, row.j);
  };
  const remove = async (ctx: Ctx): Promise<Reply> => {
    const w = withEvent(ctx, { name: `${r.table}_delete`, text: q.remove, values: [ctx.params.id] }, ev(ctx.params.id, 'delete'));
    const res = await ctx.svc.db.query(w.name, w.text, w.values);
    if (!res.rowCount) throw notFound(r.what);
    return noContent();
  };

  return [
    { method: 'GET', path: r.path, op: { endpoint: r.collectionEndpoint, handler: list } },
    { method: 'GET', path: itemPath, op: { endpoint: r.itemEndpoint, handler: get } },
    { method: 'POST', path: itemPath, op: { endpoint: r.itemEndpoint, handler: create } },
    { method: 'PATCH', path: itemPath, op: { endpoint: r.itemEndpoint, handler: update } },
    { method: 'DELETE', path: itemPath, op: { endpoint: r.itemEndpoint, handler: remove } },
  ];
}

export const domiciliaryUnitRoutes = recordRoutes({
  path: '/domiciliary-units',
  table: 'dus',
  resource: 'domiciliary-units',
  what: 'domiciliary unit',
  collectionEndpoint: 'domiciliary_units',
  itemEndpoint: 'domiciliary_unit',
});

export const institutionRoutes = recordRoutes({
  path: '/institutions',
  table: 'institutions',
  resource: 'institutions',
  what: 'institution',
  collectionEndpoint: 'institutions',
  itemEndpoint: 'institution',
});
