import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { basic, createSharedDatabase, DEMO, req, startServer, type TestDatabase, type TestServer } from '../helpers/server.js';
import { spread, waitUntilAll, withDb } from '../helpers/security.js';

// Issue 3: a password change, a deactivation or a role removal made through instance A is
// honoured by every worker of instance B within 1 s. Generous margins for a loaded CI box
// are not taken here on purpose: 1 s is the promise.
const LIMIT_MS = 1000;
const SPREAD = 8;
// Failures here are the point, not an attack: keep the throttle out of the way.
const ENV = { THALAMUS_THROTTLE_ACCOUNT_FAILURES: '0', THALAMUS_THROTTLE_ADDRESS_FAILURES: '0' };

let db: TestDatabase & { url: string };
let a: TestServer;
let b: TestServer;

before(async () => {
  db = await createSharedDatabase();
  a = await startServer({ db, timeoutMs: 180000, workers: 2, env: ENV });
  b = await startServer({ db, timeoutMs: 180000, workers: 2, env: { ...ENV, THALAMUS_SEED_DEMO: 'never' } });
});

after(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await db?.drop();
});

async function createUser(id: string, password: string, roles: string[]): Promise<void> {
  const r = await req(a, 'POST', `/people/${id}`, { auth: DEMO.root, body: { name: 'Test', lastname: id, password, roles } });
  assert.equal(r.status, 201, r.text);
}

/** Proves the credential on every worker of B, so each has it cached. */
async function warm(path: string, auth: string): Promise<void> {
  for (let i = 0; i < 3; i++) {
    const rs = await spread(b, SPREAD, 'GET', path, auth);
    assert.deepEqual(rs.map((r) => r.status), new Array(SPREAD).fill(200));
  }
}

test('password changed through A: the old one fails on every worker of B within 1 s', async (t) => {
  await createUser('COHPWD001', 'old-password-1', ['end_user']);
  const old = basic('COHPWD001', 'old-password-1');
  await warm('/people/COHPWD001', old);
  const r = await req(a, 'POST', '/password/COHPWD001', { auth: old, body: { password: 'new-password-1' } });
  assert.equal(r.status, 204, r.text);
  const ms = await waitUntilAll(b, SPREAD, 'GET', '/people/COHPWD001', old, [401]);
  t.diagnostic(`password change visible on B after ${ms.toFixed(0)} ms`);
  assert.ok(ms < LIMIT_MS, `took ${ms} ms`);
  const rs = await spread(b, SPREAD, 'GET', '/people/COHPWD001', basic('COHPWD001', 'new-password-1'));
  assert.ok(rs.every((x) => x.status === 200));
});

test('deactivation through A: refused on every worker of B within 1 s', async (t) => {
  await createUser('COHACT001', 'active-password', ['end_user']);
  const auth = basic('COHACT001', 'active-password');
  await warm('/people/COHACT001', auth);
  const r = await req(a, 'PATCH', '/people/COHACT001', { auth: DEMO.root, body: { active: false } });
  assert.equal(r.status, 200, r.text);
  const ms = await waitUntilAll(b, SPREAD, 'GET', '/people/COHACT001', auth, [401]);
  t.diagnostic(`deactivation visible on B after ${ms.toFixed(0)} ms`);
  assert.ok(ms < LIMIT_MS, `took ${ms} ms`);
});

test('role removed through A: refused on every worker of B within 1 s', async (t) => {
  await createUser('COHROLE01', 'role-password', ['end_user', 'health_professional']);
  const auth = basic('COHROLE01', 'role-password');
  // Another person's record needs a global role: health_professional, not end_user.
  await warm('/people/ESPGNU777ORG', auth);
  const r = await req(a, 'PATCH', '/people/COHROLE01', { auth: DEMO.root, body: { roles: ['end_user'] } });
  assert.equal(r.status, 200, r.text);
  const ms = await waitUntilAll(b, SPREAD, 'GET', '/people/ESPGNU777ORG', auth, [403]);
  t.diagnostic(`role removal visible on B after ${ms.toFixed(0)} ms`);
  assert.ok(ms < LIMIT_MS, `took ${ms} ms`);
  const own = await spread(b, SPREAD, 'GET', '/people/COHROLE01', auth);
  assert.ok(own.every((x) => x.status === 200));
});

test('NOTIFY alone keeps B coherent (polling slowed to a minute), also after the listen connection is killed', async (t) => {
  if (db.kind !== 'postgres') {
    t.skip('PGlite does not deliver NOTIFY across connections; polling covers it there');
    return;
  }
  const c = await startServer({ db, timeoutMs: 180000, workers: 2, env: { ...ENV, THALAMUS_SEED_DEMO: 'never', THALAMUS_AUTH_INVALIDATION_POLL_MS: '60000' } });
  try {
    await createUser('COHNTF001', 'notify-pass-1', ['end_user']);
    const first = basic('COHNTF001', 'notify-pass-1');
    const rs = await spread(c, SPREAD, 'GET', '/people/COHNTF001', first);
    assert.ok(rs.every((x) => x.status === 200));
    assert.equal((await req(a, 'POST', '/password/COHNTF001', { auth: DEMO.root, body: { password: 'notify-pass-2' } })).status, 204);
    const ms = await waitUntilAll(c, SPREAD, 'GET', '/people/COHNTF001', first, [401]);
    t.diagnostic(`NOTIFY-only invalidation after ${ms.toFixed(0)} ms`);
    assert.ok(ms < LIMIT_MS);

    const listeners = async (): Promise<number> =>
      withDb(db.url, async (q) => {
        const r = await q.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'thalamus-listen' AND datname = current_database()`,
        );
        return r.rows[0].n;
      });
    // Kill every listen connection: workers flush their caches and reconnect with backoff.
    const before = await listeners();
    assert.ok(before >= 6, `every worker of A, B and C listens (spares too): ${before}`);
    await withDb(db.url, (q) =>
      q.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'thalamus-listen' AND datname = current_database()`),
    );
    const deadline = Date.now() + 10000;
    while ((await listeners()) < before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await listeners(), before, 'every worker of A, B and C listens again');
    const second = basic('COHNTF001', 'notify-pass-2');
    assert.ok((await spread(c, SPREAD, 'GET', '/people/COHNTF001', second)).every((x) => x.status === 200));
    assert.equal((await req(a, 'POST', '/password/COHNTF001', { auth: DEMO.root, body: { password: 'notify-pass-3' } })).status, 204);
    const ms2 = await waitUntilAll(c, SPREAD, 'GET', '/people/COHNTF001', second, [401]);
    t.diagnostic(`after reconnect: invalidation after ${ms2.toFixed(0)} ms`);
    assert.ok(ms2 < LIMIT_MS);
    assert.ok(c.logs.some((l) => l.includes('account change listener lost')), 'the drop is logged');
  } finally {
    await c.stop();
  }
});
