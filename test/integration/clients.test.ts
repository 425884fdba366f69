import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createDatabase, DEMO, req, startServer, type TestDatabase, type TestServer } from '../helpers/server.js';

/** The request patterns of the three real clients named at the end of CONTRACT.md. */
describe('real clients', () => {
  let db: TestDatabase;
  let s: TestServer;
  before(async () => {
    db = await createDatabase();
    s = await startServer({ db, workers: 2 });
  });
  after(async () => {
    await s?.stop();
    await db?.drop();
  });

  test('MyGNUHealth: connection test, then pages synced as json.dumps(page) with no Content-Type', async () => {
    assert.equal((await req(s, 'GET', '/people/ESPGNU777ORG', { auth: DEMO.ana })).status, 200);
    const pageId = 'b6f2a1c4-8d1e-4b7a-9e55-3c2d1f0a9b11';
    // Python's json.dumps separators: ", " and ": "
    const body =
      '{"id": "' + pageId + '", "book": "ESPGNU777ORG", "page_date": "2026-11-26T08:30:00", "domain": "medical", ' +
      '"context": "self_monitoring", "measurements": {"bp": {"systolic": 116, "diastolic": 79}, "hr": 75, "osat": 99, "wt": 68.0}, ' +
      '"privacy": false, "fsynced": false, "creation_info": {"user": "ESPGNU777ORG", "timestamp": "2026-11-26T08:31:02", "node": "mygnuhealth"}}';
    const r = await req(s, 'POST', `/pols/ESPGNU777ORG/${pageId}`, { auth: DEMO.ana, body });
    assert.ok(r.status >= 200 && r.status < 300, String(r.status));
    const page = (await req(s, 'GET', `/pols/ESPGNU777ORG/${pageId}`, { auth: DEMO.ana })).json as Record<string, unknown>;
    assert.deepEqual(page.measurements, { bp: { systolic: 116, diastolic: 79 }, hr: 75, osat: 99, wt: 68.0 });
    assert.deepEqual(page.creation_info, { user: 'ESPGNU777ORG', timestamp: '2026-11-26T08:31:02', node: 'mygnuhealth' });
  });

  test('GNU Health HMIS: pushes people and pages as POST and PATCH with no Content-Type', async () => {
    const hmis = DEMO.cameron;
    assert.equal((await req(s, 'GET', '/people/ITAPYT999HON', { auth: hmis })).status, 200);
    const person = { id: 'HMISPAT001', name: 'Lucia', lastname: 'Rossi', dob: '1971-03-02', gender: 'f', creation_info: { user: 'admin', timestamp: '2026-11-26 08:00:00', node: 'GNU Health HMIS Milano' } };
    assert.ok([200, 201].includes((await req(s, 'POST', '/people/HMISPAT001', { auth: hmis, body: JSON.stringify(person) })).status));
    const mod = { lastname: 'Rossi-Bianchi', modification_info: { user: 'admin', timestamp: '2026-11-26 08:05:00', node: 'GNU Health HMIS Milano' } };
    assert.equal((await req(s, 'PATCH', '/people/HMISPAT001', { auth: hmis, body: JSON.stringify(mod) })).status, 200);
    const page = {
      id: 'hmis-page-0001', page_date: '2026-11-26 08:10:00', age: '55y 8m 24d', page_type: 'medical', relevance: 'important',
      medical_context: 'health_condition', health_condition_text: 'Essential hypertension', health_condition_code: 'I10',
      procedure_text: null, procedure_code: null, gene: null, phenotype: null, natural_variant: null, social_context: null,
      summary: 'Hypertension', info: 'Follow-up in 3 months', measurements: null, node: 'GNU Health HMIS Milano', author: 'Cameron Cordara',
      author_acct: 'ITAPYT999HON', creation_info: { user: 'admin', timestamp: '2026-11-26 08:10:00', node: 'GNU Health HMIS Milano' },
    };
    assert.equal((await req(s, 'POST', '/pols/HMISPAT001/hmis-page-0001', { auth: hmis, body: JSON.stringify(page) })).status, 201);
    const p2 = await req(s, 'PATCH', '/pols/HMISPAT001/hmis-page-0001', { auth: hmis, body: JSON.stringify({ info: 'Follow-up in 1 month', modification_info: mod.modification_info }) });
    assert.equal(p2.status, 200);
    const got = p2.json as Record<string, unknown>;
    assert.equal(got.info, 'Follow-up in 1 month');
    assert.equal(got.health_condition_code, 'I10');
    const who = (await req(s, 'GET', '/people/HMISPAT001', { auth: hmis })).json as Record<string, unknown>;
    assert.equal(who.lastname, 'Rossi-Bianchi');
  });

  test('Federation Portal: login, people list read as person[0].id, create with Content-Type: application/json, cross-origin', async () => {
    const origin = { origin: 'https://portal.federation.example' };
    const login = await req(s, 'GET', '/login', { auth: DEMO.root, headers: origin });
    assert.equal(login.status, 200);
    assert.equal(login.headers['access-control-allow-origin'], origin.origin);
    const people = (await req(s, 'GET', '/people', { auth: DEMO.root, headers: origin })).json as Array<Array<{ id: string; name: string }>>;
    const person = people.find((p) => p[0].id === 'ESPGNU777ORG');
    assert.ok(person);
    assert.equal(person[0].name, 'Ana');
    const created = await req(s, 'POST', '/people/PORTAL0001', {
      auth: DEMO.root,
      headers: { ...origin, 'content-type': 'application/json' },
      body: { gender: 'm', name: 'Paolo', lastname: 'Verdi', password: 'portal-password', roles: ['end_user'], dob: '1980-01-01', active: true, deceased: false },
    });
    assert.equal(created.status, 201);
    assert.equal((await req(s, 'GET', '/people/PORTAL0001', { auth: DEMO.root, headers: origin })).status, 200);
    assert.equal((await req(s, 'GET', '/login', { auth: 'Basic ' + Buffer.from('PORTAL0001:portal-password').toString('base64') })).status, 200);
  });
});

describe('collections: "flat"', () => {
  let db: TestDatabase;
  let s: TestServer;
  before(async () => {
    db = await createDatabase();
    s = await startServer({ db, workers: 1, transport: 'node', env: { THALAMUS_COLLECTIONS: 'flat' } });
  });
  after(async () => {
    await s?.stop();
    await db?.drop();
  });

  test('returns [{...},{...}] instead of one-element arrays', async () => {
    const r = await req(s, 'GET', '/pols/ESPGNU777ORG', { auth: DEMO.ana });
    const pages = r.json as Array<{ id: string }>;
    assert.equal(pages.length, 2);
    assert.equal(typeof pages[0].id, 'string');
    assert.ok(!Array.isArray(pages[0]));
    const empty = await req(s, 'GET', '/personal_docs/ITAPYT999HON', { auth: DEMO.cameron });
    assert.deepEqual(empty.json, []);
  });
});
