import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { raw } from '../helpers/raw.js';
import { createDatabase, DEMO, req, startServer, type TestDatabase, type TestServer } from '../helpers/server.js';

/** Issue 5: /metrics over all workers, its allow-list, and X-Forwarded-For only from trusted proxies. */

let db: TestDatabase;
let server: TestServer;
before(async () => {
  db = await createDatabase();
  server = await startServer({ db, workers: 2, env: { THALAMUS_TRUSTED_PROXIES: '127.0.0.1' } });
});
after(async () => {
  await server?.stop();
  await db.drop();
});

test('GET /metrics sums every worker: requests by route and status, latency, auth, pool, workers', async () => {
  // Fresh connections, so the requests land on both workers.
  const wrong = 'Basic ' + Buffer.from('ITAPYT999HON:wrong').toString('base64');
  for (let i = 0; i < 10; i++) {
    assert.deepEqual((await raw(server.port, [`GET /people/ITAPYT999HON HTTP/1.1\r\nHost: x\r\nAuthorization: ${DEMO.cameron}\r\n\r\n`])).statuses, [200]);
    assert.deepEqual((await raw(server.port, [`GET /people/ITAPYT999HON HTTP/1.1\r\nHost: x\r\nAuthorization: ${wrong}\r\n\r\n`])).statuses, [401]);
  }
  const r = await req(server, 'GET', '/metrics');
  assert.equal(r.status, 200);
  assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  assert.match(r.text, /^thalamus_http_requests_total\{method="GET",route="\/people\/\{person\}",status="200"\} 10$/m);
  assert.match(r.text, /^thalamus_http_requests_total\{method="GET",route="\/people\/\{person\}",status="401"\} 10$/m);
  assert.match(r.text, /^thalamus_http_request_duration_seconds_count\{route="\/people\/\{person\}"\} 20$/m);
  assert.match(r.text, /^thalamus_auth_failures_total 10$/m);
  assert.match(r.text, /^thalamus_workers 2$/m);
  assert.match(r.text, /^thalamus_worker_restarts_total 0$/m);
  assert.match(r.text, /^thalamus_db_pool_connections \d+$/m);
  assert.match(r.text, /^thalamus_auth_cache_hit_ratio 0\.\d+|^thalamus_auth_cache_hit_ratio [01]$/m);
  assert.doesNotMatch(r.text, /ITAPYT999HON/, 'raw paths never become labels');
});

test('/metrics is refused to a client behind a trusted proxy that is not in metricsAllow', async () => {
  const r = await req(server, 'GET', '/metrics', { headers: { 'x-forwarded-for': '203.0.113.9' } });
  assert.equal(r.status, 403);
  assert.ok((r.json as { error?: string }).error);
});

test('X-Forwarded-For from a trusted proxy names the client in the request log', async () => {
  await req(server, 'GET', '/healthz', { headers: { 'x-forwarded-for': '198.51.100.23, 127.0.0.1' } });
  const seen = async (): Promise<boolean> => server.logs.some((l) => l.includes('"remote":"198.51.100.23"'));
  const end = Date.now() + 5000;
  while (!(await seen()) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  assert.ok(await seen(), 'the forwarded client address is logged');
});
