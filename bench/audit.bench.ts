/**
 * Authenticated GET /people/{id} with the audit trail on and off, same run, same database.
 * Usage: npm run build && node dist/bench/audit.bench.js [seconds] [connections] [rounds]
 * Rounds alternate off/on so drift in the machine's load hits both alike.
 * Uses DATABASE_URL when set (a fresh database on it), else the embedded database.
 */
import { createDatabase, DEMO, req, startServer, type TestDatabase } from '../test/helpers/server.js';

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;
// autocannon ships no type declarations; this is the one call we make.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as Autocannon;

const seconds = Number(process.argv[2] ?? 5);
const connections = Number(process.argv[3] ?? 50);
const rounds = Number(process.argv[4] ?? 1);
const workers = Number(process.env.BENCH_WORKERS ?? 2);

async function run(db: TestDatabase, audit: boolean): Promise<AutocannonResult> {
  const server = await startServer({
    db,
    workers,
    env: { THALAMUS_AUDIT: String(audit), THALAMUS_LOG_SAMPLE_RATE: '0', THALAMUS_SEED_DEMO: 'never' },
  });
  try {
    // Prove the credential on every worker first: the benchmark measures the cached path. The
    // first login re-hashes the demo bcrypt hash, which invalidates caches: let that settle.
    await req(server, 'GET', '/people/ESPGNU777ORG', { auth: DEMO.ana });
    await new Promise((r) => setTimeout(r, 600));
    await Promise.all(Array.from({ length: 16 }, () => req(server, 'GET', '/people/ESPGNU777ORG', { auth: DEMO.ana })));
    return await autocannon({
      url: `${server.url}/people/ESPGNU777ORG`,
      headers: { authorization: DEMO.ana },
      connections,
      pipelining: 1,
      duration: seconds,
    });
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  const db = await createDatabase();
  // Seed once (first start), then each run starts with seeding off.
  const seed = await startServer({ db, workers: 1, env: { THALAMUS_AUDIT: 'false' } });
  await seed.stop();
  try {
    const results: Array<[string, AutocannonResult]> = [];
    for (let i = 0; i < rounds; i++) {
      results.push([`audit off #${i + 1}`, await run(db, false)]);
      results.push([`audit on #${i + 1}`, await run(db, true)]);
    }
    console.log(`GET /people/{id}, ${connections} connections, ${seconds} s, ${workers} workers, database ${db.kind}`);
    console.log('| run | req/s | p50 ms | p99 ms | non-2xx | errors |');
    console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
    for (const [name, r] of results) {
      console.log(`| ${name} | ${r.requests.average.toFixed(0)} | ${r.latency.p50} | ${r.latency.p99} | ${r.non2xx} | ${r.errors} |`);
    }
    const mean = (prefix: string): number => {
      const xs = results.filter(([n]) => n.startsWith(prefix)).map(([, r]) => r.requests.average);
      return xs.reduce((a, b) => a + b, 0) / xs.length;
    };
    const off = mean('audit off');
    const on = mean('audit on');
    console.log(`mean req/s: off ${off.toFixed(0)}, on ${on.toFixed(0)}; audit cost ${((1 - on / off) * 100).toFixed(1)} % of throughput`);
  } finally {
    await db.drop();
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
