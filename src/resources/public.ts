import { html, json } from '../http/reply.js';
import { indexPage } from '../pages/index-page.js';
import type { RouteDef } from './types.js';

const OK = JSON.stringify({ status: 'ok' });

/** Routes that need no account: the welcome page and the probes. */
export const routes: RouteDef[] = [
  { method: 'GET', path: '/', op: { endpoint: null, doc: { summary: 'Welcome page', response: 'html', statuses: [200] }, handler: async (ctx) => html(200, indexPage(ctx.svc.version)) } },
  { method: 'GET', path: '/healthz', op: { endpoint: null, doc: { summary: 'Liveness', response: 'Status', statuses: [200] }, handler: async () => json(200, OK) } },
  {
    method: 'GET',
    path: '/readyz',
    op: {
      endpoint: null,
      doc: { summary: 'Readiness: the database answers', response: 'Status', statuses: [200, 503] },
      handler: async (ctx) =>
        (await ctx.svc.db.ping())
          ? json(200, OK)
          : json(503, JSON.stringify({ error: 'database unavailable', code: 'DB_UNAVAILABLE' }), { 'Retry-After': '1' }),
    },
  },
];
