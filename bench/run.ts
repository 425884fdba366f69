import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { request } from 'node:http';
import { join } from 'node:path';
import { Hasher } from '../src/auth/hash.js';
import { migrate } from '../src/db/migrate.js';
import { createDb, dropDb, load, log, median, ROOT, startThalamus, stopProc, takePort, waitFor, withCpu, type CpuSplit, type Server } from './harness.js';
import { BENCH_PASSWORD, fill, personId } from './data.js';
import type { LoadResult, Scenario } from './load.js';

/**
 * `npm run bench`: fresh databases filled with SQL, the server started per configuration,
 * autocannon in its own process per run, the median of N runs, one table, and a JSON file
 * under bench/results/. `npm run bench -- --smoke` is the 5-second CI version.
 */

const args = new Set(process.argv.slice(2));
const SMOKE = args.has('--smoke');
const RUNS = SMOKE ? 1 : Number(process.env.BENCH_RUNS ?? 3);
const DURATION = SMOKE ? 1 : Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 2);
const PEOPLE = SMOKE ? 2_000 : 100_000;
const BIG = SMOKE ? 20_000 : 1_000_000;
const ACCOUNTS = 300;

interface Row {
  scenario: string;
  rps?: number;
  p50?: number;
  p99?: number;
  ratio?: number;
  non2xx?: number;
  errors?: number;
  /** CPU microseconds per request: the server's processes, PostgreSQL's, the load generator's. */
  cpu?: CpuSplit;
  note?: string;
}

async function measure(name: string, server: ChildProcess | null, s: Omit<Scenario, 'duration' | 'connections' | 'people' | 'accounts'> & Partial<Scenario>): Promise<Row> {
  const results: Array<[LoadResult, Row['cpu']]> = [];
  for (let i = 0; i < RUNS; i++) {
    results.push(await withCpu(server, () => load({ duration: DURATION, connections: CONNECTIONS, people: PEOPLE, accounts: ACCOUNTS, ...s })));
  }
  const loads = results.map(([r]) => r);
  const cpus = results.map(([, c]) => c!);
  const row: Row = {
    scenario: name,
    rps: Math.round(median(loads.map((r) => r.rps))),
    p50: median(loads.map((r) => r.p50)),
    p99: median(loads.map((r) => r.p99)),
    non2xx: loads.reduce((a, r) => a + r.non2xx, 0),
    errors: loads.reduce((a, r) => a + r.errors, 0),
    cpu: { server: median(cpus.map((c) => c.server)), postgres: median(cpus.map((c) => c.postgres)), load: median(cpus.map((c) => c.load)) },
  };
  log(`${name}: ${row.rps} req/s, p99 ${row.p99} ms, non-2xx ${row.non2xx}, CPU µs/request server ${row.cpu!.server.toFixed(1)} PostgreSQL ${row.cpu!.postgres.toFixed(1)} load ${row.cpu!.load.toFixed(1)}`);
  return row;
}

function workerPids(primary: ChildProcess): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(primary.pid)]).toString().trim().split('\n').map(Number).filter(Boolean);
  } catch {
    return [];
  }
}

function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Streams GET /people once: time to first byte, MB/s, peak RSS of any worker. */
async function collection(server: Server, auth: string, label: string): Promise<Row> {
  const pids = workerPids(server.proc);
  const ttfbs: number[] = [];
  const rates: number[] = [];
  let peak = 0;
  let rows = 0;
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    let first = 0;
    let bytes = 0;
    const timer = setInterval(() => (peak = Math.max(peak, ...pids.map(rssMb))), 50);
    await new Promise<void>((resolve, reject) => {
      const r = request(`${server.url}/people`, { headers: { authorization: auth } }, (res) => {
        res.on('data', (c: Buffer) => {
          if (!first) first = Number(process.hrtime.bigint() - t0) / 1e6;
          bytes += c.length;
        });
        res.on('end', resolve);
        res.on('error', reject);
      });
      r.on('error', reject);
      r.end();
    });
    clearInterval(timer);
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    ttfbs.push(first);
    rates.push(bytes / 1e6 / secs);
    rows = Math.round(bytes / 200);
  }
  const row: Row = {
    scenario: label,
    note: `${median(rates).toFixed(1)} MB/s, first byte ${median(ttfbs).toFixed(1)} ms, peak worker RSS ${peak.toFixed(0)} MB`,
  };
  log(`${label}: ${row.note} (~${rows} rows)`);
  return row;
}

