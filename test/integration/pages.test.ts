import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { basic, createDatabase, DEMO, req, startServer, type TestDatabase, type TestServer } from '../helpers/server.js';

/** Issue 7: the pages over plain HTTP (the browser test covers them in Chromium where it is installed). */

let db: TestDatabase;
let s: TestServer;

before(async () => {
  db = await createDatabase();
  s = await startServer({ db, workers: 1 });
});

after(async () => {
  await s?.stop();
  await db?.drop();
});

test('welcome page: what this is, a link to /docs, the version, no data', async () => {
  const r = await req(s, 'GET', '/');
  assert.equal(r.status, 200);
  assert.match(r.text, /GNU Health Federation/);
  assert.match(r.text, /<a href="\/docs">/);
  assert.match(r.text, /Server version 0\.\d+\.\d+/);
  assert.doesNotMatch(r.text, /ESPGNU777ORG|Betz|<script/);
});

test('unknown paths: an HTML page for browsers, the JSON error for everyone else', async () => {
  let r = await req(s, 'GET', '/nope/<b>', { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
  assert.equal(r.status, 404);
  assert.match(String(r.headers['content-type']), /^text\/html/);
  assert.match(r.text, /nothing at \/nope\/%3Cb%3E\./, 'the path as sent, never raw markup');
  r = await req(s, 'GET', '/nope', { headers: { accept: 'application/json, text/plain, */*' } });
  assert.equal(r.status, 404);
  assert.deepEqual(r.json, { error: 'no resource at /nope', code: 'NOT_FOUND' });
  r = await req(s, 'GET', '/nope');
  assert.equal((r.json as { code: string }).code, 'NOT_FOUND');
});

test('password form: Origin null (no-referrer pages) passes on the token; a foreign Origin gets the error page', async () => {
  const page = await req(s, 'GET', '/password/ITAPYT999HON', { auth: DEMO.cameron });
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
  const post = (origin: string, password: string) =>
    req(s, 'POST', '/password/ITAPYT999HON', {
      auth: DEMO.cameron,
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
      body: new URLSearchParams({ csrf, password, confirm: password }).toString(),
    });
  let r = await post('http://evil.example', 'evil-password-1');
  assert.equal(r.status, 403);
  assert.match(String(r.headers['content-type']), /^text\/html/);
  assert.match(r.text, /role="alert">The form has expired or did not come from this server/);
  r = await post('null', 'cameron-new-pw');
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, '/');
  assert.equal((await req(s, 'GET', '/login', { auth: basic('ITAPYT999HON', 'cameron-new-pw') })).status, 200);
});
