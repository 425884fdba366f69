import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Db } from '../../src/db/db.js';
import { AUDIT_INSERT_SQL, AuditLog, type AuditRecord } from '../../src/audit/audit-log.js';
import { AuditIndexer } from '../../src/audit/audit-index.js';
import { migrate, SQL_DIR } from '../../src/db/migrate.js';
import { createLogger } from '../../src/log.js';
import { createSharedDatabase, DEMO, req, startServer, type TestDatabase, type TestServer } from '../helpers/server.js';
import { sleep, withDb } from '../helpers/security.js';
import { nextPage, type AuditRow } from '../helpers/audit.js';

// The audit trail is stored one row per worker batch (sql/014). These tests check what that
// layout could get wrong: paging across batch rows, text that needs escaping, and the move of
// rows written by the old one-row-per-access table.


let db: TestDatabase & { url: string };
let s: TestServer;

before(async () => {
  db = await createSharedDatabase();
  // Its own trail off: reading GET /audit would otherwise add to the very list being paged.
  // No index rounds of its own: the tests run them, and count what each did.
  s = await startServer({ db, timeoutMs: 180000, workers: 1, env: { THALAMUS_COLLECTIONS: 'flat', THALAMUS_AUDIT: 'false', THALAMUS_AUDIT_INDEX_MS: '0' } });
});

after(async () => {
  await s?.stop();
  await db?.drop();
});

function pool(url: string): Db {
  return new Db({ url, poolSize: 1, preparedStatements: false, statementTimeoutMs: 5000, connectionTimeoutMs: 3000, applicationName: 'audit-batches-test' });
}

function rec(person: string | null, i: number, actor = 'PAGER'): AuditRecord {
  return { at: Date.now(), actor, roles: ['auditor'], method: 'GET', endpoint: 'person', person, record: `R${i}`, client: '10.0.0.1', status: 200 };
}

/** All of GET /audit?person= for one actor's records, following Link headers page by page. */
async function pages(person: string, limit: number | null, actor: string): Promise<AuditRow[]> {
  const out: AuditRow[] = [];
  let path: string | null = `/audit?person=${person}${limit ? `&limit=${limit}` : ''}`;
  let guard = 0;
  while (path && guard++ < 1000) {
    const r = await req(s, 'GET', path, { auth: DEMO.root });
    assert.equal(r.status, 200, r.text);
    const rows = r.json as AuditRow[];
    if (limit) assert.ok(rows.length <= limit);
    out.push(...rows.filter((x) => x.actor === actor));
    path = nextPage(r.headers.link);
  }
  return out;
}

test('GET /audit pages across batch rows, indexed and not yet indexed: every record once, in seq order, at any page size', async () => {
  const p = pool(db.url);
  // Batches of 3, the person in some slots only: first, middle and last places of a batch,
  // batches without them, and a collection read (no person) among them.
  const log = new AuditLog(p, 5, 3, createLogger('silent', 'audit-test'));
  const indexer = new AuditIndexer(p, 60000, createLogger('silent', 'audit-test'));
  const mine: number[] = [];
  const write = async (from: number, to: number): Promise<void> => {
    for (let i = from; i < to; i++) {
      const his = i % 7 === 0 || i % 5 === 2 || i % 11 === 10;
      if (his) mine.push(i);
      log.record(rec(his ? 'AUDITPAGE' : i % 4 === 0 ? null : `OTHER${i}`, i));
      if (i % 3 === 2) await log.flush();
    }
    await log.flush();
  };
  const check = async (what: string): Promise<void> => {
    const want = mine.map((i) => `R${i}`);
    for (const limit of [null, 1, 2, 3, 5, 1000]) {
      const rows = await pages('AUDITPAGE', limit, 'PAGER');
      assert.deepEqual(rows.map((r) => r.record), want, `${what}, limit ${limit}`);
      for (let i = 1; i < rows.length; i++) assert.ok(rows[i].seq > rows[i - 1].seq, 'seq ascending');
      assert.ok(rows.every((r) => r.person === 'AUDITPAGE' && r.status === 200 && r.client === '10.0.0.1'));
    }
  };
  try {
    await write(0, 40);
    await check('none indexed');
    assert.ok((await indexer.run()) > 0);
    const indexed = await withDb(db.url, async (c) => (await c.query<{ n: number }>("SELECT count(*)::int AS n FROM audit_person WHERE person = 'AUDITPAGE'")).rows[0].n);
    assert.ok(indexed >= 1, 'the person index has the person');
    await check('all indexed');
    await write(40, 70);
    await check('indexed, then not yet indexed');
    await indexer.run();
    await write(70, 80);
    await check('two index rounds and a tail');
    await log.close();
  } finally {
    await p.end();
  }
  // The view shows the same records with the same seq.
  const view = await withDb(db.url, async (c) => (await c.query<{ seq: string; record: string }>("SELECT seq::text, record FROM audit WHERE person = 'AUDITPAGE' AND actor = 'PAGER' ORDER BY audit.seq")).rows);
  const api = await pages('AUDITPAGE', null, 'PAGER');
  assert.deepEqual(view.map((r) => [Number(r.seq), r.record]), api.map((r) => [r.seq, r.record]));
});

