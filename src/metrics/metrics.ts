/**
 * Per-worker counters kept in plain maps and arrays so the hot path only adds numbers; the
 * primary sums every worker's snapshot when /metrics is scraped (see aggregate.ts).
 */

/** Latency histogram bounds in seconds (Prometheus `le`). */
export const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What one worker sends to the primary: all plain data, so it crosses IPC as JSON. */
export interface MetricsSnapshot {
  /** `method route status` → count. */
  requests: Record<string, number>;
  /** route → [bucket counts..., +Inf count, sum in seconds]. */
  latency: Record<string, number[]>;
  authCacheHits: number;
  authCacheMisses: number;
  authFailures: number;
  poolTotal: number;
  poolIdle: number;
  poolWaiting: number;
  /** Requests for a pooled connection that found none free and had to queue. */
  poolWaits: number;
  inflight: number;
}

export class Metrics {
  private readonly _requests = new Map<string, number>();
  private readonly _latency = new Map<string, number[]>();
  authCacheHits = 0;
  authCacheMisses = 0;
  authFailures = 0;
  poolWaits = 0;

  observe(method: string, route: string, status: number, seconds: number): void {
    const key = method + ' ' + route + ' ' + status;
    this._requests.set(key, (this._requests.get(key) ?? 0) + 1);
    let h = this._latency.get(route);
    if (!h) {
      h = new Array<number>(LATENCY_BUCKETS.length + 2).fill(0);
      this._latency.set(route, h);
    }
    let i = 0;
    while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]) i++;
    h[i]++; // non-cumulative here; made cumulative when rendered
    h[LATENCY_BUCKETS.length + 1] += seconds;
  }

  snapshot(pool: { totalCount: number; idleCount: number; waitingCount: number }, inflight: number): MetricsSnapshot {
    return {
      requests: Object.fromEntries(this._requests),
      latency: Object.fromEntries(this._latency),
      authCacheHits: this.authCacheHits,
      authCacheMisses: this.authCacheMisses,
      authFailures: this.authFailures,
      poolTotal: pool.totalCount,
      poolIdle: pool.idleCount,
      poolWaiting: pool.waitingCount,
      poolWaits: this.poolWaits,
      inflight,
    };
  }
}

/** Process-wide counters the primary adds. */
export interface PrimaryCounters {
  workerRestarts: number;
  workersAlive: number;
  reloads: number;
  reloadFailures: number;
}

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Sums worker snapshots and renders Prometheus text exposition format 0.0.4. */
export function renderPrometheus(snaps: MetricsSnapshot[], primary: PrimaryCounters): string {
  const requests = new Map<string, number>();
  const latency = new Map<string, number[]>();
  let hits = 0;
  let misses = 0;
  let failures = 0;
  let total = 0;
  let idle = 0;
  let waiting = 0;
  let waits = 0;
  let inflight = 0;
  for (const s of snaps) {
    for (const [k, v] of Object.entries(s.requests)) requests.set(k, (requests.get(k) ?? 0) + v);
    for (const [route, h] of Object.entries(s.latency)) {
      const acc = latency.get(route) ?? new Array<number>(h.length).fill(0);
      for (let i = 0; i < h.length; i++) acc[i] += h[i];
      latency.set(route, acc);
    }
    hits += s.authCacheHits;
    misses += s.authCacheMisses;
    failures += s.authFailures;
    total += s.poolTotal;
    idle += s.poolIdle;
    waiting += s.poolWaiting;
    waits += s.poolWaits;
    inflight += s.inflight;
  }
  const out: string[] = [];
  const metric = (name: string, type: string, help: string): void => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  };
  metric('thalamus_http_requests_total', 'counter', 'HTTP requests answered, by method, route pattern and status.');
  for (const [k, v] of requests) {
    const [method, route, status] = k.split(' ');
    out.push(`thalamus_http_requests_total{method="${esc(method)}",route="${esc(route)}",status="${status}"} ${v}`);
  }
  metric('thalamus_http_request_duration_seconds', 'histogram', 'Time from request to reply, by route pattern.');
  for (const [route, h] of latency) {
    let cum = 0;
    const r = esc(route);
    for (let i = 0; i < LATENCY_BUCKETS.length; i++) {
      cum += h[i];
      out.push(`thalamus_http_request_duration_seconds_bucket{route="${r}",le="${LATENCY_BUCKETS[i]}"} ${cum}`);
    }
    cum += h[LATENCY_BUCKETS.length];
    out.push(`thalamus_http_request_duration_seconds_bucket{route="${r}",le="+Inf"} ${cum}`);
    out.push(`thalamus_http_request_duration_seconds_sum{route="${r}"} ${h[LATENCY_BUCKETS.length + 1]}`);
    out.push(`thalamus_http_request_duration_seconds_count{route="${r}"} ${cum}`);
  }
  metric('thalamus_http_requests_in_flight', 'gauge', 'Requests being handled now.');
  out.push(`thalamus_http_requests_in_flight ${inflight}`);
  metric('thalamus_auth_cache_hits_total', 'counter', 'Requests authenticated from the credential cache.');
  out.push(`thalamus_auth_cache_hits_total ${hits}`);
  metric('thalamus_auth_cache_misses_total', 'counter', 'Requests that needed the database and a slow hash.');
  out.push(`thalamus_auth_cache_misses_total ${misses}`);
  metric('thalamus_auth_cache_hit_ratio', 'gauge', 'hits / (hits + misses) since start.');
  out.push(`thalamus_auth_cache_hit_ratio ${hits + misses ? hits / (hits + misses) : 0}`);
  metric('thalamus_auth_failures_total', 'counter', 'Requests answered 401.');
  out.push(`thalamus_auth_failures_total ${failures}`);
  metric('thalamus_db_pool_connections', 'gauge', 'PostgreSQL connections open, summed over workers.');
  out.push(`thalamus_db_pool_connections ${total}`);
  metric('thalamus_db_pool_idle_connections', 'gauge', 'Idle pooled connections.');
  out.push(`thalamus_db_pool_idle_connections ${idle}`);
  metric('thalamus_db_pool_waiting_clients', 'gauge', 'Requests queued for a pooled connection now.');
  out.push(`thalamus_db_pool_waiting_clients ${waiting}`);
  metric('thalamus_db_pool_waits_total', 'counter', 'Connection requests that had to queue.');
  out.push(`thalamus_db_pool_waits_total ${waits}`);
  metric('thalamus_workers', 'gauge', 'Worker processes alive.');
  out.push(`thalamus_workers ${primary.workersAlive}`);
  metric('thalamus_workers_reporting', 'gauge', 'Workers whose counters are in this scrape.');
  out.push(`thalamus_workers_reporting ${snaps.length}`);
  metric('thalamus_worker_restarts_total', 'counter', 'Workers that died unexpectedly and were replaced.');
  out.push(`thalamus_worker_restarts_total ${primary.workerRestarts}`);
  metric('thalamus_reloads_total', 'counter', 'Successful SIGHUP reloads.');
  out.push(`thalamus_reloads_total ${primary.reloads}`);
  metric('thalamus_reload_failures_total', 'counter', 'SIGHUP reloads rejected (broken config) or aborted.');
  out.push(`thalamus_reload_failures_total ${primary.reloadFailures}`);
  return out.join('\n') + '\n';
}
