import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { createSharedDatabase, DEMO, req, startServer, type TestDatabase, type TestServer } from '../helpers/server.js';

const ROWS = 50_000;
const PAD = 800; // ~0.9 KB a person: the whole answer (~45 MB) is larger than the worker's heap

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

for (const transport of ['uws', 'node'] as const) describe(transport, () => {
  let db: TestDatabase & { url: string };
  let s: TestServer;

  before(async () => {
    db = await createSharedDatabase();
    // A worker heap smaller than the answer: collecting it instead of streaming would crash.
    s = await startServer({ db, transport, workers: 1, env: { NODE_OPTIONS: '--max-old-space-size=32' } });
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    await c.query(
      `INSERT INTO people (id, data) SELECT 'BULK' || lpad(g::text, 6, '0'),
         jsonb_build_object('name', 'Bulk', 'lastname', g::text, 'pad', repeat('x', $1::int), 'roles', '["end_user"]'::jsonb, 'password', '$2b$04$notarealhashnotarealhashnotarealhashnotarealhashnotar')
       FROM generate_series(1, $2::int) g`,
      [PAD, ROWS],
    );
    await c.end();
  });

  after(async () => {
    await s?.stop();
    await db?.drop();
  });

  test(`${transport}: a ${ROWS}-row collection streams to a slow reader without the worker's memory growing with it`, async () => {
    // Warm up and find the worker's pid from its request log line.
    await req(s, 'GET', '/people?limit=10', { auth: DEMO.root });
    await new Promise((r) => setTimeout(r, 1200));
    const line = s.logs.find((l) => l.includes('"msg":"request"'));
    assert.ok(line, 'a request log line');
    const pid = (JSON.parse(line) as { pid: number }).pid;
    const baseline = rssKb(pid);

    let peak = baseline;
    let bytes = 0;
    let elements = 0;
    let tail = '';
    await new Promise<void>((resolve, reject) => {
      const r = request(`${s.url}/people`, { headers: { authorization: DEMO.root } }, (res) => {
        assert.equal(res.statusCode, 200);
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          const text = chunk.toString('latin1');
          elements += text.split('[{').length - 1;
          tail = (tail + text).slice(-64);
          // Read slowly: the server must hold back, not buffer the rest.
          res.pause();
          setTimeout(() => res.resume(), 1);
          peak = Math.max(peak, rssKb(pid));
        });
        res.on('end', resolve);
        res.on('error', reject);
      });
      r.on('error', reject);
      r.end();
    }).catch((err: Error) => {
      throw new Error(`${err.message} after ${bytes} bytes; server said:\n${s.logs.filter((l) => !l.includes('"msg":"request"')).join('\n')}`);
    });
    assert.ok(bytes > ROWS * PAD, `streamed ${bytes} bytes`);
    assert.ok(elements >= ROWS, `saw ${elements} records`);
    assert.ok(tail.endsWith('}]]'), 'the array is closed');
    // The heap limit above is the real proof (collecting the answer would crash the worker);
    // RSS also counts native socket buffers and GC slack, so it gets the project's ceiling.
    const peakMb = peak / 1024;
    assert.ok(peakMb < 150, `worker peak RSS ${peakMb.toFixed(0)} MB (baseline ${(baseline / 1024).toFixed(0)} MB) while streaming ${(bytes / 1e6).toFixed(0)} MB`);
    // And the connection pool got its connection back.
    assert.equal((await req(s, 'GET', '/people/BULK000001', { auth: DEMO.root })).status, 200);
  });

  test(`${transport}: a client that goes away mid-stream releases the cursor`, async () => {
    for (let i = 0; i < 12; i++) {
      await new Promise<void>((resolve) => {
        const r = request(`${s.url}/people`, { headers: { authorization: DEMO.root } }, (res) => {
          res.once('data', () => {
            r.destroy();
            resolve();
          });
        });
        r.on('error', () => resolve());
        r.end();
      });
    }
    // The pool has 10 connections: if aborted streams leaked theirs, this would time out.
    const r = await req(s, 'GET', '/people?limit=5', { auth: DEMO.root });
    assert.equal(r.status, 200);
  });
});