test('a batch whose transaction is still open when the indexer runs is neither skipped nor indexed twice', { skip: !process.env.DATABASE_URL && 'the embedded database runs one transaction at a time' }, async () => {
  const p = pool(db.url);
  const indexer = new AuditIndexer(p, 60000, createLogger('silent', 'audit-test'));
  const late = new (await import('pg')).default.Client({ connectionString: db.url });
  await late.connect();
  try {
    await indexer.run();
    // A worker's insert that drew its batch number and has not committed yet...
    await late.query('BEGIN');
    await late.query(AUDIT_INSERT_SQL, ['{AUDITLATE}', `[${Date.now()},"LATEACTOR",["auditor"],"GET","person","AUDITLATE","10.0.0.2",200]`]);
    // ...while another commits a later batch.
    const log = new AuditLog(p, 5, 10, createLogger('silent', 'audit-test'));
    log.record(rec('AUDITLATE', 2, 'LATEACTOR'));
    await log.close();
    let done = false;
    const round = indexer.run().then((n) => ((done = true), n));
    await sleep(500);
    assert.equal(done, false, 'the indexer waits for the open insert');
    await late.query('COMMIT');
    assert.ok((await round) >= 2);
    const rows = await pages('AUDITLATE', 1, 'LATEACTOR');
    assert.deepEqual(rows.map((r) => r.client), ['10.0.0.2', '10.0.0.1']);
    const idx = await withDb(db.url, async (c) => (await c.query<{ b: string }>("SELECT unnest(batches)::text AS b FROM audit_person WHERE person = 'AUDITLATE'")).rows);
    assert.equal(idx.length, 2, 'both batches indexed, once each');
  } finally {
    await late.end();
    await p.end();
  }
});

test('the workers run index rounds by themselves every THALAMUS_AUDIT_INDEX_MS', async () => {
  const p = pool(db.url);
  const log = new AuditLog(p, 5, 10, createLogger('silent', 'audit-test'));
  log.record(rec('AUDITAUTO', 1, 'AUTOACTOR'));
  await log.close();
  await p.end();
  const auto = await startServer({ db, timeoutMs: 180000, workers: 2, env: { THALAMUS_AUDIT: 'false', THALAMUS_AUDIT_INDEX_MS: '1000' } });
  try {
    const indexed = async (): Promise<number> =>
      withDb(db.url, async (c) => (await c.query<{ n: number }>("SELECT count(*)::int AS n FROM audit_person WHERE person = 'AUDITAUTO'")).rows[0].n);
    const started = Date.now();
    while ((await indexed()) === 0 && Date.now() - started < 15000) await sleep(200);
    assert.equal(await indexed(), 1, 'indexed once, by one of the workers');
  } finally {
    await auto.stop();
  }
});

test('records that trickle in make one row per flush interval, not one per write', async () => {
  const p = pool(db.url);
  const log = new AuditLog(p, 50, 1024, createLogger('silent', 'audit-test'));
  let n = 0;
  try {
    const started = Date.now();
    while (Date.now() - started < 500) {
      log.record(rec('AUDITTRICKLE', n++));
      await sleep(1);
    }
    await log.close();
  } finally {
    await p.end();
  }
  const r = await withDb(db.url, async (c) => (await c.query<{ rows: number; records: number }>(
    "SELECT count(*)::int AS rows, coalesce(sum(cardinality(persons)), 0)::int AS records FROM audit_batch WHERE 'AUDITTRICKLE' = ANY(persons)",
  )).rows[0]);
  assert.equal(r.records, n, 'every record written');
  // 500 ms at a 50 ms interval: about 10 rows. Writing again as soon as a write returns made one per few ms.
  assert.ok(r.rows <= 14, `${r.rows} rows for ${n} records`);
});

