import { html, json } from '../http/reply.js';
import { buildSpec } from '../openapi/spec.js';
import { docsPage } from '../pages/docs-page.js';
import { ROUTES } from './index.js';
import type { RouteDef } from './types.js';

/** The API description, built once per worker from the live route table (read lazily: index.ts imports this file). */
let cached: { json: string; html: string } | null = null;

function docs(version: string): { json: string; html: string } {
  if (!cached) {
    const spec = buildSpec(ROUTES, version);
    cached = { json: JSON.stringify(spec), html: docsPage(spec) };
  }
  return cached;
}

export const routes: RouteDef[] = [
  {
    method: 'GET',
    path: '/openapi.json',
    op: {
      endpoint: null,
      doc: { summary: 'This API as OpenAPI 3.1', response: 'Record', statuses: [200] },
      handler: async (ctx) => json(200, docs(ctx.svc.version).json, { 'Cache-Control': 'no-cache' }),
    },
  },
  {
    method: 'GET',
    path: '/docs',
    op: {
      endpoint: null,
      doc: { summary: 'This API as a readable page (no JavaScript, works offline)', response: 'html', statuses: [200] },
      handler: async (ctx) => html(200, docs(ctx.svc.version).html),
    },
  },
];
