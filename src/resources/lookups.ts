import { notFound } from '../errors.js';
import type { Ctx } from './types.js';

/** 404 unless the `{person}` of the path exists (for empty books and document lists, forms). */
export async function personMustExist(ctx: Ctx): Promise<void> {
  const row = await ctx.svc.db.one('person_exists', 'SELECT 1 AS one FROM people WHERE id = $1', [ctx.params.person]);
  if (!row) throw notFound('person');
}
