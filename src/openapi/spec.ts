import type { OpDoc, RouteDef } from '../resources/types.js';
import { collectionSchema, SCHEMAS } from './schemas.js';

/**
 * OpenAPI 3.1 built from the route table the router uses, so the document cannot drift from
 * what is served. An operation's `doc` says what it knows; the rest is derived from the path.
 */

export type Spec = { [k: string]: unknown; paths: Record<string, Record<string, OperationObject>> };
export interface OperationObject {
  [k: string]: unknown;
  operationId: string;
  summary: string;
  tags: string[];
  responses: Record<string, unknown>;
}

/** What each error status means here (the contract's list); each gets a shared response object. */
export const ERROR_STATUSES: Record<number, string> = {
  400: 'Malformed ID, query, JSON or UTF-8',
  401: 'Missing or wrong credentials, unknown or inactive account',
  403: 'Authenticated, but the roles do not allow this',
  404: 'Unknown path or record',
  405: 'Known path, other method (see Allow)',
  409: 'Conflict: the record exists, or is still referred to',
  413: 'Body over the limit (1 MiB; 16 MiB for personal documents)',
  422: 'JSON that is not acceptable (not an object, wrong field types, IDs that differ)',
  429: 'Too many failed logins (see Retry-After)',
  500: 'A server bug; it has been logged',
  503: 'The database is unreachable (see Retry-After)',
};

const HEADER_DOCS: Record<number, Record<string, string>> = {
  401: { 'WWW-Authenticate': 'Basic realm="Thalamus", charset="UTF-8"' },
  405: { Allow: 'the methods this path answers' },
  429: { 'Retry-After': 'seconds to wait' },
  503: { 'Retry-After': 'seconds to wait' },
};

/** Resource families by path prefix: the schema of their records and how deep an item's path is. */
const FAMILIES: Array<{ prefix: string; tag: string; one: string; schema: string; write?: string; itemDepth: number }> = [
  { prefix: '/people', tag: 'people', one: 'person', schema: 'Person', write: 'PersonWrite', itemDepth: 1 },
  { prefix: '/pols', tag: 'pages of life', one: 'page of life', schema: 'PageOfLife', itemDepth: 2 },
  { prefix: '/personal_docs', tag: 'personal documents', one: 'personal document', schema: 'DocumentMetadata', write: 'DocumentUpload', itemDepth: 3 },
  { prefix: '/domiciliary-units', tag: 'domiciliary units', one: 'domiciliary unit', schema: 'DomiciliaryUnit', itemDepth: 1 },
  { prefix: '/institutions', tag: 'institutions', one: 'institution', schema: 'Institution', itemDepth: 1 },
  { prefix: '/events', tag: 'events', one: 'event', schema: 'Event', itemDepth: 1 },
];

const SUCCESS_TEXT: Record<number, string> = { 200: 'OK', 201: 'Created (see Location)', 204: 'Done, no body', 303: 'See Other', 304: 'Not Modified' };

function params(path: string): string[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
}

/** The doc an operation has, completed from its method and path. */
export function effectiveDoc(r: RouteDef): Required<Pick<OpDoc, 'summary' | 'statuses'>> & OpDoc & { tag: string } {
  const fam = FAMILIES.find((f) => r.path === f.prefix || r.path.startsWith(f.prefix + '/'));
  const depth = params(r.path).length;
  const isItem = fam ? depth >= fam.itemDepth : /\}$/.test(r.path);
  const schema = fam?.schema ?? 'Record';
  const what = fam ? fam.one : r.path;
  const d: OpDoc = {};
  switch (r.method) {
    case 'GET':
      d.summary = isItem ? `Read one ${what}` : `List ${fam?.tag ?? r.path}`;
      d.response = isItem ? schema : `[${schema}]`;
      // A collection under a person answers 404 for an unknown person; a top-level one cannot.
      d.statuses = isItem || depth > 0 ? [200, 400, 404] : [200, 400];
      break;
    case 'POST':
      d.summary = `Create a ${what}`;
      d.request = fam?.write ?? schema;
      d.response = schema;
      // 404 when the parent (person, page) is missing; top-level records have none.
      d.statuses = depth > 1 ? [201, 400, 404, 409, 413, 422] : [201, 400, 409, 413, 422];
      break;
    case 'PATCH':
      d.summary = `Change a ${what} (shallow merge)`;
      d.request = fam?.write ?? schema;
      d.response = schema;
      d.statuses = [200, 400, 404, 413, 422];
      break;
    case 'DELETE':
      d.summary = `Delete a ${what}`;
      // 409 while other records refer to it (pages to people, documents to pages).
      d.statuses = fam && ['/people', '/pols'].includes(fam.prefix) ? [204, 400, 404, 409] : [204, 400, 404];
      break;
  }
  const doc = { ...d, ...r.op.doc } as OpDoc & { summary: string; statuses: number[] };
  if (r.op.endpoint !== null) {
    // Every authenticated operation may answer these, and 503 while the database is away.
    for (const s of [401, 403, 429, 503]) if (!doc.statuses.includes(s)) doc.statuses.push(s);
  }
  return { ...doc, tag: fam?.tag ?? (r.op.endpoint ?? 'server') };
}

