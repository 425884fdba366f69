import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ANA_BIRTH_PAGE, ANA_PICTURE, createSharedDatabase, DEMO, req, startServer, type TestDatabase, type TestServer } from '../helpers/server.js';
import { sleep, withDb } from '../helpers/security.js';
import { nextPage, type AuditRow } from '../helpers/audit.js';

// Issue 3: every read or write of person-linked data leaves an audit row with the actor,
// and GET /audit shows a person's rows to auditors and to the person themself only.

let db: TestDatabase & { url: string };
let s: TestServer;

before(async () => {
  db = await createSharedDatabase();
  s = await startServer({ db, timeoutMs: 180000, workers: 2, env: { THALAMUS_COLLECTIONS: 'flat' } });
});

after(async () => {
  await s?.stop();
  await db?.drop();
});

async function auditOf(person: string, auth = DEMO.root): Promise<AuditRow[]> {
  await sleep(300); // > the 100 ms flush interval
  const r = await req(s, 'GET', `/audit?person=${person}`, { auth });
  assert.equal(r.status, 200, r.text);
  return r.json as AuditRow[];
}

test('reads and writes of person-linked data are audited with the right actor', async () => {
  const page = 'a0d1f0aa-0000-4000-8000-000000000001';
  assert.equal((await req(s, 'GET', '/people/ESPGNU777ORG', { auth: DEMO.ana })).status, 200);
  assert.equal((await req(s, 'GET', `/pols/ESPGNU777ORG/${ANA_BIRTH_PAGE}`, { auth: DEMO.cameron })).status, 200);
  assert.equal((await req(s, 'GET', `/personal_docs/ESPGNU777ORG/${ANA_BIRTH_PAGE}/${ANA_PICTURE}`, { auth: DEMO.cameron })).status, 200);
  assert.equal((await req(s, 'POST', `/pols/ESPGNU777ORG/${page}`, { auth: DEMO.cameron, body: { page_date: '2024-01-01T00:00:00Z', summary: 'check-up' } })).status, 201);
  assert.equal((await req(s, 'PATCH', '/people/ESPGNU777ORG', { auth: DEMO.ana, body: { name: 'Ana M.' } })).status, 200);
  assert.equal((await req(s, 'GET', '/people/ESPGNU777ORG', { auth: DEMO.cameron, headers: { 'x-forwarded-for': '6.6.6.6' } })).status, 200);
  const rows = await auditOf('ESPGNU777ORG');
  const find = (actor: string, method: string, endpoint: string, record: string): AuditRow | undefined =>
    rows.find((r) => r.actor === actor && r.method === method && r.endpoint === endpoint && r.record === record);
  const own = find('ESPGNU777ORG', 'GET', 'person', 'ESPGNU777ORG');
  assert.ok(own);
  assert.deepEqual(own.roles, ['end_user']);
  assert.equal(own.status, 200);
  assert.equal(own.person, 'ESPGNU777ORG');
  assert.match(own.client, /127\.0\.0\.1/);
  assert.ok(Math.abs(Date.parse(own.at) - Date.now()) < 60000);
  const read = find('ITAPYT999HON', 'GET', 'page', ANA_BIRTH_PAGE);
  assert.ok(read);
  assert.deepEqual(read.roles, ['end_user', 'health_professional']);
  assert.ok(find('ITAPYT999HON', 'GET', 'personal_docs', ANA_PICTURE));
  assert.equal(find('ITAPYT999HON', 'POST', 'page', page)?.status, 201);
  assert.equal(find('ESPGNU777ORG', 'PATCH', 'person', 'ESPGNU777ORG')?.status, 200);
  // No trusted proxy configured: X-Forwarded-For is not believed.
  assert.ok(rows.filter((r) => r.actor === 'ITAPYT999HON').every((r) => !r.client.includes('6.6.6.6')));
  // Rows of other people's records are not mixed in.
  assert.ok(rows.every((r) => r.person === 'ESPGNU777ORG'));
});

test('refused attempts are audited too', async () => {
  const r = await req(s, 'GET', '/pols/ITAPYT999HON', { auth: DEMO.ana });
  assert.equal(r.status, 403);
  const rows = await auditOf('ITAPYT999HON');
  assert.ok(rows.some((x) => x.actor === 'ESPGNU777ORG' && x.endpoint === 'book' && x.status === 403));
});

test('GET /audit obeys the ACL: auditors and the person themself only', async () => {
  assert.equal((await req(s, 'GET', '/audit?person=ESPGNU777ORG', { auth: DEMO.ana })).status, 200, 'own record');
  assert.equal((await req(s, 'GET', '/audit?person=espgnu777org', { auth: DEMO.ana })).status, 200, 'IDs are case-insensitive');
  assert.equal((await req(s, 'GET', '/audit?person=ITAPYT999HON', { auth: DEMO.ana })).status, 403, 'someone else');
  assert.equal((await req(s, 'GET', '/audit?person=ESPGNU777ORG', { auth: DEMO.cameron })).status, 403, 'no audit grant');
  assert.equal((await req(s, 'GET', '/audit?person=ESPGNU777ORG')).status, 401);
  assert.equal((await req(s, 'GET', '/audit', { auth: DEMO.ana })).status, 403, 'no person: not waved through');
  assert.equal((await req(s, 'GET', '/audit', { auth: DEMO.root })).status, 400);
  assert.equal((await req(s, 'GET', '/audit?person=bad%20id', { auth: DEMO.root })).status, 400);
  assert.equal((await req(s, 'GET', '/audit?person=ESPGNU777ORG&after=x', { auth: DEMO.root })).status, 400);
  assert.equal((await req(s, 'POST', '/audit?person=ESPGNU777ORG', { auth: DEMO.root, body: {} })).status, 405);
});

