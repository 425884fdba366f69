import { conflict, notFound, unprocessable } from '../errors.js';
import { parseJsonObject } from '../http/body.js';
import { json, noContent } from '../http/reply.js';
import type { Reply } from '../http/types.js';
import { withEvent } from '../events/outbox.js';
import { collection } from './collection.js';
import type { Ctx, RouteDef } from './types.js';
import { checkBodyId } from './validate.js';
import { personMustExist } from './lookups.js';

/** Personal documents: metadata as JSON, bytes as bytea, served raw with their media type. */

const META_JSON = `((COALESCE(data, '{}'::jsonb) - 'document')
  || jsonb_build_object('id', id, 'fedacct', fedacct, 'pol', pol, 'size', COALESCE(octet_length(document), 0)))::text`;

const LIST_SQL = `SELECT id AS k, ${META_JSON} AS j FROM personal_docs
  WHERE fedacct = $1 AND ($2::varchar IS NULL OR id > $2) ORDER BY id LIMIT $3`;
const LIST_POL_SQL = `SELECT id AS k, ${META_JSON} AS j FROM personal_docs
  WHERE fedacct = $1 AND pol = $2 AND ($3::varchar IS NULL OR id > $3) ORDER BY id LIMIT $4`;

const BASE64_RE = /^[A-Za-z0-9+/\s]*={0,2}\s*$/;

const MEDIA_TYPES: Record<string, string> = {
  jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', gif: 'image/gif', webp: 'image/webp',
  tif: 'image/tiff', tiff: 'image/tiff', bmp: 'image/bmp', svg: 'image/svg+xml',
  pdf: 'application/pdf', txt: 'text/plain; charset=utf-8', json: 'application/json', xml: 'application/xml',
  dcm: 'application/dicom', mp4: 'video/mp4', mp3: 'audio/mpeg', ogg: 'audio/ogg', wav: 'audio/wav',
  doc: 'application/msword', odt: 'application/vnd.oasis.opendocument.text',
};
const TYPE_FALLBACK: Record<string, string> = { picture: 'image/jpeg', image: 'image/jpeg', pdf: 'application/pdf', text: 'text/plain; charset=utf-8' };

/** Media type from the extension first (a jpg is image/jpeg), then from the document type. */
export function mediaType(type: string | null, extension: string | null): string {
  const ext = (extension ?? '').toLowerCase().replace(/^\./, '');
  if (MEDIA_TYPES[ext]) return MEDIA_TYPES[ext];
  const t = (type ?? '').toLowerCase();
  if (/^[a-z]+\/[a-z0-9.+-]+$/.test(t)) return t;
  return TYPE_FALLBACK[t] ?? 'application/octet-stream';
}


async function listAll(ctx: Ctx): Promise<Reply> {
  return collection(ctx, LIST_SQL, [ctx.params.person], () => personMustExist(ctx));
}

async function listPage(ctx: Ctx): Promise<Reply> {
  return collection(ctx, LIST_POL_SQL, [ctx.params.person, ctx.params.pol]);
}

async function create(ctx: Ctx): Promise<Reply> {
  const { person, pol, doc } = ctx.params;
  const body = parseJsonObject(ctx.req.body);
  checkBodyId(body, doc);
  const b64 = body.document;
  if (typeof b64 !== 'string' || !BASE64_RE.test(b64)) throw unprocessable('document must be the file as a base64 string');
  const bytes = Buffer.from(b64, 'base64');
  delete body.document;
  for (const k of ['fedacct', 'pol'] as const) {
    if (body[k] !== undefined && body[k] !== (k === 'fedacct' ? person : pol)) throw unprocessable(`${k} in the body differs from the path`);
  }
  body.id = doc;
  body.fedacct = person;
  body.pol = pol;
  const row = await ctx.svc.db.tx(async (q) => {
    const page = await q.one('doc_page_exists', 'SELECT 1 AS one FROM pols WHERE id = $2 AND book = $1', [person, pol]);
    if (!page) throw notFound('page of life');
    const w = withEvent(ctx, {
      name: 'doc_insert',
      text: `INSERT INTO personal_docs (id, fedacct, pol, document, data) VALUES ($3, $1, $2, $4, $5::jsonb)
       ON CONFLICT (id) DO NOTHING RETURNING ${META_JSON} AS j`,
      values: [person, pol, doc, bytes, JSON.stringify(body)],
    }, { resource: 'personal_docs', op: 'create', id: doc, person, path: `/personal_docs/${person}/${pol}/${doc}` });
    return q.one<{ j: string }>(w.name, w.text, w.values);
  });
  if (!row) throw conflict(`document ${doc} already exists`);
  return json(201, row.j, { Location: `/personal_docs/${person}/${pol}/${doc}` });
}

async function download(ctx: Ctx): Promise<Reply> {
  const { person, pol, doc } = ctx.params;
  const row = await ctx.svc.db.one<{ document: Buffer | null; type: string | null; extension: string | null; etag: string }>(
    'doc_get',
    `SELECT document, data ->> 'type' AS type, data ->> 'extension' AS extension, md5(COALESCE(document, '')) AS etag
     FROM personal_docs WHERE id = $3 AND fedacct = $1 AND pol = $2`,
    [person, pol, doc],
  );
  if (!row) throw notFound('document');
  const etag = `"${row.etag}"`;
  const headers: Record<string, string> = {
    'Content-Type': mediaType(row.type, row.extension),
    ETag: etag,
    'Cache-Control': 'private, no-cache',
    'X-Content-Type-Options': 'nosniff',
    // Stored files are someone else's bytes: never let them run as a page of ours.
    'Content-Security-Policy': "default-src 'none'; sandbox",
  };
  if (ctx.req.headers.ifNoneMatch && ctx.req.headers.ifNoneMatch.split(',').some((t) => t.trim() === etag)) {
    return { status: 304, headers };
  }
  return { status: 200, headers, body: row.document ?? Buffer.alloc(0) };
}

async function remove(ctx: Ctx): Promise<Reply> {
  const { person, pol, doc } = ctx.params;
  const w = withEvent(ctx, {
    name: 'doc_delete',
    text: 'DELETE FROM personal_docs WHERE id = $3 AND fedacct = $1 AND pol = $2 RETURNING id',
    values: [person, pol, doc],
  }, { resource: 'personal_docs', op: 'delete', id: doc, person, path: `/personal_docs/${person}/${pol}/${doc}` });
  const r = await ctx.svc.db.query(w.name, w.text, w.values);
  if (!r.rowCount) throw notFound('document');
  return noContent();
}

export const routes: RouteDef[] = [
  { method: 'GET', path: '/personal_docs/{person}', op: { endpoint: 'personal_docs', handler: listAll } },
  { method: 'GET', path: '/personal_docs/{person}/{pol}', op: { endpoint: 'personal_docs', doc: { summary: 'List the documents of one page of life', response: '[DocumentMetadata]', statuses: [200, 400] }, handler: listPage } },
  { method: 'GET', path: '/personal_docs/{person}/{pol}/{doc}', op: { endpoint: 'personal_docs', doc: { summary: 'Download the document bytes (Content-Type from its type or extension, ETag)', response: 'binary', statuses: [200, 304, 400, 404] }, handler: download } },
  { method: 'POST', path: '/personal_docs/{person}/{pol}/{doc}', op: { endpoint: 'personal_docs', largeBody: true, handler: create } },
  { method: 'DELETE', path: '/personal_docs/{person}/{pol}/{doc}', op: { endpoint: 'personal_docs', handler: remove } },
];