async function withPgbouncer(dbUrl: string, fn: (url: string) => Promise<void>): Promise<string | null> {
  let bin = '';
  try {
    bin = execFileSync('sh', ['-c', 'command -v pgbouncer || ls /usr/sbin/pgbouncer']).toString().trim();
  } catch {
    return 'pgbouncer not installed (apt-get install pgbouncer)';
  }
  const u = new URL(dbUrl);
  // pgbouncer refuses to run as root: run it as postgres, from a directory postgres owns.
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'thalamus-pgbouncer-'));
  if (asRoot) execFileSync('chown', ['postgres', dir]);
  const port = 16432;
  const ini = join(dir, 'pgbouncer-bench.ini');
  writeFileSync(
    ini,
    `[databases]\n${u.pathname.slice(1)} = host=${u.hostname} port=${u.port || 5432} dbname=${u.pathname.slice(1)} user=${u.username || 'root'}\n` +
      `[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = ${port}\nauth_type = trust\nauth_file = ${join(dir, 'pgbouncer-users.txt')}\n` +
      `pool_mode = transaction\nmax_client_conn = 1000\ndefault_pool_size = ${WORKERS * 10}\nignore_startup_parameters = extra_float_digits,statement_timeout,application_name\n` +
      `unix_socket_dir =\nlogfile = ${join(dir, 'pgbouncer.log')}\n`,
  );
  writeFileSync(join(dir, 'pgbouncer-users.txt'), `"${u.username || 'root'}" ""\n`);
  const uid = asRoot ? Number(execFileSync('id', ['-u', 'postgres']).toString()) : undefined;
  const gid = asRoot ? Number(execFileSync('id', ['-g', 'postgres']).toString()) : undefined;
  const proc = spawn(bin, [ini], { stdio: 'inherit', uid, gid });
  await new Promise((r) => setTimeout(r, 1000));
  if (proc.exitCode !== null) return `pgbouncer exited with ${proc.exitCode}; see ${join(dir, 'pgbouncer.log')}`;
  try {
    await fn(`postgresql://${u.username || 'root'}@127.0.0.1:${port}${u.pathname}`);
  } finally {
    proc.kill('SIGTERM');
  }
  return null;
}

