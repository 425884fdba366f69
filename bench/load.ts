import autocannon from 'autocannon';
import { BENCH_PASSWORD, personId } from './data.js';

/**
 * One autocannon run, in its own process so the load generator is not the server's event
 * loop. Reads a Scenario as JSON from argv[2], prints the result as JSON on stdout.
 */
export interface Scenario {
  url: string;
  kind: 'get-person' | 'get-book' | 'post-page' | 'patch-person' | 'mixed' | 'cold-login' | 'baseline';
  connections: number;
  duration: number;
  /** IDs P0000001..P<people> exist. */
  people: number;
  /** Accounts 1..accounts are health professionals that act as nodes. */
  accounts: number;
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  total: number;
  non2xx: number;
  errors: number;
  mbps: number;
  /** CPU microseconds this load generator spent per request (user + system). */
  cpuUsPerRequest: number;
}

const basic = (id: string): string => 'Basic ' + Buffer.from(`${id}:${BENCH_PASSWORD}`).toString('base64');

function pick(n: number): number {
  return 1 + Math.floor(Math.random() * n);
}

function setup(s: Scenario): (req: autocannon.RawRequest) => autocannon.RawRequest {
  const node = basic(personId(1));
  const nodes = Array.from({ length: s.accounts }, (_, i) => basic(personId(i + 1)));
  let seq = 0;
  const tag = `${process.pid}-${Date.now().toString(36)}`;
  const post = (auth: string): autocannon.RawRequest => {
    const who = personId(pick(s.people));
    const page = `bench-${tag}-${seq++}`;
    return {
      method: 'POST', path: `/pols/${who}/${page}`, headers: { authorization: auth },
      body: JSON.stringify({ id: page, page_date: '2026-11-26T09:00:00', domain: 'medical', measurements: { hr: 70, osat: 98 }, creation_info: { user: 'bench', node: 'bench' } }),
    };
  };
  const patch = (auth: string): autocannon.RawRequest => ({
    method: 'PATCH', path: `/people/${personId(pick(s.people))}`, headers: { authorization: auth },
    body: JSON.stringify({ modification_info: { user: 'bench', timestamp: String(Date.now()) } }),
  });
  switch (s.kind) {
    case 'get-person':
    case 'baseline':
      return () => ({ method: 'GET', path: `/people/${personId(pick(s.people))}`, headers: { authorization: node } });
    case 'get-book':
      return () => ({ method: 'GET', path: `/pols/${personId(pick(s.people))}`, headers: { authorization: node } });
    case 'post-page':
      return () => post(node);
    case 'patch-person':
      return () => patch(node);
    case 'cold-login':
      // A different account each time: with more accounts than the cache holds, nearly every request misses it.
      return () => {
        const n = pick(s.people);
        return { method: 'GET', path: `/people/${personId(n)}`, headers: { authorization: basic(personId(n)) } };
      };
    case 'mixed':
      return () => {
        const auth = nodes[pick(nodes.length) - 1];
        const r = Math.random();
        if (r < 0.8) return { method: 'GET', path: `/people/${personId(pick(s.people))}`, headers: { authorization: auth } };
        if (r < 0.95) return post(auth);
        return patch(auth);
      };
  }
}

async function main(): Promise<void> {
  const s = JSON.parse(process.argv[2]) as Scenario;
  const cpu0 = process.cpuUsage();
  const r = await autocannon({ url: s.url, connections: s.connections, duration: s.duration, requests: [{ setupRequest: setup(s) }] });
  const out: LoadResult = {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    total: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    mbps: r.throughput.average / 1e6,
    cpuUsPerRequest: 0,
  };
  const cpu = process.cpuUsage(cpu0);
  if (r.requests.total) out.cpuUsPerRequest = (cpu.user + cpu.system) / r.requests.total;
  process.stdout.write(JSON.stringify(out) + '\n');
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(String((err as Error).stack ?? err) + '\n');
    process.exit(1);
  });
}
