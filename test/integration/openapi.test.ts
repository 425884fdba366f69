import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ROUTES } from '../../src/resources/index.js';
import { createDatabase, req, ROOT, startServer, type TestDatabase, type TestServer } from '../helpers/server.js';

/** Issue 7: the OpenAPI document is valid 3.1, generated from the live route table, and readable offline at /docs. */

let db: TestDatabase;
let s: TestServer;
let spec: { openapi: string; paths: Record<string, Record<string, { responses: Record<string, unknown> }>>; components: Record<string, Record<string, unknown>> };

before(async () => {
  db = await createDatabase();
  s = await startServer({ db, workers: 1 });
  const r = await req(s, 'GET', '/openapi.json');
  assert.equal(r.status, 200);
  assert.match(String(r.headers['content-type']), /^application\/json/);
  spec = r.json as typeof spec;
});

after(async () => {
  await s?.stop();
  await db?.drop();
});

test('GET /openapi.json is a valid OpenAPI 3.1 document (official schema)', async () => {
  // The validator is an ES module; this test compiles to CommonJS, so it is loaded dynamically.
  const { Validator } = await import('@seriousme/openapi-schema-validator');
  const v = new Validator();
  const res = await v.validate(spec as unknown as Record<string, unknown>);
  assert.equal(v.version, '3.1');
  assert.deepEqual(res.errors ?? [], [], JSON.stringify(res.errors, null, 1));
  assert.equal(res.valid, true);
});

test('every routed path and method appears, no more', () => {
  const routed = ROUTES.map((r) => `${r.method} ${r.path}`).sort();
  const documented = Object.entries(spec.paths).flatMap(([p, ms]) => Object.keys(ms).map((m) => `${m.toUpperCase()} ${p}`)).sort();
  assert.deepEqual(documented, routed);
  for (const p of ['/', '/login', '/people/{person}', '/pols/{person}/{page}', '/personal_docs/{person}/{pol}/{doc}', '/password/{person}', '/openapi.json', '/docs']) {
    assert.ok(spec.paths[p], `${p} documented`);
  }
});

test('schemas, Basic security and every status the contract names', () => {
  const schemas = spec.components.schemas;
  for (const name of ['Person', 'PageOfLife', 'DocumentMetadata', 'DomiciliaryUnit', 'Institution', 'Event', 'Error']) assert.ok(schemas[name], name);
  assert.deepEqual(spec.components.securitySchemes.basic, { type: 'http', scheme: 'basic', description: 'federation ID and password' });
  const statuses = new Set<string>(Object.keys(spec.components.responses).map((k) => k.slice(1)));
  for (const ms of Object.values(spec.paths)) for (const op of Object.values(ms)) for (const s of Object.keys(op.responses)) statuses.add(s);
  for (const s of [200, 201, 204, 303, 304, 400, 401, 403, 404, 405, 409, 413, 422, 429, 503]) assert.ok(statuses.has(String(s)), `status ${s}`);
  // A couple of operations say exactly what the contract says.
  assert.deepEqual(Object.keys(spec.paths['/pols/{person}/{page}'].post.responses).sort(), ['201', '400', '401', '403', '404', '409', '413', '422', '429', '503']);
  assert.deepEqual(Object.keys(spec.paths['/people/{person}'].delete.responses).sort(), ['204', '400', '401', '403', '404', '409', '429', '503']);
  assert.deepEqual((spec.paths['/'].get as unknown as { security: unknown[] }).security, []);
  // The password hash is never described as something a client reads.
  assert.equal('password' in (schemas.Person as { properties: object }).properties, false);
});

test('/docs is plain server-rendered HTML from the same document: no script, nothing from another host', async () => {
  const r = await req(s, 'GET', '/docs');
  assert.equal(r.status, 200);
  assert.match(String(r.headers['content-type']), /^text\/html/);
  assert.doesNotMatch(r.text, /<script|<link|src=|href="(https?:)?\/\//i);
  for (const path of Object.keys(spec.paths)) assert.ok(r.text.includes(path.replace(/&/g, '&amp;')), `${path} on /docs`);
  assert.match(r.text, /<a href="\/openapi.json">/);
  assert.match(r.text, /id="schema-Person"/);
});

test('the package exports the client types of the same resources', () => {
  const dts = readFileSync(join(ROOT, 'dist', 'src', 'index.d.ts'), 'utf8');
  for (const name of ['Person', 'PageOfLife', 'DocumentMetadata', 'DomiciliaryUnit', 'Institution', 'ErrorBody', 'Collection']) {
    assert.match(dts, new RegExp(`\\b${name}\\b`), name);
  }
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { types: string; bin: Record<string, string> };
  assert.equal(pkg.types, 'dist/src/index.d.ts');
  assert.equal(pkg.bin.thalamus, 'dist/src/cli/thalamus.js');
});