async function main(): Promise<void> {
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const mainName = `thalamus_bench_${process.pid}`;
  const bigName = `thalamus_bench_big_${process.pid}`;
  const rows: Row[] = [];
  const hash = await new Hasher(1).hash(BENCH_PASSWORD);
  log(`filling ${PEOPLE} people × 5 pages and ${BIG} people (collection scenario)`);
  const mainUrl = await createDb(mainName);
  const bigUrl = await createDb(bigName);
  try {
    await migrate(mainUrl);
    await migrate(bigUrl);
    const t0 = Date.now();
    await fill(mainUrl, PEOPLE, 5, hash);
    await fill(bigUrl, BIG, 0, hash);
    log(`filled in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const auth = 'Basic ' + Buffer.from(`${personId(1)}:${BENCH_PASSWORD}`).toString('base64');

    // (9) the ceiling, first, in the same run
    const basePort = takePort();
    const baseline = spawn(process.execPath, [join(__dirname, 'baseline-uws.js'), String(basePort), String(WORKERS), mainUrl], { stdio: 'ignore' });
    await waitFor(`http://127.0.0.1:${basePort}/people/${personId(1)}`, baseline, 'baseline');
    const ceiling = await measure('9 bare uWS + pg baseline (GET /people/{id}, no auth)', baseline, { url: `http://127.0.0.1:${basePort}`, kind: 'baseline' });
    await stopProc(baseline);

    const a = await startThalamus(mainUrl, {}, 'uws', WORKERS);
    rows.push(await measure('1 GET /people/{id}, cached auth, uWS', a.proc, { url: a.url, kind: 'get-person' }));
    rows.push(await measure('3 GET /pols/{id} (5 pages)', a.proc, { url: a.url, kind: 'get-book' }));
    rows.push(await measure('4 POST /pols/{id}/{page}', a.proc, { url: a.url, kind: 'post-page' }));
    rows.push(await measure('5 PATCH /people/{id}', a.proc, { url: a.url, kind: 'patch-person' }));
    rows.push(await measure(`6 mixed 80/15/5 as ${ACCOUNTS} accounts`, a.proc, { url: a.url, kind: 'mixed' }));
    // (11) cold logins and cached traffic at the same time
    const [cold, hot] = await Promise.all([
      load({ url: a.url, kind: 'cold-login', duration: DURATION, connections: CONNECTIONS, people: PEOPLE, accounts: ACCOUNTS }),
      load({ url: a.url, kind: 'get-person', duration: DURATION, connections: CONNECTIONS, people: PEOPLE, accounts: ACCOUNTS }),
    ]);
    rows.push({ scenario: '11 cached GET while 50 connections send cold logins', rps: Math.round(hot.rps), p50: hot.p50, p99: hot.p99, non2xx: hot.non2xx, errors: hot.errors, note: `cold logins: ${Math.round(cold.rps)} req/s, p99 ${cold.p99} ms` });
    await a.stop();

    // The collection on a fresh server: RSS measured after scenarios 1-6 would be theirs.
    const a3 = await startThalamus(mainUrl, {}, 'collection', WORKERS);
    rows.push(await collection(a3, auth, `7a GET /people, ${PEOPLE} rows`));
    await a3.stop();

    // The request path alone: no audit row and no log line per request (both cost a write).
    const lean = { THALAMUS_AUDIT: 'false', THALAMUS_LOG_SAMPLE_RATE: '0' };
    const a2 = await startThalamus(mainUrl, lean, 'uws-lean', WORKERS);
    rows.push(await measure('1b GET /people/{id}, cached auth, uWS, audit off, no request log', a2.proc, { url: a2.url, kind: 'get-person' }));
    await a2.stop();
    const c2 = await startThalamus(mainUrl, { ...lean, THALAMUS_TRANSPORT: 'node' }, 'node-lean', WORKERS);
    rows.push(await measure('8b GET /people/{id}, cached auth, node:http, audit off, no request log', c2.proc, { url: c2.url, kind: 'get-person' }));
    await c2.stop();

    const b = await startThalamus(mainUrl, { THALAMUS_AUTH_CACHE_SIZE: '0' }, 'nocache', WORKERS);
    rows.push(await measure('2 GET /people/{id}, cache off (argon2id per request)', b.proc, { url: b.url, kind: 'get-person' }));
    await b.stop();

    const c = await startThalamus(mainUrl, { THALAMUS_TRANSPORT: 'node' }, 'node', WORKERS);
    rows.push(await measure('8 GET /people/{id}, cached auth, node:http', c.proc, { url: c.url, kind: 'get-person' }));
    await c.stop();

    const note = await withPgbouncer(mainUrl, async (bouncerUrl) => {
      const d = await startThalamus(bouncerUrl, { THALAMUS_PREPARED_STATEMENTS: 'false', THALAMUS_MIGRATE_ON_START: 'false' }, 'pgbouncer', WORKERS);
      rows.push(await measure('10 GET /people/{id} through PgBouncer (transaction mode)', d.proc, { url: d.url, kind: 'get-person' }));
      await d.stop();
    });
    if (note) rows.push({ scenario: '10 GET /people/{id} through PgBouncer', note: `skipped: ${note}` });

    const e = await startThalamus(bigUrl, {}, 'big', WORKERS);
    rows.push(await collection(e, auth, `7b GET /people, ${BIG} rows`));
    await e.stop();

    rows.push(ceiling);
    for (const r of rows) if (r.rps !== undefined && ceiling.rps) r.ratio = r.rps / ceiling.rps;
    rows.sort((x, y) => parseFloat(x.scenario) - parseFloat(y.scenario) || x.scenario.localeCompare(y.scenario));
    const uws = rows.find((r) => r.scenario.startsWith('1 '));
    const node = rows.find((r) => r.scenario.startsWith('8 '));
    const uwsLean = rows.find((r) => r.scenario.startsWith('1b '));
    const nodeLean = rows.find((r) => r.scenario.startsWith('8b '));
    const cpuCell = (r: Row): string => (r.cpu ? `${r.cpu.server.toFixed(0)} / ${r.cpu.postgres.toFixed(0)} / ${r.cpu.load.toFixed(0)}` : '');

    const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
    const lines = [
      `Thalamus bench ${stamp}${SMOKE ? ' (SMOKE: tiny data, 1 s runs — not a measurement)' : ''}`,
      `machine: ${machine}; ${WORKERS} workers; autocannon in its own process on the same cores; ${CONNECTIONS} connections, ${DURATION} s × ${RUNS} runs, median`,
      '',
      '| scenario | req/s | p50 ms | p99 ms | vs ceiling | CPU µs/req server / PostgreSQL / autocannon | non-2xx | errors | notes |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
      ...rows.map((r) => `| ${r.scenario} | ${r.rps ?? ''} | ${r.p50 ?? ''} | ${r.p99 ?? ''} | ${r.ratio !== undefined ? (r.ratio * 100).toFixed(0) + ' %' : ''} | ${cpuCell(r)} | ${r.non2xx ?? ''} | ${r.errors ?? ''} | ${r.note ?? ''} |`),
      '',
      uws?.rps && node?.rps ? `uWS / node:http transport: ${(uws.rps / node.rps).toFixed(2)} × (defaults), ${uwsLean?.rps && nodeLean?.rps ? (uwsLean.rps / nodeLean.rps).toFixed(2) : '?'} × (audit off, no request log)` : '',
    ];
    process.stdout.write(lines.join('\n') + '\n');
    writeFileSync(join(ROOT, 'bench', 'results', `${stamp}.json`), JSON.stringify({ stamp, smoke: SMOKE, machine, workers: WORKERS, connections: CONNECTIONS, duration: DURATION, runs: RUNS, rows }, null, 2));
  } finally {
    await dropDb(mainName).catch(() => undefined);
    await dropDb(bigName).catch(() => undefined);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
