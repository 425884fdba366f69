import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import pg from 'pg';
import { cpuUs, postgresPids, processTree } from './cpu.js';
import type { LoadResult, Scenario } from './load.js';

/** What the benches share: databases, servers, autocannon runs in a child process, CPU accounting. */

export const ROOT = join(__dirname, '..', '..');
export const BASE_URL = process.env.DATABASE_URL ?? 'postgresql://root@127.0.0.1:5432/postgres';

/** CPU microseconds per request: the server's processes, PostgreSQL's, the load generator's. */
export interface CpuSplit {
  server: number;
  postgres: number;
  load: number;
}

export function log(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export async function createDb(name: string): Promise<string> {
  const c = new pg.Client({ connectionString: BASE_URL });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  const u = new URL(BASE_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function dropDb(name: string): Promise<void> {
  const c = new pg.Client({ connectionString: BASE_URL });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await c.end();
}

export interface Server {
  url: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

let nextPort = 19100;

/** A port for a process this bench starts (baseline, PgBouncer), from the same range as servers. */
export function takePort(): number {
  return nextPort++;
}

export async function waitFor(url: string, proc: ChildProcess, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (proc.exitCode !== null) throw new Error(`${what} exited with ${proc.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const r = request(url, (res) => (res.resume(), resolve((res.statusCode ?? 0) < 500)));
      r.on('error', () => resolve(false));
      r.end();
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not come up`);
}

export async function startThalamus(dbUrl: string, env: Record<string, string>, label: string, workers: number): Promise<Server> {
  const port = nextPort++;
  const out = openSync(join(ROOT, 'bench', 'results', `server-${label}.log`), 'w');
  const proc = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'main.js')], {
    cwd: ROOT,
    stdio: ['ignore', out, out],
    env: { ...process.env, DATABASE_URL: dbUrl, PORT: String(port), HOST: '127.0.0.1', THALAMUS_WORKERS: String(workers), THALAMUS_SEED_DEMO: 'never', ...env },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}/readyz`, proc, `thalamus (${label})`);
  // every worker listens once the start line is out
  for (let i = 0; i < 100 && !readFileSync(join(ROOT, 'bench', 'results', `server-${label}.log`), 'utf8').includes('listening on http'); i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, proc, stop: () => stopProc(proc) };
}

export function stopProc(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null) return resolve();
    proc.once('exit', () => resolve());
    proc.kill('SIGTERM');
    setTimeout(() => proc.kill('SIGKILL'), 15000).unref();
  });
}

export function load(s: Scenario): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(__dirname, 'load.js'), JSON.stringify(s)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as LoadResult) : reject(new Error(`load exited ${code}`))));
  });
}

/** CPU per request of one run, from /proc: the server's process tree and every postgres process. */
export async function withCpu(server: ChildProcess | null, run: () => Promise<LoadResult>): Promise<[LoadResult, CpuSplit]> {
  const serverPids = server?.pid ? processTree(server.pid) : [];
  const pg0 = new Map(postgresPids().map((pid) => [pid, cpuUs([pid])]));
  const s0 = cpuUs(serverPids);
  const r = await run();
  const s1 = cpuUs(serverPids);
  let pg = 0;
  for (const pid of new Set([...pg0.keys(), ...postgresPids()])) {
    const now = cpuUs([pid]);
    // A backend that ended during the run took its counters with it: leave it out.
    if (now > 0) pg += now - (pg0.get(pid) ?? 0);
  }
  const n = Math.max(1, r.total);
  return [r, { server: (s1 - s0) / n, postgres: pg / n, load: r.cpuUsPerRequest }];
}

