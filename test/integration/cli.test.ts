import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import bcrypt from 'bcrypt';
import pg from 'pg';
import { basic, createSharedDatabase, DEMO, req, ROOT, startServer, type TestDatabase, type TestServer } from '../helpers/server.js';

/**
 * Issue 7: the admin CLI, run compiled as a child process against a database of the test's own
 * (and a second one holding a Thalamus 0.9 schema as the import source), with every failure
 * mode checked for its message and exit code.
 */

const CLI = join(ROOT, 'dist', 'src', 'cli', 'thalamus.js');
let target: TestDatabase & { url: string };
let legacy: TestDatabase & { url: string };
let server: TestServer | null = null;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], opts: { stdin?: string; env?: Record<string, string | undefined> } = {}): Promise<Run> {
  const env: Record<string, string> = { ...(process.env as Record<string, string>), DATABASE_URL: target.url };
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
    p.stdin.on('error', () => undefined); // the CLI may exit before reading
    p.stdin.end(opts.stdin ?? '');
  });
}

async function sql<R extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<R[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<R>(text, values)).rows;
  } finally {
    await c.end();
  }
}

const LEGACY_SCHEMA = `
CREATE TABLE people (id VARCHAR PRIMARY KEY, data JSONB);
CREATE TABLE pols (id VARCHAR PRIMARY KEY, book VARCHAR REFERENCES people (id), data JSONB);
CREATE TABLE personal_docs (id VARCHAR PRIMARY KEY, fedacct VARCHAR REFERENCES people (id), pol VARCHAR REFERENCES pols (id), document BYTEA, data JSONB);
CREATE TABLE dus (id VARCHAR PRIMARY KEY, data JSONB);
CREATE TABLE institutions (id VARCHAR PRIMARY KEY, data JSONB);`;
const LEGACY_PASSWORD = 'oldthalamus';
const PEOPLE = 25;
const DOC_BYTES = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0, 255, 10, 13]);

before(async () => {
  target = await createSharedDatabase();
  legacy = await createSharedDatabase();
});

after(async () => {
  await server?.stop();
  await target?.drop();
  await legacy?.drop();
});

test('usage errors exit 2 and say what is wrong', async () => {
  let r = await cli(['frobnicate']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown command frobnicate/);
  r = await cli(['--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /user add ID --role/);
  r = await cli(['migrate'], { env: { DATABASE_URL: undefined } });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /DATABASE_URL is not set/);
  r = await cli(['migrate'], { env: { DATABASE_URL: 'mysql://root@localhost/x' } });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /must start with postgresql:\/\//);
  r = await cli(['migrate'], { env: { DATABASE_URL: 'not a url' } });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /not a URL/);
  r = await cli(['seed']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /seed --demo/);
  r = await cli(['import']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--from is not set/);
});

test('a server that is not there exits 3, with the password masked', async () => {
  const r = await cli(['migrate'], { env: { DATABASE_URL: 'postgresql://someone:hunter22@127.0.0.1:1/nowhere' } });
  assert.equal(r.code, 3);
  assert.match(r.stderr, /cannot connect to postgresql:\/\/someone:\*\*\*@127\.0\.0\.1:1\/nowhere: connection refused/);
  assert.doesNotMatch(r.stderr + r.stdout, /hunter22/);
});

test('migrate and seed --demo are idempotent', async () => {
  let r = await cli(['user', 'deactivate', 'ESPGNU777ORG']);
  assert.equal(r.code, 1, 'before migrate: no schema');
  assert.match(r.stderr, /run `thalamus migrate` first/);
  r = await cli(['migrate']);
  assert.equal(r.code, 0, r.stderr);
  r = await cli(['migrate']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /up to date/);
  for (let i = 0; i < 2; i++) {
    r = await cli(['seed', '--demo']);
    assert.equal(r.code, 0, r.stderr);
  }
  const rows = await sql<{ n: string }>(target.url, 'SELECT count(*) AS n FROM people');
  assert.equal(Number(rows[0].n), 3);
});