test('GET /audit pages with limit/after and a Link header', async () => {
  const all = await auditOf('ESPGNU777ORG');
  assert.ok(all.length >= 4);
  const seen: number[] = [];
  let path: string | null = '/audit?person=ESPGNU777ORG&limit=2';
  while (path && seen.length < all.length) {
    const r = await req(s, 'GET', path, { auth: DEMO.root });
    assert.equal(r.status, 200);
    const rows = r.json as AuditRow[];
    assert.ok(rows.length <= 2);
    seen.push(...rows.map((x) => x.seq));
    path = nextPage(r.headers.link);
  }
  // Reading the audit is audited too, so rows may have been added meanwhile: compare the prefix.
  assert.ok(seen.length >= all.length);
  assert.deepEqual(seen.slice(0, all.length), all.map((x) => x.seq));
});

test('the audit trail is append-only', async () => {
  await withDb(db.url, async (c) => {
    const n = (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_batch')).rows[0].n;
    assert.ok(n > 0);
    await assert.rejects(c.query("UPDATE audit_batch SET entries = ''"), /append-only/);
    await assert.rejects(c.query('DELETE FROM audit_batch'), /append-only/);
    await assert.rejects(c.query('TRUNCATE audit_batch'), /append-only/);
    // The person index likewise (a row first: row triggers fire only on rows).
    await c.query("INSERT INTO audit_person (person, last_batch, batches) VALUES ('APPENDONLY', 1, '{1}')");
    await assert.rejects(c.query("UPDATE audit_person SET batches = '{}'"), /append-only/);
    await assert.rejects(c.query('DELETE FROM audit_person'), /append-only/);
    // The per-access view cannot be written either.
    await assert.rejects(c.query('UPDATE audit SET actor = $1', ['SOMEONEELSE']));
    await assert.rejects(c.query('DELETE FROM audit'));
  });
});

test('THALAMUS_AUDIT=false switches the trail off', async () => {
  const off = await startServer({ db, timeoutMs: 180000, workers: 1, env: { THALAMUS_AUDIT: 'false', THALAMUS_SEED_DEMO: 'never' } });
  try {
    const count = (): Promise<number> =>
      withDb(db.url, async (c) => (await c.query<{ n: number }>("SELECT count(*)::int AS n FROM audit WHERE person = 'ITAPYT999HON'")).rows[0].n);
    await sleep(300);
    const before = await count();
    assert.equal((await req(off, 'GET', '/people/ITAPYT999HON', { auth: DEMO.cameron })).status, 200);
    await sleep(300);
    assert.equal(await count(), before);
  } finally {
    await off.stop();
  }
});

test('audit batches keep any text intact: quotes, backslashes, braces, commas, NULL-looking values and nulls', async () => {
  const { Db } = await import('../../src/db/db.js');
  const { AuditLog } = await import('../../src/audit/audit-log.js');
  const { createLogger } = await import('../../src/log.js');
  const pool = new Db({ url: db.url, poolSize: 1, preparedStatements: false, statementTimeoutMs: 5000, connectionTimeoutMs: 3000, applicationName: 'audit-test' });
  const log = new AuditLog(pool, 10, 100, createLogger('silent', 'audit-test'));
  const odd = ['A"B', 'C\\D', '{E,F}', 'NULL', '', ' sp ace ', 'ünï\tcode'];
  const at = Date.now();
  try {
    odd.forEach((v, i) => log.record({ at: at + i, actor: v, roles: [v, 'x"y'], method: 'GET', endpoint: 'person', person: 'AUDITODD', record: i % 2 ? null : v, client: v, status: 200 + i }));
    await log.close();
    const rows = await withDb(db.url, async (c) =>
      (await c.query<{ actor: string; roles: string[]; record: string | null; client: string; status: number; ms: number }>(
        "SELECT actor, actor_roles AS roles, record, client, status, (extract(epoch FROM at) * 1000)::float8 AS ms FROM audit WHERE person = 'AUDITODD' ORDER BY status",
      )).rows,
    );
    assert.equal(rows.length, odd.length);
    rows.forEach((r, i) => {
      assert.equal(r.actor, odd[i]);
      assert.deepEqual(r.roles, [odd[i], 'x"y']);
      assert.equal(r.record, i % 2 ? null : odd[i]);
      assert.equal(r.client, odd[i]);
      assert.ok(Math.abs(r.ms - (at + i)) < 1, `time kept to the millisecond: ${r.ms} vs ${at + i}`);
    });
  } finally {
    await pool.end();
  }
});
