import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import pg from 'pg';

export const ROOT = join(__dirname, '..', '..', '..');
const MAIN = join(ROOT, 'dist', 'src', 'main.js');

/** A database of a test's own: env to hand to the server, and how to throw it away. */
export interface TestDatabase {
  env: Record<string, string>;
  /** A URL this test process can query; null for the server-owned embedded database. */
  url: string | null;
  kind: 'postgres' | 'embedded';
  drop(): Promise<void>;
}

/**
 * With DATABASE_URL set (CI's first pass): a fresh database on that server, dropped afterwards.
 * Without it: the server's own embedded PGlite in a temporary data directory.
 */
export async function createDatabase(): Promise<TestDatabase> {
  const base = process.env.DATABASE_URL;
  if (!base) {
    const dir = mkdtempSync(join(tmpdir(), 'thalamus-test-'));
    return { env: { THALAMUS_DATA_DIR: dir }, url: null, kind: 'embedded', drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `thalamus_t_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(base);
  u.pathname = `/${name}`;
  const url = u.toString();
  return {
    env: { DATABASE_URL: url, THALAMUS_SEED_DEMO: 'always' },
    url,
    kind: 'postgres',
    async drop() {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/**
 * A database that several server instances can share: a fresh PostgreSQL database, or without
 * DATABASE_URL a PGlite socket server in this test process (one shared session, so named
 * prepared statements are off, as for the server's own embedded mode).
 */
export async function createSharedDatabase(): Promise<TestDatabase & { url: string }> {
  if (process.env.DATABASE_URL) {
    const db = await createDatabase();
    return db as TestDatabase & { url: string };
  }
  const dir = mkdtempSync(join(tmpdir(), 'thalamus-shared-'));
  const { startEmbedded } = await import('../../src/db/embedded.js');
  const emb = await startEmbedded(dir);
  return {
    env: { DATABASE_URL: emb.url, THALAMUS_PREPARED_STATEMENTS: 'false', THALAMUS_SEED_DEMO: 'always' },
    url: emb.url,
    kind: 'embedded',
    async drop() {
      await emb.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface TestServer {
  url: string;
  port: number;
  proc: ChildProcess;
  /** stdout and stderr lines so far. */
  logs: string[];
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface StartOptions {
  db: TestDatabase;
  workers?: number;
  transport?: 'uws' | 'node';
  env?: Record<string, string>;
  timeoutMs?: number;
}

/** Starts `node dist/src/main.js` (primary + workers) and waits until every worker listens. */
export async function startServer(opts: StartOptions): Promise<TestServer> {
  const port = await freePort();
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    PORT: String(port),
    HOST: '127.0.0.1',
    THALAMUS_WORKERS: String(opts.workers ?? 2),
    THALAMUS_TRANSPORT: opts.transport ?? 'uws',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'info',
    ...opts.db.env,
    ...opts.env,
  };
  if (!opts.db.env.DATABASE_URL) delete env.DATABASE_URL;
  const proc = spawn(process.execPath, [MAIN], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: string[] = [];
  let exited = false;
  const exit = new Promise<number | null>((resolve) => proc.once('exit', (code) => ((exited = true), resolve(code))));
  const ready = new Promise<void>((resolve, reject) => {
    const onLine = (line: string): void => {
      logs.push(line);
      if (line.includes('listening on http')) resolve();
    };
    for (const stream of [proc.stdout, proc.stderr]) {
      let buf = '';
      stream?.on('data', (d: Buffer) => {
        buf += d.toString();
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          onLine(buf.slice(0, i));
          buf = buf.slice(i + 1);
        }
      });
    }
    void exit.then((code) => reject(new Error(`server exited with ${code} before listening:\n${logs.join('\n')}`)));
  });
  const timeoutMs = opts.timeoutMs ?? 60000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`server not ready after ${timeoutMs} ms:\n${logs.join('\n')}`)), timeoutMs);
  });
  try {
    await Promise.race([ready, timeout]);
  } catch (err) {
    proc.kill('SIGKILL');
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    proc,
    logs,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (exited) return proc.exitCode;
      proc.kill(signal);
      const t = setTimeout(() => proc.kill('SIGKILL'), 20000);
      const code = await exit;
      clearTimeout(t);
      return code;
    },
  };
}

/** `Authorization` header value for HTTP Basic. */
export function basic(id: string, password: string): string {
  return 'Basic ' + Buffer.from(`${id}:${password}`).toString('base64');
}

export const DEMO = {
  cameron: basic('ITAPYT999HON', 'gnusolidario'),
  root: basic('ARGBUE111FAV', 'freedom'),
  ana: basic('ESPGNU777ORG', 'gnusolidario'),
};
export const ANA_BIRTH_PAGE = '119b352e-8e4f-4847-9f05-53462cf94f10';
export const ANA_CERT_PAGE = '919c352f-7e4f-5341-7c22-8423acf76b32';
export const ANA_PICTURE = '8789981f-4e31-48d5-8eb8-1774dac8b8f6';

export interface Res {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
  json: unknown;
}

const agent = new Agent({ keepAlive: true, maxSockets: 32 });

/**
 * One HTTP request through node:http, so the test controls every header: no Content-Type is
 * added unless asked (the HMIS and MyGNUHealth send none). Never throws on status.
 */
export function req(
  server: TestServer | string,
  method: string,
  path: string,
  opts: { auth?: string; body?: string | Buffer | object; headers?: Record<string, string> } = {},
): Promise<Res> {
  const base = typeof server === 'string' ? server : server.url;
  const headers: Record<string, string | number> = { ...opts.headers };
  if (opts.auth) headers.authorization = opts.auth;
  let body: Buffer | undefined;
  if (opts.body !== undefined) {
    body = Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body));
    headers['content-length'] = body.length;
  }
  return new Promise((resolve, reject) => {
    const r = request(base + path, { method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        const text = buf.toString('utf8');
        let json: unknown = undefined;
        try {
          json = JSON.parse(text);
        } catch {
          // not JSON
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: buf, text, json });
      });
      res.on('error', reject);
    });
    r.on('error', reject);
    r.end(body);
  });
}
