import { createHmac, timingSafeEqual } from 'node:crypto';
import { notFound, unprocessable } from '../errors.js';
import { decodeUtf8, parseJsonObject } from '../http/body.js';
import { html, noContent } from '../http/reply.js';
import type { Reply } from '../http/types.js';
import { errorPage } from '../pages/error-page.js';
import { passwordPage } from '../pages/password-page.js';
import type { Ctx, RouteDef } from './types.js';
import { passwordPolicyError } from './validate.js';
import { personMustExist } from './lookups.js';

const TOKEN_TTL_S = 3600;

/** A stateless CSRF token bound to the form's account and the signed-in user, valid an hour. */
export function csrfToken(key: Buffer, person: string, user: string, now = Date.now()): string {
  const ts = Math.floor(now / 1000).toString(36);
  const mac = createHmac('sha256', key).update(`${person}\0${user}\0${ts}`).digest('base64url');
  return `${ts}.${mac}`;
}

export function checkCsrf(key: Buffer, token: string, person: string, user: string, now = Date.now()): boolean {
  const [ts, mac] = token.split('.');
  if (!ts || !mac) return false;
  const age = Math.floor(now / 1000) - parseInt(ts, 36);
  if (!(age >= 0 && age <= TOKEN_TTL_S)) return false;
  const want = Buffer.from(createHmac('sha256', key).update(`${person}\0${user}\0${ts}`).digest('base64url'));
  const got = Buffer.from(mac);
  return got.length === want.length && timingSafeEqual(got, want);
}

async function form(ctx: Ctx): Promise<Reply> {
  const person = ctx.params.person;
  await personMustExist(ctx);
  return html(200, passwordPage(person, csrfToken(ctx.svc.csrfKey, person, ctx.principal!.id), null));
}


async function setPassword(ctx: Ctx, password: string): Promise<boolean> {
  const hash = await ctx.svc.auth.hasher.hash(password);
  const r = await ctx.svc.db.query(
    'password_set',
    `UPDATE people SET data = COALESCE(data, '{}'::jsonb) || jsonb_build_object('password', $2::text) WHERE id = $1`,
    [ctx.params.person, hash],
  );
  return (r.rowCount ?? 0) > 0;
}

/** Same-origin check for form posts: a browser sends Origin on POST; it must name this host. */
function sameOrigin(ctx: Ctx): boolean {
  const origin = ctx.req.headers.origin;
  // Our pages send Referrer-Policy: no-referrer, so browsers post this form with `Origin: null`;
  // then the signed CSRF token, bound to the account and the signed-in user, is the whole check.
  if (!origin || origin === 'null') return true;
  try {
    return new URL(origin).host === ctx.req.headers.host;
  } catch {
    return false;
  }
}

async function change(ctx: Ctx): Promise<Reply> {
  const person = ctx.params.person;
  const user = ctx.principal!.id;
  if (/^application\/x-www-form-urlencoded/i.test(ctx.req.headers.contentType)) {
    const fields = new URLSearchParams(decodeUtf8(ctx.req.body));
    if (!sameOrigin(ctx) || !checkCsrf(ctx.svc.csrfKey, fields.get('csrf') ?? '', person, user)) {
      // A browser posted this form: answer with a page, not JSON.
      return html(403, errorPage(403, 'Form expired', 'The form has expired or did not come from this server; reload it and try again.'));
    }
    const password = fields.get('password') ?? '';
    let problem = passwordPolicyError(password);
    if (!problem && password !== (fields.get('confirm') ?? password)) problem = 'the two passwords differ';
    if (problem) return html(422, passwordPage(person, csrfToken(ctx.svc.csrfKey, person, user), problem));
    if (!(await setPassword(ctx, password))) throw notFound('person');
    return { status: 303, headers: { Location: '/', 'Cache-Control': 'no-store' } };
  }
  const body = parseJsonObject(ctx.req.body);
  const problem = passwordPolicyError(body.password);
  if (problem) throw unprocessable(problem);
  if (!(await setPassword(ctx, body.password as string))) throw notFound('person');
  return noContent();
}

export const routes: RouteDef[] = [
  { method: 'GET', path: '/password/{person}', op: { endpoint: 'password', doc: { summary: 'The password-change form', response: 'html', statuses: [200, 400, 404] }, handler: form } },
  { method: 'POST', path: '/password/{person}', op: { endpoint: 'password', doc: { summary: 'Change a password (form: 303 to /, or 422 with the form again; JSON: 204)', request: 'Password', statuses: [204, 303, 400, 404, 413, 422] }, handler: change } },
];
