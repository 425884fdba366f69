import { request } from 'node:http';
import pg from 'pg';
import type { TestServer } from './server.js';

export interface FreshRes {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One request on a new TCP connection (no agent), so the kernel may hand it to any worker. */
export function fresh(
  server: TestServer,
  method: string,
  path: string,
  opts: { auth?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<FreshRes> {
  const headers: Record<string, string | number> = { ...opts.headers };
  if (opts.auth) headers.authorization = opts.auth;
  const body = opts.body === undefined ? undefined : Buffer.from(opts.body);
  if (body) headers['content-length'] = body.length;
  return new Promise((resolve, reject) => {
    const r = request(server.url + path, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    r.on('error', reject);
    r.end(body);
  });
}

/** Sends `n` requests at once, each on a connection of its own, so they spread over the workers. */
export async function spread(server: TestServer, n: number, method: string, path: string, auth: string): Promise<FreshRes[]> {
  return Promise.all(Array.from({ length: n }, () => fresh(server, method, path, { auth })));
}

/**
 * Launches a sweep of `n` fresh-connection requests every `everyMs` (without waiting for the
 * previous one) until a sweep comes back all in `statuses`. Returns the send time (ms after
 * the call) of the last request still answered otherwise: the change was visible from then
 * on, to within `everyMs`. Throws after `limitMs`.
 */
export async function waitUntilAll(
  server: TestServer,
  n: number,
  method: string,
  path: string,
  auth: string,
  statuses: number[],
  limitMs = 5000,
  everyMs = 50,
): Promise<number> {
  const t0 = performance.now();
  let lastStale = 0;
  let done = false;
  const sweep = async (): Promise<boolean> => {
    const sent = performance.now() - t0;
    const rs = await spread(server, n, method, path, auth);
    const ok = rs.every((r) => statuses.includes(r.status));
    if (!ok) lastStale = Math.max(lastStale, sent);
    return ok;
  };
  // At most two sweeps in flight: refused logins cost a slow hash each, and probing must not
  // become the overload that delays what it measures.
  const inflight = new Set<Promise<void>>();
  while (!done) {
    if (performance.now() - t0 > limitMs) {
      await Promise.all(inflight);
      throw new Error(`still not all ${statuses.join('/')} after ${limitMs} ms`);
    }
    if (inflight.size < 2) {
      const p: Promise<void> = sweep().then((ok) => {
        if (ok) done = true;
        inflight.delete(p);
      });
      inflight.add(p);
    }
    await sleep(everyMs);
  }
  await Promise.all(inflight);
  return lastStale;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Runs `fn` with a client of the test database. */
export async function withDb<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export const HASH_MARKERS = ['$2a$', '$2b$', '$2y$', '$argon2'];
