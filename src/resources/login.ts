import { notFound } from '../errors.js';
import { json } from '../http/reply.js';
import type { Ctx, RouteDef } from './types.js';

/** The Federation Portal's login check: who am I. */
async function login(ctx: Ctx) {
  const row = await ctx.svc.db.one<{ j: string }>(
    'login',
    `SELECT jsonb_build_object('id', id, 'name', data -> 'name', 'lastname', data -> 'lastname',
       'roles', COALESCE(data -> 'roles', '[]'::jsonb))::text AS j FROM people WHERE id = $1`,
    [ctx.principal!.id],
  );
  if (!row) throw notFound('person');
  return json(200, row.j);
}

export const routes: RouteDef[] = [{ method: 'GET', path: '/login', op: { endpoint: 'login', owner: () => null, doc: { summary: 'Who am I (the Federation Portal\'s login check)', response: 'Login', statuses: [200, 404] }, handler: login } }];