test('user add / passwd / roles / deactivate, and their failure modes', async () => {
  let r = await cli(['user', 'add', 'drtest01', '--role', 'end_user', 'health_professional', '--name', 'Dana'], { stdin: 'first-password\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /created DRTEST01 with roles end_user, health_professional/);
  let row = (await sql<{ data: { password: string; roles: string[]; active: boolean; name: string } }>(target.url, "SELECT data FROM people WHERE id = 'DRTEST01'"))[0];
  assert.match(row.data.password, /^\$argon2id\$/);
  assert.deepEqual(row.data.roles, ['end_user', 'health_professional']);
  assert.equal(row.data.active, true);
  assert.equal(row.data.name, 'Dana');

  r = await cli(['user', 'add', 'DRTEST01', '--role', 'end_user'], { stdin: 'another-password\n' });
  assert.equal(r.code, 5, 'duplicate user');
  assert.match(r.stderr, /user DRTEST01 already exists/);

  r = await cli(['user', 'add', 'DRTEST02', '--role', 'end_user', '--password', 'in-argv-123']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /never taken from the command line/);
  assert.doesNotMatch(r.stderr, /in-argv-123/);
  r = await cli(['user', 'add', 'DRTEST02', '--password=in-argv-123', '--role', 'end_user']);
  assert.equal(r.code, 2);
  r = await cli(['user', 'add', 'DRTEST02', '--role', 'end_user'], { stdin: 'short\n' });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /8-128 characters/);
  r = await cli(['user', 'add', 'DRTEST02', '--role', 'end_user']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /no password on standard input/);
  r = await cli(['user', 'add', 'DRTEST02']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /at least one role/);
  r = await cli(['user', 'add', 'bad/id', '--role', 'end_user'], { stdin: 'long-enough-1\n' });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /is not a federation ID/);
  assert.equal((await sql(target.url, "SELECT 1 FROM people WHERE id = 'DRTEST02'")).length, 0);

  r = await cli(['user', 'passwd', 'NOBODY99'], { stdin: 'long-enough-1\n' });
  assert.equal(r.code, 6);
  assert.match(r.stderr, /no user NOBODY99/);
  r = await cli(['user', 'roles', 'NOBODY99', 'root']);
  assert.equal(r.code, 6);
  r = await cli(['user', 'frob', 'DRTEST01']);
  assert.equal(r.code, 2);

  const before = row.data.password;
  r = await cli(['user', 'passwd', 'drtest01'], { stdin: 'second-password\n' });
  assert.equal(r.code, 0, r.stderr);
  r = await cli(['user', 'roles', 'DRTEST01', 'end_user']);
  assert.equal(r.code, 0, r.stderr);
  row = (await sql<typeof row>(target.url, "SELECT data FROM people WHERE id = 'DRTEST01'"))[0];
  assert.notEqual(row.data.password, before);
  assert.deepEqual(row.data.roles, ['end_user']);
});

test('import from a non-Thalamus database exits 4 naming the missing tables; from itself exits 2', async () => {
  let r = await cli(['import', '--from', legacy.url]);
  assert.equal(r.code, 4);
  assert.match(r.stderr, /has no table people, pols, personal_docs, dus, institutions/);
  r = await cli(['import', '--from', target.url]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /names the target database itself/);
  await sql(legacy.url, 'CREATE TABLE people (id VARCHAR PRIMARY KEY, info JSONB)');
  r = await cli(['import', '--from', legacy.url]);
  assert.equal(r.code, 4);
  assert.match(r.stderr, /no table pols/);
  await sql(legacy.url, 'DROP TABLE people');
});

