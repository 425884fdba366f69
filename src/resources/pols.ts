import { conflict, notFound, unprocessable } from '../errors.js';
import { parseJsonObject } from '../http/body.js';
import { json, noContent } from '../http/reply.js';
import type { Reply } from '../http/types.js';
import { withEvent } from '../events/outbox.js';
import { collection } from './collection.js';
import type { Ctx, RouteDef } from './types.js';
import { checkBodyId } from './validate.js';
import { personMustExist } from './lookups.js';

/** Pages of life: each person's Book of Life, ordered by page_date. */

const PAGE_JSON = `(COALESCE(data, '{}'::jsonb) || jsonb_build_object('id', id, 'book', book))::text`;
const DATE_KEY = `COALESCE(data ->> 'page_date', '')`;

const BOOK_SQL = `SELECT id AS k, ${PAGE_JSON} AS j FROM pols
  WHERE book = $1 AND ($2::varchar IS NULL
    OR (${DATE_KEY}, id) > (SELECT ${DATE_KEY}, id FROM pols WHERE id = $2))
  ORDER BY ${DATE_KEY}, id LIMIT $3`;


async function book(ctx: Ctx): Promise<Reply> {
  return collection(ctx, BOOK_SQL, [ctx.params.person], () => personMustExist(ctx));
}

async function get(ctx: Ctx): Promise<Reply> {
  const row = await ctx.svc.db.one<{ j: string }>('page_get', `SELECT ${PAGE_JSON} AS j FROM pols WHERE id = $2 AND book = $1`, [
    ctx.params.person,
    ctx.params.page,
  ]);
  if (!row) throw notFound('page of life');
  return json(200, row.j);
}

async function create(ctx: Ctx): Promise<Reply> {
  const { person, page } = ctx.params;
  const body = parseJsonObject(ctx.req.body);
  checkBodyId(body, page);
  if (body.book !== undefined && body.book !== person) throw unprocessable('book in the body differs from the person in the path');
  body.id = page;
  body.book = person;
  let row: { j: string } | null;
  try {
    const w = withEvent(ctx, {
      name: 'page_insert',
      text: `INSERT INTO pols (id, book, data) VALUES ($2, $1, $3::jsonb) ON CONFLICT (id) DO NOTHING RETURNING ${PAGE_JSON} AS j`,
      values: [person, page, JSON.stringify(body)],
    }, { resource: 'pols', op: 'create', id: page, person, path: `/pols/${person}/${page}` });
    row = await ctx.svc.db.one<{ j: string }>(w.name, w.text, w.values);
  } catch (err) {
    if ((err as { code?: string }).code === '23503') throw notFound('person');
    throw err;
  }
  if (!row) throw conflict(`page of life ${page} already exists`);
  return json(201, row.j, { Location: `/pols/${person}/${page}` });
}

async function update(ctx: Ctx): Promise<Reply> {
  const { person, page } = ctx.params;
  const patch = parseJsonObject(ctx.req.body);
  checkBodyId(patch, page);
  if (patch.book !== undefined && patch.book !== person) throw unprocessable('book cannot change');
  const w = withEvent(ctx, {
    name: 'page_update',
    text: `UPDATE pols SET data = COALESCE(data, '{}'::jsonb) || $3::jsonb WHERE id = $2 AND book = $1 RETURNING ${PAGE_JSON} AS j`,
    values: [person, page, JSON.stringify(patch)],
  }, { resource: 'pols', op: 'update', id: page, person, path: `/pols/${person}/${page}`, changed: patch });
  const row = await ctx.svc.db.one<{ j: string }>(w.name, w.text, w.values);
  if (!row) throw notFound('page of life');
  return json(200, row.j);
}

async function remove(ctx: Ctx): Promise<Reply> {
  const { person, page } = ctx.params;
  let count: number | null;
  try {
    const w = withEvent(ctx, { name: 'page_delete', text: 'DELETE FROM pols WHERE id = $2 AND book = $1 RETURNING id', values: [person, page] },
      { resource: 'pols', op: 'delete', id: page, person, path: `/pols/${person}/${page}` });
    count = (await ctx.svc.db.query(w.name, w.text, w.values)).rowCount;
  } catch (err) {
    if ((err as { code?: string }).code === '23503') throw conflict(`page of life ${page} still has documents`);
    throw err;
  }
  if (!count) throw notFound('page of life');
  return noContent();
}

export const routes: RouteDef[] = [
  { method: 'GET', path: '/pols/{person}', op: { endpoint: 'book', handler: book } },
  { method: 'GET', path: '/pols/{person}/{page}', op: { endpoint: 'page', handler: get } },
  { method: 'POST', path: '/pols/{person}/{page}', op: { endpoint: 'page', handler: create } },
  { method: 'PATCH', path: '/pols/{person}/{page}', op: { endpoint: 'page', handler: update } },
  { method: 'DELETE', path: '/pols/{person}/{page}', op: { endpoint: 'page', handler: remove } },
];
