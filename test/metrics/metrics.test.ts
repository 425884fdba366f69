import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Metrics, renderPrometheus } from '../../src/metrics/metrics.js';

test('worker snapshots are summed into one Prometheus text', () => {
  const pool = { totalCount: 2, idleCount: 1, waitingCount: 0 };
  const a = new Metrics();
  const b = new Metrics();
  a.observe('GET', '/people/{person}', 200, 0.003);
  a.observe('GET', '/people/{person}', 200, 0.2);
  b.observe('GET', '/people/{person}', 200, 0.004);
  b.observe('POST', '/pols/{person}/{page}', 503, 2);
  a.authCacheHits = 3;
  b.authCacheMisses = 1;
  b.authFailures = 1;
  const text = renderPrometheus([a.snapshot(pool, 1), b.snapshot(pool, 0)], { workerRestarts: 2, workersAlive: 2, reloads: 1, reloadFailures: 0 });
  assert.match(text, /^thalamus_http_requests_total\{method="GET",route="\/people\/\{person\}",status="200"\} 3$/m);
  assert.match(text, /^thalamus_http_requests_total\{method="POST",route="\/pols\/\{person\}\/\{page\}",status="503"\} 1$/m);
  assert.match(text, /^thalamus_http_request_duration_seconds_bucket\{route="\/people\/\{person\}",le="0.005"\} 2$/m);
  assert.match(text, /^thalamus_http_request_duration_seconds_bucket\{route="\/people\/\{person\}",le="\+Inf"\} 3$/m);
  assert.match(text, /^thalamus_http_request_duration_seconds_count\{route="\/people\/\{person\}"\} 3$/m);
  assert.match(text, /^thalamus_auth_cache_hit_ratio 0.75$/m);
  assert.match(text, /^thalamus_auth_failures_total 1$/m);
  assert.match(text, /^thalamus_db_pool_connections 4$/m);
  assert.match(text, /^thalamus_worker_restarts_total 2$/m);
  assert.match(text, /^thalamus_http_requests_in_flight 1$/m);
});
