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
 * Repeats `spread` until every answer is one of `statuses`; returns when the first such sweep
 * was sent (ms after the call), or throws after `limitMs`.
 */
export async function waitUntilAll(
  server: TestServer,
  n: number,
  method: string,
  path: string,
  auth: string,
  statuses: number[],
  limitMs = 5000,
): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    const sent = performance.now() - t0;
    const rs = await spread(server, n, method, path, auth);
    if (rs.every((r) => statuses.includes(r.status))) return sent;
    if (performance.now() - t0 > limitMs) throw new Error(`after ${Math.round(sent)} ms still ${rs.map((r) => r.status).join(',')}`);
    await sleep(10);
  }
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