test('control characters, line breaks and lone surrogates survive the JSON lines', async () => {
  const p = pool(db.url);
  const log = new AuditLog(p, 5, 100, createLogger('silent', 'audit-test'));
  const odd = ['line\nbreak', 'cr\r\n', 'tab\t', 'ctl\u0001\u001f', 'quote"back\\slash', 'emoji \u{1f600}', '[1,2]', '{"a":1}'];
  try {
    odd.forEach((v, i) => log.record({ ...rec('AUDITJSON', i, v), record: v, status: 200 + i }));
    log.record({ ...rec('AUDITJSON', 99, 'lone \ud800 high'), record: '\udc00 low', status: 299 });
    await log.close();
  } finally {
    await p.end();
  }
  const rows = await withDb(db.url, async (c) => (await c.query<{ actor: string; record: string; status: number }>("SELECT actor, record, status FROM audit WHERE person = 'AUDITJSON' ORDER BY status")).rows);
  assert.equal(rows.length, odd.length + 1);
  odd.forEach((v, i) => {
    assert.equal(rows[i].actor, v);
    assert.equal(rows[i].record, v);
  });
  // A lone surrogate cannot be stored as UTF-8 anywhere: it becomes U+FFFD, and the line still parses.
  assert.equal(rows[odd.length].actor, 'lone \ufffd high');
  assert.equal(rows[odd.length].record, '\ufffd low');
});

test('rows of the old one-row-per-access table move into batches with their seq kept', async () => {
  const old = await createSharedDatabase();
  const dir = mkdtempSync(join(tmpdir(), 'thalamus-sql-'));
  try {
    // The schema as it was before sql/014.
    for (const f of readdirSync(SQL_DIR)) if (/^\d+_.*\.sql$/.test(f) && f !== '014_audit_batches.sql') copyFileSync(join(SQL_DIR, f), join(dir, f));
    await migrate(old.url, dir);
    const before = await withDb(old.url, async (c) => {
      // seq 1, 2, 5 (gaps from rolled-back inserts), 1023/1024 (a batch boundary), 5000.
      const rows: [number, string | null, string | null, number][] = [
        [1, 'LEGACYA', 'LEGACYA', 200], [2, 'LEGACYB', null, 403], [5, 'LEGACYA', 'pg"1', 201],
        [1023, null, null, 200], [1024, 'LEGACYA', 'x\ny', 200], [5000, 'LEGACYA', 'last', 200],
      ];
      for (const [seq, person, record, status] of rows) {
        await c.query(
          `INSERT INTO audit (seq, at, actor, actor_roles, method, endpoint, person, record, client, status)
           VALUES ($1, '2026-01-02T03:04:05.678Z', 'OLDACTOR', '["auditor"]', 'GET', 'person', $2, $3, '192.0.2.1', $4)`,
          [seq, person, record, status],
        );
      }
      return (await c.query('SELECT seq::text, at, actor, actor_roles, method, endpoint, person, record, client, status FROM audit ORDER BY audit.seq')).rows;
    });
    assert.deepEqual(await migrate(old.url), ['014_audit_batches.sql']);
    const afterRows = await withDb(old.url, async (c) => (await c.query('SELECT seq::text, at, actor, actor_roles, method, endpoint, person, record, client, status FROM audit ORDER BY audit.seq')).rows);
    assert.deepEqual(afterRows, before);
    // New batches are numbered after the moved ones.
    const p = pool(old.url);
    const log = new AuditLog(p, 5, 10, createLogger('silent', 'audit-test'));
    log.record(rec('LEGACYA', 1, 'NEWACTOR'));
    await log.close();
    await p.end();
    const seqs = await withDb(old.url, async (c) => (await c.query<{ seq: string; actor: string }>("SELECT seq::text, actor FROM audit WHERE person = 'LEGACYA' ORDER BY audit.seq")).rows);
    assert.deepEqual(seqs.map((r) => r.actor), ['OLDACTOR', 'OLDACTOR', 'OLDACTOR', 'OLDACTOR', 'NEWACTOR']);
    assert.ok(Number(seqs[4].seq) > 5000);
    // The indexer's first round takes in the moved batches.
    const p2 = pool(old.url);
    await new AuditIndexer(p2, 60000, createLogger('silent', 'audit-test')).run();
    await p2.end();
    const batches = await withDb(old.url, async (c) => (await c.query<{ b: string }>("SELECT unnest(batches)::text AS b FROM audit_person WHERE person = 'LEGACYA' ORDER BY 1")).rows);
    assert.deepEqual(batches.map((r) => r.b).slice(0, 3), ['0', '1', '4']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await old.drop();
  }
});
