import { httpError } from '../errors.js';
import { TrustedProxies } from '../http/client-address.js';
import type { RouteDef } from './types.js';

let allow: { list: string; set: TrustedProxies } | null = null;

/** `GET /metrics`: Prometheus text over all workers, only for the addresses in `metricsAllow`. */
export const routes: RouteDef[] = [
  {
    method: 'GET',
    path: '/metrics',
    op: {
      endpoint: null,
      handler: async (ctx) => {
        const list = ctx.svc.config.metricsAllow;
        if (allow?.list !== list) allow = { list, set: new TrustedProxies(list) };
        if (allow.set.empty || !ctx.svc.metricsText) throw httpError('NOT_FOUND', 'metrics are turned off (metricsAllow is empty)');
        if (!allow.set.has(ctx.req.remoteAddress)) throw httpError('FORBIDDEN', 'metrics are only served to the addresses in metricsAllow');
        return { status: 200, headers: { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Cache-Control': 'no-store' }, body: await ctx.svc.metricsText() };
      },
    },
  },
];
