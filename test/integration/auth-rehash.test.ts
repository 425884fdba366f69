import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { basic, createSharedDatabase, DEMO, startServer, type TestDatabase, type TestServer } from '../helpers/server.js';
import { fresh, spread, withDb } from '../helpers/security.js';

// Issue 3: a bcrypt hash from an old Thalamus is replaced by argon2id on the first successful
// login, exactly once even when many logins race on several workers.
let db: TestDatabase & { url: string };
let s: TestServer;

before(async () => {
  db = await createSharedDatabase();
  s = await startServer({ db, timeoutMs: 180000, workers: 2 });
  // Count every rewrite of a stored password, whatever the server logs about it.
  await withDb(db.url, async (c) => {
    await c.query('CREATE TABLE test_password_writes (id varchar NOT NULL)');
    await c.query(`CREATE FUNCTION test_count_password_writes() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF (OLD.data -> 'password') IS DISTINCT FROM (NEW.data -> 'password') THEN
          INSERT INTO test_password_writes VALUES (NEW.id);
        END IF;
        RETURN NEW;
      END $$`);
    await c.query('CREATE TRIGGER test_count_password_writes AFTER UPDATE ON people FOR EACH ROW EXECUTE FUNCTION test_count_password_writes()');
  });
});

after(async () => {
  await s?.stop();
  await db?.drop();
});

const hashOf = (id: string): Promise<string> =>
  withDb(db.url, async (c) => (await c.query<{ h: string }>(`SELECT data ->> 'password' AS h FROM people WHERE id = $1`, [id])).rows[0].h);
const count = (table: string, id: string): Promise<number> =>
  withDb(db.url, async (c) => (await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE id = $1`, [id])).rows[0].n);
const rewrites = (id: string): Promise<number> => count('test_password_writes', id);
const changes = (id: string): Promise<number> => count('account_changes', id);

test('bcrypt → argon2id once under concurrent logins', async () => {
  assert.match(await hashOf('ITAPYT999HON'), /^\$2b\$12\$/);
  assert.equal(await rewrites('ITAPYT999HON'), 0);
  const rs = await spread(s, 8, 'GET', '/login', DEMO.cameron);
  assert.deepEqual(rs.map((r) => r.status), new Array(8).fill(200));
  assert.match(await hashOf('ITAPYT999HON'), /^\$argon2id\$/);
  assert.equal(await rewrites('ITAPYT999HON'), 1, 'exactly one rewrite of the stored hash');
  // Same password: the re-hash is not an account change (no cache drop, no feed cut-off).
  assert.equal(await changes('ITAPYT999HON'), 0, 'a re-hash is not logged as an account change');
  const again = await spread(s, 4, 'GET', '/login', DEMO.cameron);
  assert.deepEqual(again.map((r) => r.status), new Array(4).fill(200));
  assert.equal(await rewrites('ITAPYT999HON'), 1);
});

test('a wrong password never rewrites a bcrypt hash', async () => {
  const before = await hashOf('ESPGNU777ORG');
  const rs = await spread(s, 2, 'GET', '/login', 'Basic ' + Buffer.from('ESPGNU777ORG:not-her-password').toString('base64'));
  assert.ok(rs.every((r) => r.status === 401));
  assert.equal(await hashOf('ESPGNU777ORG'), before);
});

test('a password change racing the first login is not overwritten by the re-hash', async () => {
  // Root's own first login (and its re-hash) happen before the race.
  assert.equal((await spread(s, 1, 'GET', '/login', DEMO.root))[0].status, 200);
  assert.match(await hashOf('ESPGNU777ORG'), /^\$2b\$/);
  // Ana's login spends ~bcrypt cost-12 verifying the old hash; the change lands meanwhile.
  const [login, change] = await Promise.all([
    spread(s, 1, 'GET', '/login', DEMO.ana),
    fresh(s, 'POST', '/password/ESPGNU777ORG', { auth: DEMO.root, body: JSON.stringify({ password: 'changed-meanwhile' }) }),
  ]);
  assert.equal(login[0].status, 200);
  assert.equal(change.status, 204);
  await new Promise((r) => setTimeout(r, 400));
  const now = await spread(s, 4, 'GET', '/login', basic('ESPGNU777ORG', 'changed-meanwhile'));
  assert.deepEqual(now.map((r) => r.status), [200, 200, 200, 200], 'the changed password stands');
  const old = await spread(s, 4, 'GET', '/login', DEMO.ana);
  assert.deepEqual(old.map((r) => r.status), [401, 401, 401, 401]);
});
