/**
 * Change-feed bench (issue 6): N WebSocket subscribers and a write load of pages of life.
 * Prints events delivered per second, write-to-delivery latency (median, p99) and the write
 * throughput with the outbox on and off.
 *
 *   npm run build && node dist/bench/events.bench.js
 *   SUBSCRIBERS=1000 SECONDS=5 WRITERS=8 WORKERS=2 DATABASE_URL=... node dist/bench/events.bench.js
 *
 * Subscribers, writers and the server share the machine: on a small or busy host the client
 * side (1,000 sockets parsing JSON in one process) is part of what is measured.
 */
import { performance } from 'node:perf_hooks';
import { head } from '../test/helpers/events.js';
import { createDatabase, DEMO, req, startServer, type TestServer } from '../test/helpers/server.js';
import { connectWs, type WsClient } from '../test/helpers/ws-client.js';

const SUBSCRIBERS = Number(process.env.SUBSCRIBERS ?? 1000);
const SECONDS = Number(process.env.SECONDS ?? 5);
const WRITERS = Number(process.env.WRITERS ?? 8);
const WORKERS = Number(process.env.WORKERS ?? 2);
const ANA = 'ESPGNU777ORG';

function page(id: string): object {
  return {
    id,
    page_date: new Date().toISOString(),
    domain: 'medical',
    context: 'self_monitoring',
    measurements: { bp: { systolic: 116, diastolic: 79 }, hr: 75, osat: 99, wt: 68.0 },
    privacy: false,
    fsynced: false,
    creation_info: { user: ANA, timestamp: new Date().toISOString(), node: 'bench' },
    summary: 'bench page',
  };
}

interface Load {
  writes: number;
  errors: number;
  seconds: number;
  sent: Map<string, number>;
  acked: Map<string, number>;
}

async function writeLoad(server: TestServer, prefix: string, seconds: number, sent = new Map<string, number>(), acked = new Map<string, number>()): Promise<Load> {
  let writes = 0;
  let errors = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  let n = 0;
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      while (performance.now() < end) {
        const id = `${prefix}${n++}`;
        sent.set(id, performance.now());
        const r = await req(server, 'POST', `/pols/${ANA}/${id}`, { auth: DEMO.ana, body: page(id) });
        acked.set(id, performance.now());
        if (r.status === 201) writes++;
        else errors++;
      }
    }),
  );
  return { writes, errors, seconds: (performance.now() - started) / 1000, sent, acked };
}

function pct(sorted: Float64Array, p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function withServer<T>(env: Record<string, string>, fn: (s: TestServer) => Promise<T>): Promise<T> {
  const db = await createDatabase();
  const server = await startServer({ db, workers: WORKERS, env: { LOG_LEVEL: 'info', THALAMUS_LOG_SAMPLE_RATE: '0', ...env } });
  try {
    return await fn(server);
  } finally {
    await server.stop();
    await db.drop();
  }
}

async function fanOut(): Promise<Record<string, string | number>> {
  return withServer({}, async (server) => {
    const base = await head(server);
    await req(server, 'GET', '/login', { auth: DEMO.ana }); // warm the credential cache
    const subs: WsClient[] = [];
    for (let i = 0; i < SUBSCRIBERS; i += 50) {
      subs.push(...(await Promise.all(Array.from({ length: Math.min(50, SUBSCRIBERS - i) }, () => connectWs(server.port, '/events/ws', { Authorization: DEMO.root })))));
    }
    const latencies = new Float64Array(SUBSCRIBERS * 20000);
    const fromAck = new Float64Array(SUBSCRIBERS * 20000);
    let count = 0;
    let ackCount = 0;
    const early: Array<[string, number]> = [];
    let lastDelivery = 0;
    const sent = new Map<string, number>();
    const acked = new Map<string, number>();
    for (const s of subs) {
      s.onMessage = (text) => {
        const now = performance.now();
        const id = (JSON.parse(text) as { id: string }).id;
        const t0 = sent.get(id);
        if (t0 !== undefined && count < latencies.length) latencies[count++] = now - t0;
        // Before the writer has its answer the event is "early": delivery beat the acknowledgement.
        const a = acked.get(id);
        if (a === undefined) early.push([id, now]);
        else if (ackCount < fromAck.length) fromAck[ackCount++] = Math.max(0, now - a);
        lastDelivery = now;
      };
      s.send(JSON.stringify({ after: base }));
    }
    await new Promise((r) => setTimeout(r, 500));
    const t0 = performance.now();
    const load = await writeLoad(server, 'fan', SECONDS, sent, acked);
    for (const [, ] of early) if (ackCount < fromAck.length) fromAck[ackCount++] = 0;
    const expected = load.writes * SUBSCRIBERS;
    const deadline = performance.now() + 30000;
    while (count < expected && performance.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const closed = subs.filter((s) => s.socket.destroyed).length;
    for (const s of subs) s.socket.destroy();
    const sorted = latencies.slice(0, count).sort();
    const sortedAck = fromAck.slice(0, ackCount).sort();
    return {
      phase: `outbox on, ${SUBSCRIBERS} subscribers`,
      'writes/s': Math.round(load.writes / load.seconds),
      'write errors': load.errors,
      'events delivered': `${count} of ${expected}`,
      'delivered/s': Math.round(count / ((lastDelivery - t0) / 1000)),
      'median ms from write sent': pct(sorted, 50).toFixed(1),
      'p99 ms from write sent': pct(sorted, 99).toFixed(1),
      'median ms after 2xx': pct(sortedAck, 50).toFixed(1),
      'p99 ms after 2xx': pct(sortedAck, 99).toFixed(1),
      'subscribers closed': closed,
    };
  });
}

async function writesOnly(outbox: boolean): Promise<Record<string, string | number>> {
  return withServer({ THALAMUS_EVENTS_OUTBOX: String(outbox) }, async (server) => {
    await req(server, 'GET', '/login', { auth: DEMO.ana });
    const load = await writeLoad(server, outbox ? 'on' : 'off', SECONDS);
    return { phase: `outbox ${outbox ? 'on' : 'off'}, no subscribers`, 'writes/s': Math.round(load.writes / load.seconds), 'write errors': load.errors };
  });
}

async function main(): Promise<void> {
  console.log(`events bench: ${SUBSCRIBERS} subscribers, ${WRITERS} writers, ${SECONDS} s per phase, ${WORKERS} workers, database ${process.env.DATABASE_URL ? 'PostgreSQL' : 'embedded'}`);
  const rows = [await fanOut(), await writesOnly(true), await writesOnly(false)];
  console.table(rows);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
