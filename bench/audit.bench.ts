import { mkdirSync, writeFileSync } from 'node:fs';
import pg from 'pg';
import { join } from 'node:path';
import { Hasher } from '../src/auth/hash.js';
import { migrate } from '../src/db/migrate.js';
import { BENCH_PASSWORD, fill } from './data.js';
import { createDb, dropDb, load, log, median, ROOT, startThalamus, withCpu, type CpuSplit, type Server } from './harness.js';
import type { LoadResult } from './load.js';

/**
 * Authenticated GET /people/{id} over random IDs with the audit trail on and off, same run.
 * Both servers run at once on one database (the idle one costs nothing measurable) and the
 * runs alternate in short rounds, off-on then on-off (ABBA), so the machine's drift hits both
 * alike and a slow spell is shared by the two runs of a pair; autocannon runs in its own
 * process. The request log is off in both, so the difference is the audit trail alone.
 * The cost is given as the median of the per-pair costs and as the ratio of the medians.
 * Usage: npm run bench:audit [-- seconds rounds]   (DATABASE_URL: the PostgreSQL to use)
 */

const seconds = Number(process.argv[2] ?? 6);
const rounds = Number(process.argv[3] ?? 12);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const PEOPLE = 100_000;

interface Run {
  audit: 'off' | 'on';
  result: LoadResult;
  cpu: CpuSplit;
}

async function main(): Promise<void> {
  const name = `thalamus_bench_audit_${process.pid}`;
  const url = await createDb(name);
  const servers: Server[] = [];
  try {
    await migrate(url);
    await fill(url, PEOPLE, 0, await new Hasher(1).hash(BENCH_PASSWORD));
    const quiet = { THALAMUS_LOG_SAMPLE_RATE: '0' };
    const off = await startThalamus(url, { ...quiet, THALAMUS_AUDIT: 'false' }, 'audit-off', WORKERS);
    servers.push(off);
    const on = await startThalamus(url, { ...quiet, THALAMUS_AUDIT: 'true' }, 'audit-on', WORKERS);
    servers.push(on);
    const runs: Run[] = [];
    const one = async (audit: 'off' | 'on', s: Server, duration: number): Promise<Run> => {
      const [result, cpu] = await withCpu(s.proc, () => load({ url: s.url, kind: 'get-person', connections: CONNECTIONS, duration, people: PEOPLE, accounts: 1 }));
      return { audit, result, cpu };
    };
    // Warm both (credential caches, JIT, prepared statements) before anything counts.
    await one('off', off, 2);
    await one('on', on, 2);
    for (let i = 0; i < rounds; i++) {
      const order = i % 2 === 0 ? ([['off', off], ['on', on]] as const) : ([['on', on], ['off', off]] as const);
      for (const [audit, s] of order) {
        const r = await one(audit, s, seconds);
        runs.push(r);
        log(`audit ${audit} #${i + 1}: ${Math.round(r.result.rps)} req/s, p99 ${r.result.p99} ms, CPU µs/request server ${r.cpu.server.toFixed(1)} PostgreSQL ${r.cpu.postgres.toFixed(1)}`);
      }
    }
    const pick = (a: 'off' | 'on'): Run[] => runs.filter((r) => r.audit === a);
    const rps = (a: 'off' | 'on'): number => median(pick(a).map((r) => r.result.rps));
    const pairCosts = pick('off').map((r, i) => 1 - pick('on')[i].result.rps / r.result.rps);
    const cpu = (a: 'off' | 'on', k: keyof CpuSplit): string => median(pick(a).map((r) => r.cpu[k])).toFixed(1);
    const lines = [
      `GET /people/{id} over ${PEOPLE} people, ${CONNECTIONS} connections, ${WORKERS} workers, ${rounds} × ${seconds} s alternating, request log off in both`,
      '| audit | req/s (median) | p99 ms (median) | CPU µs/req server | PostgreSQL | autocannon |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      ...(['off', 'on'] as const).map((a) => `| ${a} | ${Math.round(rps(a))} | ${median(pick(a).map((r) => r.result.p99))} | ${cpu(a, 'server')} | ${cpu(a, 'postgres')} | ${cpu(a, 'load')} |`),
      `audit cost: ${(median(pairCosts) * 100).toFixed(1)} % of throughput (median of the ${pairCosts.length} pairs), ${((1 - rps('on') / rps('off')) * 100).toFixed(1)} % (ratio of the medians)`,
      `per pair: ${pairCosts.map((c) => (c * 100).toFixed(1) + ' %').join(', ')}`,
    ];
    // PostgreSQL's own upkeep of the growing table counts in its CPU above: say how much ran.
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const st = (await c.query<{ b: string; r: string; p: string; v: string }>(
      `SELECT (SELECT count(*) FROM audit_batch)::text AS b, (SELECT coalesce(sum(cardinality(persons)), 0) FROM audit_batch)::text AS r,
         (SELECT count(*) FROM audit_person)::text AS p,
         (SELECT coalesce(sum(autovacuum_count + autoanalyze_count), 0) FROM pg_stat_user_tables WHERE relname IN ('audit_batch', 'audit_person'))::text AS v`,
    )).rows[0];
    await c.end();
    lines.push(`audit trail: ${st.r} records in ${st.b} batch rows, ${st.p} person index rows, ${st.v} autovacuum/autoanalyze runs on them during the bench`);
    process.stdout.write(lines.join('\n') + '\n');
    mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    writeFileSync(join(ROOT, 'bench', 'results', `audit-${stamp}.json`), JSON.stringify({ stamp, seconds, rounds, workers: WORKERS, connections: CONNECTIONS, runs }, null, 2));
  } finally {
    for (const s of servers) await s.stop();
    await dropDb(name).catch(() => undefined);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`audit bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