test('import copies a Thalamus 0.9 database: resumable, idempotent, bcrypt hashes kept', async () => {
  await sql(legacy.url, LEGACY_SCHEMA);
  const hash = await bcrypt.hash(LEGACY_PASSWORD, 4);
  // Lower-case IDs, as some old databases hold them: the contract stores people upper-case.
  await sql(
    legacy.url,
    `INSERT INTO people SELECT 'leg' || lpad(g::text, 4, '0'), jsonb_build_object('name', 'Old', 'lastname', g::text, 'roles', '["end_user"]'::jsonb, 'password', $1::text)
     FROM generate_series(1, $2::int) g`,
    [hash, PEOPLE],
  );
  await sql(
    legacy.url,
    `INSERT INTO pols SELECT 'page-' || g || '-' || p, 'leg' || lpad(g::text, 4, '0'), jsonb_build_object('page_date', '2020-01-0' || p, 'summary', 'visit ' || p)
     FROM generate_series(1, $1::int) g, generate_series(1, 3) p`,
    [PEOPLE],
  );
  await sql(legacy.url, `INSERT INTO personal_docs VALUES ('doc-1', 'leg0001', 'page-1-1', $1, '{"type": "picture", "extension": "jpg"}')`, [DOC_BYTES]);
  await sql(legacy.url, `INSERT INTO dus VALUES ('du-1', '{"desc": "old household"}'), ('du-2', '{}')`);
  await sql(legacy.url, `INSERT INTO institutions VALUES ('inst-1', '{"name": "Old Hospital"}')`);

  // Batches of 10 people (--batch-scale 0.002 of 5000); two batches, then stop.
  let r = await cli(['import', '--from', legacy.url, '--batch-scale', '0.002', '--max-batches', '2']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /import paused/);
  assert.match(r.stderr, /run the same command again to resume/);
  assert.match(r.stderr, /^people: 20\/25 done/m, 'plain progress lines when stderr is not a terminal');
  let n = await sql<{ n: string }>(target.url, "SELECT count(*) AS n FROM people WHERE id LIKE 'LEG%'");
  assert.equal(Number(n[0].n), 20);

  r = await cli(['import', '--from', legacy.url, '--batch-scale', '0.002']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /people: resuming after leg0020 \(20 rows read before\)/);
  assert.match(r.stdout, /import complete in [\d.]+ s \(new\/read: people 25\/25, pols 75\/75, personal_docs 1\/1, dus 2\/2, institutions 1\/1\)/);

  const counts = await sql<{ p: string; pols: string; d: string; du: string; i: string }>(
    target.url,
    `SELECT (SELECT count(*) FROM people WHERE id LIKE 'LEG%') AS p, (SELECT count(*) FROM pols WHERE book LIKE 'LEG%') AS pols,
       (SELECT count(*) FROM personal_docs WHERE id = 'doc-1') AS d, (SELECT count(*) FROM dus WHERE id LIKE 'du-%') AS du,
       (SELECT count(*) FROM institutions WHERE id = 'inst-1') AS i`,
  );
  assert.deepEqual(counts[0], { p: String(PEOPLE), pols: String(PEOPLE * 3), d: '1', du: '2', i: '1' });
  const kept = await sql<{ h: string; id: string }>(target.url, "SELECT data ->> 'password' AS h, data ->> 'id' AS id FROM people WHERE id = 'LEG0007'");
  assert.equal(kept[0].h, hash, 'bcrypt hash copied as is');
  assert.equal(kept[0].id, 'LEG0007');
  const doc = await sql<{ document: Buffer; fedacct: string }>(target.url, "SELECT document, fedacct FROM personal_docs WHERE id = 'doc-1'");
  assert.deepEqual(doc[0].document, DOC_BYTES);
  assert.equal(doc[0].fedacct, 'LEG0001');

  // Idempotent: a second full run inserts nothing and changes nothing.
  await sql(target.url, `UPDATE institutions SET data = data || '{"name": "Renamed here"}' WHERE id = 'inst-1'`);
  r = await cli(['import', '--from', legacy.url]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /people 0\/25, pols 0\/75, personal_docs 0\/1, dus 0\/2, institutions 0\/1/);
  n = await sql<{ n: string }>(target.url, "SELECT data ->> 'name' AS n FROM institutions WHERE id = 'inst-1'");
  assert.equal(n[0].n, 'Renamed here', 'what the target already holds wins');
});

test('a running server: imported bcrypt accounts log in, CLI changes take effect', async () => {
  server = await startServer({ db: target, workers: 1, env: { THALAMUS_SEED_DEMO: 'never' } });
  let r = await req(server, 'GET', '/login', { auth: basic('leg0003', LEGACY_PASSWORD) });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, { id: 'LEG0003', name: 'Old', lastname: '3', roles: ['end_user'] });
  r = await req(server, 'GET', '/pols/LEG0003', { auth: basic('LEG0003', LEGACY_PASSWORD) });
  assert.equal(r.status, 200);
  assert.equal((r.json as unknown[]).length, 3);
  r = await req(server, 'GET', '/login', { auth: basic('DRTEST01', 'second-password') });
  assert.equal(r.status, 200);
  r = await req(server, 'GET', '/login', { auth: DEMO.ana });
  assert.equal(r.status, 200);

  const d = await cli(['user', 'deactivate', 'DRTEST01']);
  assert.equal(d.code, 0, d.stderr);
  // The contract's 1 s, with room for a loaded CI machine.
  const deadline = Date.now() + 5000;
  do {
    r = await req(server, 'GET', '/login', { auth: basic('DRTEST01', 'second-password') });
    if (r.status === 401) break;
    await new Promise((res) => setTimeout(res, 100));
  } while (Date.now() < deadline);
  assert.equal(r.status, 401, 'deactivated account refused by the running server');
});

test('export streams every record as NDJSON, without password hashes unless asked', async () => {
  let r = await cli(['export']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { type: string; data: Record<string, unknown> });
  const byType: Record<string, number> = {};
  for (const l of lines) byType[l.type] = (byType[l.type] ?? 0) + 1;
  assert.deepEqual(byType, { person: 3 + 1 + PEOPLE, page_of_life: 2 + PEOPLE * 3, personal_document: 2, domiciliary_unit: 4, institution: 4 });
  assert.equal(lines.some((l) => 'password' in l.data), false);
  assert.match(r.stderr, /exported 29 people/);
  const doc = lines.find((l) => l.data.id === 'doc-1');
  assert.deepEqual(Buffer.from(doc?.data.document as string, 'base64'), DOC_BYTES);
  r = await cli(['export', '--tables', 'people', '--with-password-hashes']);
  assert.equal(r.code, 0);
  const hashes = r.stdout.trimEnd().split('\n').map((l) => (JSON.parse(l) as { data: { password?: string } }).data.password);
  assert.ok(hashes.every((h) => typeof h === 'string' && h.startsWith('$')));
  r = await cli(['export', '--tables', 'secrets']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown table secrets/);
});
