import type { Principal } from '../auth/principal.js';
import { httpError } from '../errors.js';
import { canSee, ownOnly, readEvents, readHorizon } from '../events/feed.js';
import type { EventHub } from '../events/hub.js';
import { EventSubscription } from '../events/subscription.js';
import { json } from '../http/reply.js';
import type { Reply, Request } from '../http/types.js';
import type { WsRoute } from '../http/ws.js';
import type { Ctx, RouteDef, Services } from './types.js';

/** The change feed: `GET /events` (pull, long-poll) and `/events/ws` (push). See docs/events.md. */

const MAX_LIMIT = 1000;
const MAX_WAIT_S = 30;

function intParam(q: URLSearchParams, name: string, min: number, max: number): number | null {
  const raw = q.get(name);
  if (raw === null || raw === '') return null;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw httpError('BAD_QUERY', `${name} must be an integer from ${min} to ${max}`);
  }
  return Number(raw);
}

function hubOf(ctx: Ctx): EventHub {
  if (!ctx.svc.events) throw httpError('DB_UNAVAILABLE', 'the event feed is not running', { 'Retry-After': '1' });
  return ctx.svc.events;
}

async function list(ctx: Ctx): Promise<Reply> {
  const hub = hubOf(ctx);
  const q = ctx.query;
  const limit = intParam(q, 'limit', 1, MAX_LIMIT) ?? 100;
  const wait = intParam(q, 'wait', 0, MAX_WAIT_S) ?? 0;
  const requested = intParam(q, 'after', 0, Number.MAX_SAFE_INTEGER);
  const h = await readHorizon(ctx.svc.db);
  if (requested !== null && requested < h.prunedThrough) {
    const oldest = h.prunedThrough + 1;
    return json(410, JSON.stringify({
      error: `events after ${requested} are no longer kept; resync the records, then follow from "latest"`,
      code: 'GONE',
      oldest,
      latest: Math.max(h.latest, h.prunedThrough),
    }));
  }
  let after = requested ?? h.prunedThrough;
  const p = ctx.principal!;
  const person = ownOnly(ctx.svc.acl, p);
  const deadline = Date.now() + wait * 1000;
  for (;;) {
    // Wait for the hub's next batch from before the read, so an event committed in between still wakes us.
    const woken = wait > 0 ? hub.nextBatch(Math.max(0, deadline - Date.now())) : null;
    const rows = await readEvents(ctx.svc.db, after, null, person, limit);
    const visible = rows.filter((r) => canSee(ctx.svc.acl, p, r));
    if (rows.length) after = rows[rows.length - 1].seq;
    if (visible.length || rows.length === limit || !woken || Date.now() >= deadline || hub.stopped) {
      const body = `{"events":[${visible.map((r) => r.j).join(',')}],"last":${after}}`;
      return json(200, body, { 'Cache-Control': 'no-store' });
    }
    await woken;
  }
}

async function wsOverHttp(): Promise<Reply> {
  throw httpError('UPGRADE_REQUIRED', 'this is a WebSocket endpoint: connect with a WebSocket client, or long-poll GET /events?after=SEQ&wait=30', {
    Upgrade: 'websocket',
  });
}

export const routes: RouteDef[] = [
  { method: 'GET', path: '/events', op: { endpoint: 'events', owner: () => null, handler: list } },
  { method: 'GET', path: '/events/ws', op: { endpoint: 'events', owner: () => null, handler: wsOverHttp } },
];

const UNAUTHORIZED_HEADERS = { 'WWW-Authenticate': 'Basic realm="Thalamus", charset="UTF-8"' };

/** `/events/ws`: Basic auth and the `events` ACL entry are checked on the upgrade request. */
export function eventsWsRoute(svc: Services): WsRoute {
  return {
    path: '/events/ws',
    // Room above the subscriber's own limit for the message that crosses it.
    maxBufferBytes: svc.config.eventsWsBufferBytes * 2 + 1048576,
    async upgrade(req: Request) {
      const fail = (status: number, code: 'UNAUTHENTICATED' | 'FORBIDDEN' | 'DB_UNAVAILABLE', message: string, headers: Record<string, string> = {}) => {
        svc.log.info({ method: 'GET', route: '/events/ws', status, remote: req.remoteAddress }, 'request');
        return { reject: json(status, JSON.stringify({ error: message, code }), headers) };
      };
      if (!svc.events || svc.events.stopped) return fail(503, 'DB_UNAVAILABLE', 'the event feed is not running', { 'Retry-After': '1' });
      let principal: Principal | null;
      try {
        principal = svc.auth.cached(req.headers.authorization) ?? (await svc.auth.authenticate(req.headers.authorization));
      } catch {
        return fail(503, 'DB_UNAVAILABLE', 'database unavailable, retry shortly', { 'Retry-After': '1' });
      }
      if (!principal) return fail(401, 'UNAUTHENTICATED', 'authentication required: HTTP Basic with your federation ID and password', UNAUTHORIZED_HEADERS);
      if (!svc.acl.allows(principal, 'GET', 'events', null)) return fail(403, 'FORBIDDEN', 'your roles do not allow GET events');
      svc.log.info({ method: 'GET', route: '/events/ws', status: 101, user: principal.id, remote: req.remoteAddress }, 'request');
      return { accept: new EventSubscription(svc.events, principal, svc.config.eventsWsBufferBytes) };
    },
  };
}
