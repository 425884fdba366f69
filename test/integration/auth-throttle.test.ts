import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { basic, createDatabase, DEMO, req, startServer, type TestDatabase, type TestServer } from '../helpers/server.js';
import { fresh, sleep, spread } from '../helpers/security.js';

// Issue 3: failed logins are counted in PostgreSQL, so the limit holds across workers; a lock
// refuses even the right password until it ends; a success resets the account's count; the
// client address comes from X-Forwarded-For only when the peer is a trusted proxy.
const WINDOW_MS = 4000;

let db: TestDatabase;
let s: TestServer;

before(async () => {
  db = await createDatabase();
  s = await startServer({
    db,
    timeoutMs: 180000,
    workers: 2,
    env: {
      THALAMUS_THROTTLE_ACCOUNT_FAILURES: '4',
      THALAMUS_THROTTLE_ADDRESS_FAILURES: '6',
      THALAMUS_THROTTLE_WINDOW_MS: String(WINDOW_MS),
      THALAMUS_TRUSTED_PROXIES: '127.0.0.1/32',
    },
  });
});

after(async () => {
  await s?.stop();
  await db?.drop();
});

/** Each test speaks from its own client address (through the trusted proxy, i.e. us). */
function from(addr: string): Record<string, string> {
  return { 'x-forwarded-for': addr };
}

async function createUser(id: string, password: string): Promise<void> {
  const r = await req(s, 'POST', `/people/${id}`, { auth: DEMO.root, body: { name: 'T', password }, headers: from('198.51.100.1') });
  assert.equal(r.status, 201, r.text);
}

test('N failures spread over the workers lock the account; the right password is refused until the lock ends', async () => {
  await createUser('THRACC001', 'right-password');
  const right = basic('THRACC001', 'right-password');
  // Proven and cached first: the lock must still refuse it.
  assert.ok((await spread(s, 6, 'GET', '/people/THRACC001', right)).every((r) => r.status === 200));
  const wrong = basic('THRACC001', 'wrong-password');
  const statuses = await Promise.all([1, 2, 3, 4].map((i) => fresh(s, 'GET', '/people/THRACC001', { auth: wrong, headers: from(`203.0.113.${i}`) })));
  assert.deepEqual(statuses.map((r) => r.status), [401, 401, 401, 401]);
  const locked = await fresh(s, 'GET', '/people/THRACC001', { auth: wrong, headers: from('203.0.113.9') });
  assert.equal(locked.status, 429);
  const retry = Number(locked.headers['retry-after']);
  assert.ok(retry >= 1 && retry <= WINDOW_MS / 1000, `Retry-After ${retry}`);
  assert.match(locked.text, /"error"/);
  await sleep(300); // the lock reaches every worker's cache through the change log
  const blocked = await Promise.all(Array.from({ length: 8 }, (_, i) => fresh(s, 'GET', '/people/THRACC001', { auth: right, headers: from(`203.0.113.${20 + i}`) })));
  assert.deepEqual(blocked.map((r) => r.status), new Array(8).fill(429));
  await sleep(retry * 1000 + 300);
  const back = await fresh(s, 'GET', '/people/THRACC001', { auth: right, headers: from('203.0.113.40') });
  assert.equal(back.status, 200);
});

test('a success resets the account count', async () => {
  await createUser('THRACC002', 'right-password');
  const wrong = basic('THRACC002', 'nope-nope');
  const right = basic('THRACC002', 'right-password');
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < 3; i++) assert.equal((await fresh(s, 'GET', '/people/THRACC002', { auth: wrong, headers: from(`192.0.2.${round * 10 + i}`) })).status, 401);
    // Three more failures would have locked it (limit 4) without this success in between.
    assert.equal((await fresh(s, 'GET', '/people/THRACC002', { auth: right, headers: from('192.0.2.200') })).status, 200);
  }
});

test('M failures from one client address lock that address for every account not already proven; another address is unaffected', async () => {
  await createUser('THRADDR01', 'addr-password');
  const good = basic('THRADDR01', 'addr-password');
  const addr = from('203.0.113.77');
  for (let i = 0; i < 6; i++) {
    const r = await fresh(s, 'GET', '/login', { auth: basic(`NOSUCH${i}`, 'whatever-pass'), headers: addr });
    assert.equal(r.status, 401);
  }
  const r = await fresh(s, 'GET', '/login', { auth: good, headers: addr });
  assert.equal(r.status, 429);
  assert.ok(Number(r.headers['retry-after']) >= 1);
  assert.equal((await fresh(s, 'GET', '/login', { auth: good, headers: from('203.0.113.78') })).status, 200);
  // Without a trusted proxy in front, X-Forwarded-For is the client's word and is ignored:
  // covered by test/http/client-address.test.ts.
});

test('an unknown account is throttled like a known one (no enumeration through 429)', async () => {
  const ghost = basic('NOSUCHUSER9', 'guess-guess');
  const codes: number[] = [];
  for (let i = 0; i < 5; i++) codes.push((await fresh(s, 'GET', '/login', { auth: ghost, headers: from(`198.18.0.${i}`) })).status);
  assert.deepEqual(codes, [401, 401, 401, 401, 429]);
});
