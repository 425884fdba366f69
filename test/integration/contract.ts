import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  ANA_BIRTH_PAGE, ANA_CERT_PAGE, ANA_PICTURE, basic, createDatabase, DEMO, req,
  startServer, type TestDatabase, type TestServer,
} from '../helpers/server.js';

const HASH_RE = /\$2[aby]\$|\$argon2/;

/** Sends raw bytes and collects everything until the server closes, `done(out)` holds, or `ms` pass. */
export function raw(port: number, payload: string, ms = 1500, done?: (out: string) => boolean): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => s.write(payload));
    let out = '';
    const t = setTimeout(() => (s.destroy(), resolve(out)), ms);
    s.on('data', (d) => {
      out += d.toString('latin1');
      if (done?.(out)) {
        clearTimeout(t);
        s.destroy();
        resolve(out);
      }
    });
    s.on('close', () => (clearTimeout(t), resolve(out)));
    s.on('error', () => (clearTimeout(t), resolve(out)));
  });
}

/** Every row of CONTRACT.md's resource table, with its error statuses, on one transport. */
export function contractSuite(transport: 'uws' | 'node'): void {
  describe(`contract over ${transport}`, () => {
    let db: TestDatabase;
    let s: TestServer;
    before(async () => {
      db = await createDatabase();
      s = await startServer({ db, transport, workers: 2 });
    });
    after(async () => {
      await s?.stop();
      await db?.drop();
    });

    test('start-up line names the transport and the database', () => {
      const line = s.logs.find((l) => l.includes('listening on http')) ?? '';
      assert.match(line, transport === 'uws' ? /uWebSockets\.js \(native\)/ : /node:http/);
      assert.match(line, db.kind === 'embedded' ? /database embedded/ : /database postgres/);
    });

    test('GET / is a welcome page without auth; probes answer', async () => {
      const r = await req(s, 'GET', '/');
      assert.equal(r.status, 200);
      assert.match(String(r.headers['content-type']), /text\/html/);
      assert.match(r.text, /Thalamus/);
      assert.ok(r.headers['content-security-policy']);
      assert.equal((await req(s, 'GET', '/healthz')).status, 200);
      assert.equal((await req(s, 'GET', '/readyz')).status, 200);
    });

    test('routing decides first: unknown path 404 and wrong method 405 with Allow, even unauthenticated', async () => {
      const nf = await req(s, 'GET', '/nothing/here');
      assert.equal(nf.status, 404);
      assert.equal(typeof (nf.json as { error: string }).error, 'string');
      const na = await req(s, 'PUT', '/people/ESPGNU777ORG');
      assert.equal(na.status, 405);
      assert.match(String(na.headers.allow), /GET.*POST.*PATCH.*DELETE/);
      assert.equal((await req(s, 'DELETE', '/people', { auth: DEMO.root })).status, 405);
    });

    test('401 with the Basic challenge for missing, wrong or unknown credentials; 403 when not allowed', async () => {
      for (const auth of [undefined, basic('ESPGNU777ORG', 'wrong'), basic('NOBODY', 'gnusolidario'), 'Bearer xyz', 'Basic !!!']) {
        const r = await req(s, 'GET', '/people/ESPGNU777ORG', { auth });
        assert.equal(r.status, 401, String(auth));
        assert.equal(r.headers['www-authenticate'], 'Basic realm="Thalamus", charset="UTF-8"');
      }
      assert.equal((await req(s, 'GET', '/people/ITAPYT999HON', { auth: DEMO.ana })).status, 403);
      assert.equal((await req(s, 'GET', '/people', { auth: DEMO.ana })).status, 403);
    });

    test('GET /login returns {id, name, lastname, roles} for a legacy bcrypt account; the ID is case-insensitive', async () => {
      const r = await req(s, 'GET', '/login', { auth: basic('itapyt999hon', 'gnusolidario') });
      assert.equal(r.status, 200);
      assert.deepEqual(r.json, { id: 'ITAPYT999HON', name: 'Cameron', lastname: 'Cordara', roles: ['end_user', 'health_professional'] });
    });

    test('GET /people is the nested collection the portal reads as person[0].id, with no hash', async () => {
      const r = await req(s, 'GET', '/people', { auth: DEMO.cameron });
      assert.equal(r.status, 200);
      const list = r.json as Array<Array<{ id: string; name: string }>>;
      assert.ok(list.length >= 3);
      for (const el of list) assert.ok(Array.isArray(el) && el.length === 1);
      assert.deepEqual(list.map((p) => p[0].id).filter((id) => /^(ARG|ESP|ITA)/.test(id)).sort(), ['ARGBUE111FAV', 'ESPGNU777ORG', 'ITAPYT999HON']);
      assert.doesNotMatch(r.text, HASH_RE);
      assert.ok(!r.text.includes('"password"'));
    });

    test('GET /people/{id}: own record, 404, 400 for malformed IDs', async () => {
      const r = await req(s, 'GET', '/people/espgnu777org', { auth: DEMO.ana });
      assert.equal(r.status, 200);
      const p = r.json as Record<string, unknown>;
      assert.equal(p.name, 'Ana');
      assert.equal(p.lastname, 'Betz');
      assert.equal(p.dob, '1985-10-04');
      assert.equal(p.password, undefined);
      assert.equal((await req(s, 'GET', '/people/NOBODY00', { auth: DEMO.cameron })).status, 404);
      for (const bad of ['a%2Fb', 'x'.repeat(129), 'a%00b', 'caf%C3%A9', 'a%20b']) {
        const b = await req(s, 'GET', `/people/${bad}`, { auth: DEMO.cameron });
        assert.equal(b.status, 400, bad);
        assert.equal(typeof (b.json as { error: string }).error, 'string');
      }
    });

    test('POST /people: 201 with Location, upper-cased ID, defaults, hashed password; 409 when it exists', async () => {
      const r = await req(s, 'POST', '/people/newperson1', {
        auth: DEMO.root,
        headers: { 'content-type': 'application/json' },
        body: { name: 'New', lastname: 'Person', gender: 'm', dob: '1990-01-01', password: 'a-good-password', deceased: false },
      });
      assert.equal(r.status, 201);
      assert.equal(r.headers.location, '/people/NEWPERSON1');
      const p = r.json as Record<string, unknown>;
      assert.equal(p.id, 'NEWPERSON1');
      assert.deepEqual(p.roles, ['end_user']);
      assert.equal(p.active, true);
      assert.equal(p.password, undefined);
      assert.doesNotMatch(r.text, HASH_RE);
      assert.equal((await req(s, 'GET', '/login', { auth: basic('newperson1', 'a-good-password') })).status, 200);
      assert.equal((await req(s, 'POST', '/people/NEWPERSON1', { auth: DEMO.root, body: { name: 'Again' } })).status, 409);
    });

    test('POST /people: a bcrypt hash is kept (migration); bad field types are 422; body id must match', async () => {
      const hash = '$2b$04$GNyjFZgWqNYxXQIXm2Ixuef8WOJ75I5eQcRe0nckPWGZ8z6NOM1Ra'; // "x"
      assert.equal((await req(s, 'POST', '/people/MIGRATED1', { auth: DEMO.root, body: { name: 'M', password: hash } })).status, 201);
      assert.equal((await req(s, 'GET', '/login', { auth: basic('MIGRATED1', 'x') })).status, 200);
      const bad = [{ roles: 'root' }, { roles: [1] }, { active: 'yes' }, { password: 'short' }, { password: 42 }, { id: 'OTHER' }];
      for (const body of bad) assert.equal((await req(s, 'POST', '/people/TYPES1', { auth: DEMO.root, body })).status, 422, JSON.stringify(body));
      assert.equal((await req(s, 'POST', '/people/CASE1', { auth: DEMO.root, body: { id: 'case1' } })).status, 201);
    });

    test('the admin guard: without admin, POST may only create active end users', async () => {
      assert.equal((await req(s, 'POST', '/people/HP1', { auth: DEMO.cameron, body: { roles: ['root'] } })).status, 403);
      assert.equal((await req(s, 'POST', '/people/HP2', { auth: DEMO.cameron, body: { active: false } })).status, 403);
      assert.equal((await req(s, 'POST', '/people/HP3', { auth: DEMO.cameron, body: { roles: ['end_user'] } })).status, 201);
      assert.equal((await req(s, 'POST', '/people/HP4', { auth: DEMO.root, body: { roles: ['health_professional'], active: false } })).status, 201);
    });

    test('PATCH /people: shallow merge; 422 for a different id; 404; the admin guard on roles and active', async () => {
      await req(s, 'POST', '/people/PATCHME', { auth: DEMO.root, body: { name: 'P', lastname: 'Q', password: 'patchme-password' } });
      const r = await req(s, 'PATCH', '/people/patchme', { auth: DEMO.cameron, body: { lastname: 'R', extra: { a: 1 } } });
      assert.equal(r.status, 200);
      assert.deepEqual({ ...(r.json as object), roles: undefined }, { id: 'PATCHME', name: 'P', lastname: 'R', extra: { a: 1 }, active: true, roles: undefined });
      assert.equal((await req(s, 'PATCH', '/people/PATCHME', { auth: DEMO.cameron, body: { id: 'OTHER' } })).status, 422);
      assert.equal((await req(s, 'PATCH', '/people/PATCHME', { auth: DEMO.cameron, body: { id: 'patchme' } })).status, 200);
      assert.equal((await req(s, 'PATCH', '/people/GHOST1', { auth: DEMO.root, body: { a: 1 } })).status, 404);
      const self = basic('PATCHME', 'patchme-password');
      assert.equal((await req(s, 'PATCH', '/people/PATCHME', { auth: self, body: { roles: ['root'] } })).status, 403);
      assert.equal((await req(s, 'PATCH', '/people/PATCHME', { auth: self, body: { roles: ['end_user'] } })).status, 200, 'resending the same roles is fine');
      assert.equal((await req(s, 'PATCH', '/people/PATCHME', { auth: DEMO.cameron, body: { roles: ['root'] } })).status, 403);
      assert.equal((await req(s, 'PATCH', '/people/PATCHME', { auth: DEMO.cameron, body: { active: false } })).status, 403);
      assert.equal((await req(s, 'PATCH', '/people/PATCHME', { auth: DEMO.cameron, body: { roles: 'x' } })).status, 422);
      const promoted = await req(s, 'PATCH', '/people/PATCHME', { auth: DEMO.root, body: { roles: ['end_user', 'health_professional'] } });
      assert.equal(promoted.status, 200);
      assert.doesNotMatch(promoted.text, HASH_RE);
    });

    test('PATCH /people with a password re-hashes it and the old one stops working', async () => {
      await req(s, 'POST', '/people/PWCHANGE', { auth: DEMO.root, body: { name: 'P', password: 'first-password' } });
      const old = basic('PWCHANGE', 'first-password');
      assert.equal((await req(s, 'GET', '/login', { auth: old })).status, 200);
      const r = await req(s, 'PATCH', '/people/PWCHANGE', { auth: old, body: { password: 'second-password' } });
      assert.equal(r.status, 200);
      assert.doesNotMatch(r.text, HASH_RE);
      await new Promise((res) => setTimeout(res, 1000));
      for (let i = 0; i < 4; i++) assert.equal((await req(s, 'GET', '/login', { auth: old })).status, 401, 'old password on every worker');
      assert.equal((await req(s, 'GET', '/login', { auth: basic('PWCHANGE', 'second-password') })).status, 200);
    });

    test('DELETE /people: 409 while active, 409 while pages refer to it, 204 otherwise', async () => {
      await req(s, 'POST', '/people/DELME', { auth: DEMO.root, body: { name: 'D' } });
      assert.equal((await req(s, 'DELETE', '/people/DELME', { auth: DEMO.root })).status, 409);
      await req(s, 'PATCH', '/people/DELME', { auth: DEMO.root, body: { active: false } });
      await req(s, 'POST', '/pols/DELME/delme-page', { auth: DEMO.root, body: { page_date: '2020-01-01' } });
      assert.equal((await req(s, 'DELETE', '/people/DELME', { auth: DEMO.root })).status, 409);
      assert.equal((await req(s, 'DELETE', '/pols/DELME/delme-page', { auth: DEMO.root })).status, 204);
      assert.equal((await req(s, 'DELETE', '/people/DELME', { auth: DEMO.root })).status, 204);
      assert.equal((await req(s, 'GET', '/people/DELME', { auth: DEMO.root })).status, 404);
      assert.equal((await req(s, 'DELETE', '/people/DELME', { auth: DEMO.root })).status, 404);
      assert.equal((await req(s, 'DELETE', '/people/ESPGNU777ORG', { auth: DEMO.cameron })).status, 403);
    });

    test("GET /pols/{person}: Ana's Book of Life in page_date order", async () => {
      const r = await req(s, 'GET', '/pols/ESPGNU777ORG', { auth: DEMO.ana });
      assert.equal(r.status, 200);
      const pages = (r.json as Array<[Record<string, unknown>]>).map((x) => x[0]);
      assert.deepEqual(pages.map((p) => p.id), [ANA_BIRTH_PAGE, ANA_CERT_PAGE]);
      assert.equal(pages[0].page_date, '1985-10-04T13:05:00Z');
      assert.equal(pages[0].health_condition_code, 'O80');
      assert.equal(pages[0].node, 'Milano General Hospital');
      assert.equal(pages[1].node, 'Milano City Hall');
      assert.equal((await req(s, 'GET', '/pols/NOBODY00', { auth: DEMO.root })).status, 404);
      assert.equal((await req(s, 'GET', '/pols/ITAPYT999HON', { auth: DEMO.ana })).status, 403);
    });

    test('pages of life: GET one, POST (id and book from the path), PATCH, DELETE, with their errors', async () => {
      const g = await req(s, 'GET', `/pols/ESPGNU777ORG/${ANA_CERT_PAGE}`, { auth: DEMO.ana });
      assert.equal(g.status, 200);
      assert.equal((g.json as Record<string, unknown>).summary, 'Birth Certificate');
      assert.equal((await req(s, 'GET', '/pols/ESPGNU777ORG/nope', { auth: DEMO.ana })).status, 404);
      assert.equal((await req(s, 'GET', `/pols/ITAPYT999HON/${ANA_CERT_PAGE}`, { auth: DEMO.root })).status, 404, 'page of another book');
      const c = await req(s, 'POST', '/pols/ESPGNU777ORG/page-1', { auth: DEMO.ana, body: { page_date: '2020-02-02T10:00:00Z', domain: 'medical' } });
      assert.equal(c.status, 201);
      assert.deepEqual({ id: (c.json as Record<string, unknown>).id, book: (c.json as Record<string, unknown>).book }, { id: 'page-1', book: 'ESPGNU777ORG' });
      assert.equal((await req(s, 'POST', '/pols/ESPGNU777ORG/page-1', { auth: DEMO.ana, body: {} })).status, 409);
      assert.equal((await req(s, 'POST', '/pols/ESPGNU777ORG/page-2', { auth: DEMO.ana, body: { id: 'page-3' } })).status, 422);
      assert.equal((await req(s, 'POST', '/pols/NOBODY00/page-4', { auth: DEMO.root, body: {} })).status, 404);
      assert.equal((await req(s, 'POST', '/pols/ITAPYT999HON/page-5', { auth: DEMO.ana, body: {} })).status, 403);
      const p = await req(s, 'PATCH', '/pols/ESPGNU777ORG/page-1', { auth: DEMO.ana, body: { summary: 'checked' } });
      assert.equal(p.status, 200);
      assert.equal((p.json as Record<string, unknown>).summary, 'checked');
      assert.equal((p.json as Record<string, unknown>).domain, 'medical');
      assert.equal((await req(s, 'PATCH', '/pols/ESPGNU777ORG/page-1', { auth: DEMO.ana, body: { id: 'x' } })).status, 422);
      assert.equal((await req(s, 'PATCH', '/pols/ESPGNU777ORG/page-1', { auth: DEMO.ana, body: { book: 'ITAPYT999HON' } })).status, 422);
      assert.equal((await req(s, 'PATCH', '/pols/ESPGNU777ORG/nope', { auth: DEMO.ana, body: {} })).status, 404);
      assert.equal((await req(s, 'DELETE', `/pols/ESPGNU777ORG/${ANA_BIRTH_PAGE}`, { auth: DEMO.root })).status, 409, 'documents refer to it');
      assert.equal((await req(s, 'DELETE', '/pols/ESPGNU777ORG/page-1', { auth: DEMO.root })).status, 204);
      assert.equal((await req(s, 'DELETE', '/pols/ESPGNU777ORG/page-1', { auth: DEMO.root })).status, 404);
    });

    test('personal documents: metadata lists with size and no bytes; raw download as image/jpeg with ETag', async () => {
      const all = await req(s, 'GET', '/personal_docs/ESPGNU777ORG', { auth: DEMO.ana });
      assert.equal(all.status, 200);
      const meta = (all.json as Array<[Record<string, unknown>]>).map((x) => x[0]);
      const pic = meta.find((m) => m.id === ANA_PICTURE) as Record<string, unknown>;
      assert.ok(pic);
      assert.equal(pic.fedacct, 'ESPGNU777ORG');
      assert.equal(pic.pol, ANA_BIRTH_PAGE);
      assert.equal(pic.type, 'picture');
      assert.equal(pic.extension, 'jpg');
      assert.equal(pic.context, 'identification');
      assert.equal(pic.description, 'Picture at birth');
      assert.ok(typeof pic.size === 'number' && pic.size > 100);
      assert.equal(pic.document, undefined);
      const one = await req(s, 'GET', `/personal_docs/ESPGNU777ORG/${ANA_BIRTH_PAGE}`, { auth: DEMO.ana });
      assert.equal((one.json as unknown[]).length, 1);
      const dl = await req(s, 'GET', `/personal_docs/ESPGNU777ORG/${ANA_BIRTH_PAGE}/${ANA_PICTURE}`, { auth: DEMO.ana });
      assert.equal(dl.status, 200);
      assert.equal(dl.headers['content-type'], 'image/jpeg');
      assert.equal(Number(dl.headers['content-length']), pic.size);
      assert.deepEqual([...dl.body.subarray(0, 3)], [0xff, 0xd8, 0xff]);
      const etag = String(dl.headers.etag);
      assert.match(etag, /^".+"$/);
      const again = await req(s, 'GET', `/personal_docs/ESPGNU777ORG/${ANA_BIRTH_PAGE}/${ANA_PICTURE}`, { auth: DEMO.ana, headers: { 'if-none-match': etag } });
      assert.equal(again.status, 304);
      assert.equal((await req(s, 'GET', `/personal_docs/ITAPYT999HON`, { auth: DEMO.ana })).status, 403);
    });

    test('personal documents: base64 upload, download of the same bytes, errors, delete', async () => {
      const bytes = Buffer.from([0x25, 0x50, 0x44, 0x46, 0x2d, 0x31, 0x2e, 0x34, 0x00, 0xff]);
      const up = await req(s, 'POST', `/personal_docs/ESPGNU777ORG/${ANA_CERT_PAGE}/cert-scan`, {
        auth: DEMO.ana,
        body: { type: 'certificate', extension: 'pdf', description: 'scan', document: bytes.toString('base64') },
      });
      assert.equal(up.status, 201);
      const m = up.json as Record<string, unknown>;
      assert.equal(m.size, bytes.length);
      assert.equal(m.document, undefined);
      const dl = await req(s, 'GET', `/personal_docs/ESPGNU777ORG/${ANA_CERT_PAGE}/cert-scan`, { auth: DEMO.ana });
      assert.equal(dl.headers['content-type'], 'application/pdf');
      assert.deepEqual(dl.body, bytes);
      assert.equal((await req(s, 'POST', `/personal_docs/ESPGNU777ORG/${ANA_CERT_PAGE}/cert-scan`, { auth: DEMO.ana, body: { document: '' } })).status, 409);
      assert.equal((await req(s, 'POST', `/personal_docs/ESPGNU777ORG/${ANA_CERT_PAGE}/d2`, { auth: DEMO.ana, body: { document: 'not base64!' } })).status, 422);
      assert.equal((await req(s, 'POST', `/personal_docs/ESPGNU777ORG/${ANA_CERT_PAGE}/d3`, { auth: DEMO.ana, body: { type: 'x' } })).status, 422);
      assert.equal((await req(s, 'POST', `/personal_docs/ESPGNU777ORG/no-such-page/d4`, { auth: DEMO.ana, body: { document: 'AA==' } })).status, 404);
      assert.equal((await req(s, 'DELETE', `/personal_docs/ESPGNU777ORG/${ANA_CERT_PAGE}/cert-scan`, { auth: DEMO.ana })).status, 204);
      assert.equal((await req(s, 'GET', `/personal_docs/ESPGNU777ORG/${ANA_CERT_PAGE}/cert-scan`, { auth: DEMO.ana })).status, 404);
    });

    for (const [prefix, one] of [['/domiciliary-units', 'GNU-DU-001'], ['/institutions', 'ITMIGH001']] as const) {
      test(`${prefix}: collection, GET, POST, PATCH, DELETE with 404/409/422`, async () => {
        const list = await req(s, 'GET', prefix, { auth: DEMO.cameron });
        assert.equal(list.status, 200);
        assert.ok((list.json as Array<[{ id: string }]>).some((x) => x[0].id === one));
        assert.equal((await req(s, 'GET', `${prefix}/${one}`, { auth: DEMO.cameron })).status, 200);
        assert.equal((await req(s, 'GET', `${prefix}/NOPE`, { auth: DEMO.cameron })).status, 404);
        assert.equal((await req(s, 'GET', prefix, { auth: DEMO.ana })).status, 403);
        const c = await req(s, 'POST', `${prefix}/NEW-1`, { auth: DEMO.root, body: { name: 'n' } });
        assert.equal(c.status, 201);
        assert.equal(c.headers.location, `${prefix}/NEW-1`);
        assert.equal((await req(s, 'POST', `${prefix}/NEW-1`, { auth: DEMO.root, body: {} })).status, 409);
        assert.equal((await req(s, 'POST', `${prefix}/NEW-2`, { auth: DEMO.root, body: { id: 'NEW-3' } })).status, 422);
        const p = await req(s, 'PATCH', `${prefix}/NEW-1`, { auth: DEMO.root, body: { name: 'm' } });
        assert.equal((p.json as Record<string, unknown>).name, 'm');
        assert.equal((await req(s, 'PATCH', `${prefix}/NEW-1`, { auth: DEMO.root, body: { id: 'X' } })).status, 422);
        assert.equal((await req(s, 'DELETE', `${prefix}/NEW-1`, { auth: DEMO.root })).status, 204);
        assert.equal((await req(s, 'DELETE', `${prefix}/NEW-1`, { auth: DEMO.root })).status, 404);
      });
    }

    test('password change: HTML form with a CSRF token; JSON 204; policy 422; form 303; forged form 403', async () => {
      await req(s, 'POST', '/people/PWFORM', { auth: DEMO.root, body: { name: 'F', password: 'form-password-1' } });
      const me = basic('PWFORM', 'form-password-1');
      const form = await req(s, 'GET', '/password/PWFORM', { auth: me });
      assert.equal(form.status, 200);
      assert.match(String(form.headers['content-type']), /text\/html/);
      assert.equal(form.headers['x-frame-options'], 'DENY');
      const csrf = /name="csrf" value="([^"]+)"/.exec(form.text)?.[1] ?? '';
      assert.ok(csrf);
      assert.equal((await req(s, 'GET', '/password/ESPGNU777ORG', { auth: me })).status, 403);
      const formType = { 'content-type': 'application/x-www-form-urlencoded' };
      const short = await req(s, 'POST', '/password/PWFORM', { auth: me, headers: formType, body: `csrf=${encodeURIComponent(csrf)}&password=short&confirm=short` });
      assert.equal(short.status, 422);
      assert.match(short.text, /8-128 characters/);
      const forged = await req(s, 'POST', '/password/PWFORM', { auth: me, headers: formType, body: 'csrf=1.abc&password=form-password-2&confirm=form-password-2' });
      assert.equal(forged.status, 403);
      const ok = await req(s, 'POST', '/password/PWFORM', { auth: me, headers: formType, body: `csrf=${encodeURIComponent(csrf)}&password=form-password-2&confirm=form-password-2` });
      assert.equal(ok.status, 303);
      assert.equal(ok.headers.location, '/');
      const me2 = basic('PWFORM', 'form-password-2');
      assert.equal((await req(s, 'POST', '/password/PWFORM', { auth: me2, body: { password: 'tiny' } })).status, 422);
      assert.equal((await req(s, 'POST', '/password/PWFORM', { auth: me2, body: { password: 'json-password-3' } })).status, 204);
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal((await req(s, 'GET', '/login', { auth: me2 })).status, 401);
      assert.equal((await req(s, 'GET', '/login', { auth: basic('PWFORM', 'json-password-3') })).status, 200);
    });

    test('bodies: malformed JSON and bad UTF-8 are 400, non-objects 422, over the limit 413', async () => {
      const auth = DEMO.root;
      assert.equal((await req(s, 'POST', '/institutions/B1', { auth, body: '{"name": ' })).status, 400);
      assert.equal((await req(s, 'POST', '/institutions/B2', { auth, body: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]) })).status, 400);
      assert.equal((await req(s, 'POST', '/institutions/B3', { auth, body: '[1,2,3]' })).status, 422);
      assert.equal((await req(s, 'POST', '/institutions/B4', { auth, body: '{"a":"\\u0000"}' })).status, 422);
      const big = await req(s, 'POST', '/institutions/B5', { auth, body: '{"a":"' + 'x'.repeat(1024 * 1024 + 10) + '"}' });
      assert.equal(big.status, 413);
      assert.equal((await req(s, 'GET', '/readyz')).status, 200);
    });

    test('paging: ?limit=&after= in key order with Link rel="next" while more remain', async () => {
      const first = await req(s, 'GET', '/people?limit=2', { auth: DEMO.root });
      assert.equal(first.status, 200);
      const ids1 = (first.json as Array<[{ id: string }]>).map((x) => x[0].id);
      assert.equal(ids1.length, 2);
      const link = String(first.headers.link);
      assert.match(link, /^<\/people\?limit=2&after=[^>]+>; rel="next"$/);
      const next = link.slice(1, link.indexOf('>'));
      const second = await req(s, 'GET', next, { auth: DEMO.root });
      const ids2 = (second.json as Array<[{ id: string }]>).map((x) => x[0].id);
      assert.ok(ids2[0] > ids1[1]);
      const everything = (await req(s, 'GET', '/people', { auth: DEMO.root })).json as unknown[];
      const last = await req(s, 'GET', `/people?limit=${everything.length}`, { auth: DEMO.root });
      assert.equal(last.headers.link, undefined);
      assert.equal((await req(s, 'GET', '/people?limit=zero', { auth: DEMO.root })).status, 400);
      const book = await req(s, 'GET', '/pols/ESPGNU777ORG?limit=1', { auth: DEMO.ana });
      assert.deepEqual((book.json as Array<[{ id: string }]>).map((x) => x[0].id), [ANA_BIRTH_PAGE]);
      const rest = await req(s, 'GET', `/pols/ESPGNU777ORG?limit=1&after=${ANA_BIRTH_PAGE}`, { auth: DEMO.ana });
      assert.deepEqual((rest.json as Array<[{ id: string }]>).map((x) => x[0].id), [ANA_CERT_PAGE]);
    });

    test('CORS: preflight and Access-Control-Allow-* for a browser origin', async () => {
      const pre = await req(s, 'OPTIONS', '/people/ESPGNU777ORG', {
        headers: { origin: 'https://portal.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
      });
      assert.equal(pre.status, 204);
      assert.equal(pre.headers['access-control-allow-origin'], 'https://portal.example');
      assert.match(String(pre.headers['access-control-allow-methods']), /POST/);
      assert.match(String(pre.headers['access-control-allow-headers']), /Authorization/i);
      const r = await req(s, 'GET', '/login', { auth: DEMO.ana, headers: { origin: 'https://portal.example' } });
      assert.equal(r.headers['access-control-allow-origin'], 'https://portal.example');
      assert.equal(r.headers['access-control-allow-credentials'], 'true');
    });

    test('keep-alive: many requests on one connection', async () => {
      const a = 'authorization: ' + DEMO.ana + '\r\n';
      const out = await raw(s.port, `GET /people/ESPGNU777ORG HTTP/1.1\r\nHost: x\r\n${a}\r\n`, 5000, (o) => o.includes('"Betz"'));
      assert.match(out, /^HTTP\/1\.1 200/);
      const traversal = await raw(s.port, `GET /people/.. HTTP/1.1\r\nHost: x\r\n${a}\r\n`, 5000, (o) => o.includes('BAD_ID'));
      assert.match(traversal, /^HTTP\/1\.1 400/);
      for (let i = 0; i < 20; i++) assert.equal((await req(s, 'GET', '/pols/ESPGNU777ORG', { auth: DEMO.ana })).status, 200);
    });

    if (transport === 'uws') {
      test('pipelining on uWS: answers come in order, or the connection closes (never misordered, never 5xx)', async () => {
        const a = 'authorization: ' + DEMO.ana + '\r\n';
        const out = await raw(s.port, `GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\nGET /people/ESPGNU777ORG HTTP/1.1\r\nHost: x\r\n${a}\r\n`, 5000, (o) => o.includes('"Betz"'));
        const statuses = [...out.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]);
        assert.deepEqual(statuses, ['404', '200'].slice(0, statuses.length));
      });
    }

    if (transport === 'node') {
      test('pipelining answers in order', async () => {
        const a = 'authorization: ' + DEMO.ana + '\r\n';
        const out = await raw(
          s.port,
          `GET /people/ESPGNU777ORG HTTP/1.1\r\nHost: x\r\n${a}\r\nGET /nowhere HTTP/1.1\r\nHost: x\r\n\r\nGET /pols/ESPGNU777ORG HTTP/1.1\r\nHost: x\r\n${a}\r\n`,
          5000,
          (o) => o.includes(ANA_CERT_PAGE),
        );
        const statuses = [...out.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]);
        assert.deepEqual(statuses, ['200', '404', '200']);
        assert.ok(out.indexOf('"Ana"') < out.indexOf('no resource') && out.indexOf('no resource') < out.indexOf(ANA_BIRTH_PAGE));
      });

      test('HTTP/1.0 gets a complete, non-chunked answer', async () => {
        const out = await raw(s.port, `GET /pols/ESPGNU777ORG HTTP/1.0\r\nauthorization: ${DEMO.ana}\r\n\r\n`, 5000);
        assert.match(out, /^HTTP\/1\.[01] 200/);
        assert.doesNotMatch(out, /transfer-encoding: chunked/i);
        const body = out.slice(out.indexOf('\r\n\r\n') + 4);
        assert.equal((JSON.parse(body) as unknown[]).length, 2);
      });
    }
  });
}
