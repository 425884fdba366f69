import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { createDatabase, DEMO, req, startServer, type TestDatabase, type TestServer } from '../helpers/server.js';

// Issue 4: slow hashes run in libuv's threadpool, sized from hashConcurrency, at a lower
// priority than the event loop (hashNice), so cold logins cannot take the CPU from cached ones.

const linux = process.platform === 'linux';

function children(server: TestServer): number[] {
  const pid = server.proc.pid!;
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}

/** nice value of each thread of a process (field 19 of /proc/<pid>/task/<tid>/stat). */
function nices(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`).map(Number)) {
    const fields = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ');
    out.set(tid, Number(fields[16]));
  }
  return out;
}

let db: TestDatabase;
before(async () => {
  db = await createDatabase();
});
after(async () => {
  await db.drop();
});

test('each worker runs hashConcurrency + 2 threadpool threads at nice hashNice; the event loop keeps its priority; logins work', { skip: linux ? false : 'reads /proc' }, async () => {
  const server = await startServer({ db, workers: 2, env: { THALAMUS_HASH_CONCURRENCY: '3', THALAMUS_HASH_NICE: '7' } });
  try {
    const workers = children(server);
    assert.equal(workers.length, 3, 'two workers and the spare');
    // The spare may still be starting when the serving workers are ready: give it time.
    const lowered = (pid: number): number => [...nices(pid).values()].filter((v) => v === 7).length;
    for (let i = 0; i < 150 && workers.some((pid) => lowered(pid) < 5); i++) await new Promise((r) => setTimeout(r, 100));
    for (const pid of workers) {
      const n = nices(pid);
      assert.equal(n.get(pid), 0, 'the main thread (event loop) is not lowered');
      assert.equal(lowered(pid), 5, `worker ${pid}: ${JSON.stringify([...n])}`);
    }
    // A cold login hashes on those threads: it still completes.
    assert.equal((await req(server, 'GET', '/people/ITAPYT999HON', { auth: DEMO.cameron })).status, 200);
  } finally {
    await server.stop();
  }
});

test('hashNice 0 leaves every thread at the worker priority', { skip: linux ? false : 'reads /proc' }, async () => {
  const server = await startServer({ db, workers: 1, env: { THALAMUS_HASH_NICE: '0', THALAMUS_SEED_DEMO: 'never' } });
  try {
    for (const pid of children(server)) assert.deepEqual([...new Set(nices(pid).values())], [0]);
  } finally {
    await server.stop();
  }
});
