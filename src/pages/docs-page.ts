import type { JsonSchema } from '../openapi/schemas.js';
import type { Spec } from '../openapi/spec.js';
import { esc, page } from './html.js';

/** The API reference as plain HTML, rendered from the OpenAPI document: no script, no CDN. */

function ref(schema: unknown): string {
  const s = schema as JsonSchema | undefined;
  if (!s) return '';
  if (typeof s.$ref === 'string') {
    const name = s.$ref.split('/').pop() as string;
    return `<a href="#schema-${esc(name)}">${esc(name)}</a>`;
  }
  if (Array.isArray(s.anyOf)) return s.anyOf.map(ref).join(' or ');
  if (Array.isArray(s.allOf)) return s.allOf.map(ref).join(' and ');
  if (s.type === 'array') {
    const inner = s.prefixItems ? ref((s.prefixItems as unknown[])[0]) : ref(s.items);
    return `[${s.prefixItems ? `[${inner}]` : inner}]`;
  }
  return esc(String(s.type ?? 'any'));
}

function slug(method: string, path: string): string {
  return `${method}-${path}`.replace(/[^A-Za-z0-9]+/g, '-');
}

export function docsPage(spec: Spec): string {
  const info = spec.info as { title: string; version: string; description: string };
  const components = spec.components as { schemas: Record<string, JsonSchema>; responses: Record<string, { description: string }> };
  const toc: string[] = [];
  const ops: string[] = [];
  for (const [path, methods] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const id = slug(method, path);
      const m = method.toUpperCase();
      toc.push(`<li><a href="#${id}"><code>${m} ${esc(path)}</code></a> — ${esc(op.summary)}</li>`);
      const rows = Object.entries(op.responses).map(([status, r]) => {
        const res = r as { $ref?: string; description?: string; content?: Record<string, { schema: unknown }> };
        if (res.$ref) {
          const name = res.$ref.split('/').pop() as string;
          return `<tr><td>${status}</td><td>${esc(components.responses[name].description)}</td><td>${ref({ $ref: '#/components/schemas/Error' })}</td></tr>`;
        }
        const body = res.content ? Object.entries(res.content).map(([type, c]) => `${esc(type)} ${ref(c.schema)}`).join('<br>') : '';
        return `<tr><td>${status}</td><td>${esc(res.description ?? '')}</td><td>${body}</td></tr>`;
      });
      const params = ((op.parameters as Array<{ name: string; in: string; description: string }>) ?? [])
        .map((p) => `<li><code>${esc(p.name)}</code> (${esc(p.in)}): ${esc(p.description)}</li>`)
        .join('');
      const request = op.requestBody as { content: Record<string, { schema: unknown }> } | undefined;
      const security = (op.security as unknown[]).length ? 'HTTP Basic' : 'none';
      const acl = op['x-thalamus-endpoint'] ? `; ACL endpoint <code>${esc(String(op['x-thalamus-endpoint']))}</code>` : '';
      ops.push(`<section id="${id}"><h3><code>${m} ${esc(path)}</code></h3>
<p>${esc(op.summary)}. Authentication: ${security}${acl}.</p>
${params ? `<p>Parameters:</p><ul>${params}</ul>` : ''}
${request ? `<p>Body: ${Object.entries(request.content).map(([t, c]) => `${esc(t)} ${ref(c.schema)}`).join(', ')}</p>` : ''}
<table><thead><tr><th scope="col">Status</th><th scope="col">Meaning</th><th scope="col">Body</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`);
    }
  }
  const schemas = Object.entries(components.schemas).map(([name, s]) => {
    const props = Object.entries((s.properties as Record<string, JsonSchema>) ?? {})
      .map(([p, ps]) => `<tr><td><code>${esc(p)}</code>${(s.required as string[] | undefined)?.includes(p) ? ' (required)' : ''}</td><td>${ref(ps)}${ps.format ? ` (${esc(String(ps.format))})` : ''}</td><td>${esc(String(ps.description ?? ''))}</td></tr>`)
      .join('');
    const table = props ? `<table><thead><tr><th scope="col">Field</th><th scope="col">Type</th><th scope="col">Notes</th></tr></thead><tbody>${props}</tbody></table>` : '';
    const combo = s.allOf ? `<p>All of: ${ref(s)}</p>` : s.pattern ? `<p>Pattern <code>${esc(String(s.pattern))}</code></p>` : '';
    return `<section id="schema-${esc(name)}"><h3>${esc(name)}</h3><p>${esc(String(s.description ?? ''))}</p>${combo}${table}</section>`;
  });
  return page(
    `${info.title} API ${info.version}`,
    `<h1>${esc(info.title)} API <small>${esc(info.version)}</small></h1>
<p>${esc(info.description)}</p>
<p>The machine-readable document: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). Back to <a href="/">the welcome page</a>.</p>
<nav aria-label="Operations"><h2>Operations</h2><ul>${toc.join('')}</ul></nav>
${ops.join('\n')}
<h2>Schemas</h2>
${schemas.join('\n')}`,
  );
}