function bodyFor(response: string): Record<string, unknown> | undefined {
  if (response === 'html') return { 'text/html': { schema: { type: 'string' } } };
  if (response === 'binary') return { '*/*': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } };
  if (response.startsWith('[')) return { 'application/json': { schema: collectionSchema(response.slice(1, -1)) } };
  return { 'application/json': { schema: { $ref: `#/components/schemas/${response}` } } };
}

function operation(r: RouteDef): OperationObject {
  const doc = effectiveDoc(r);
  const responses: Record<string, unknown> = {};
  for (const s of doc.statuses) {
    if (ERROR_STATUSES[s]) {
      responses[String(s)] = { $ref: `#/components/responses/E${s}` };
      continue;
    }
    const res: Record<string, unknown> = { description: SUCCESS_TEXT[s] ?? String(s) };
    const content = s === 200 || s === 201 ? (doc.response ? bodyFor(doc.response) : undefined) : undefined;
    if (content) res.content = content;
    const headers: Record<string, unknown> = {};
    if (s === 201 || s === 303) headers.Location = { schema: { type: 'string' }, description: s === 201 ? 'the new record' : 'where to go next' };
    if (s === 200 && doc.response?.startsWith('[')) headers.Link = { schema: { type: 'string' }, description: 'rel="next" while a ?limit page has more' };
    if (Object.keys(headers).length) res.headers = headers;
    responses[String(s)] = res;
  }
  const parameters: unknown[] = params(r.path).map((name) => ({
    name,
    in: 'path',
    required: true,
    schema: { $ref: '#/components/schemas/Id' },
    description: name === 'person' ? 'federation ID (case-insensitive)' : `${name} ID`,
  }));
  if (doc.response?.startsWith('[')) {
    parameters.push(
      { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000 }, description: 'page size' },
      { name: 'after', in: 'query', required: false, schema: { $ref: '#/components/schemas/Id' }, description: 'key of the last record of the previous page' },
    );
  }
  const op: OperationObject = {
    operationId: `${r.method.toLowerCase()}${r.path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : '')) || 'Root'}`,
    summary: doc.summary,
    tags: [doc.tag],
    responses,
  };
  if (parameters.length) op.parameters = parameters;
  if (doc.request) {
    const content: Record<string, unknown> = { 'application/json': { schema: { $ref: `#/components/schemas/${doc.request}` } } };
    if (doc.request === 'Password') content['application/x-www-form-urlencoded'] = { schema: { $ref: '#/components/schemas/PasswordForm' } };
    op.requestBody = { required: true, description: 'JSON, whatever the Content-Type says', content };
  }
  op.security = r.op.endpoint === null ? [] : [{ basic: [] }];
  if (r.op.endpoint !== null) op['x-thalamus-endpoint'] = r.op.endpoint;
  return op;
}

export function buildSpec(routes: readonly RouteDef[], version: string): Spec {
  const paths: Spec['paths'] = {};
  for (const r of routes) (paths[r.path] ??= {})[r.method.toLowerCase()] = operation(r);
  const responses: Record<string, unknown> = {};
  for (const [s, description] of Object.entries(ERROR_STATUSES)) {
    const headers = HEADER_DOCS[Number(s)];
    responses[`E${s}`] = {
      description,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      ...(headers ? { headers: Object.fromEntries(Object.entries(headers).map(([h, d]) => [h, { schema: { type: 'string' }, description: d }])) } : {}),
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Thalamus',
      version,
      summary: 'GNU Health Federation message and authentication server',
      description:
        'REST over HTTP Basic (the user name is the federation ID). Bodies are JSON whatever the Content-Type says. ' +
        'Routing decides first: an unknown path is 404, a known path with another method 405 (with Allow), ' +
        'then 401, then 403. Every path also answers OPTIONS (CORS preflight, 204).',
      license: { name: 'GPL-3.0-or-later', identifier: 'GPL-3.0-or-later' },
    },
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    security: [{ basic: [] }],
    paths,
    components: {
      securitySchemes: { basic: { type: 'http', scheme: 'basic', description: 'federation ID and password' } },
      schemas: { Id: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' }, ...SCHEMAS },
      responses,
    },
  };
}
