import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { head, readAll, type FeedEvent } from '../helpers/events.js';
import { createDatabase, DEMO, req, startServer, type TestDatabase, type TestServer } from '../helpers/server.js';
import { connectWs, WsRejected } from '../helpers/ws-client.js';

const ANA = 'ESPGNU777ORG';
const CAMERON = 'ITAPYT999HON';
const JPEG_B64 = Buffer.from([0xff, 0xd8, 0xff, 0xd9]).toString('base64');

describe('change feed (issue 6)', () => {
  let db: TestDatabase;
  let server: TestServer;

  before(async () => {
    db = await createDatabase();
    server = await startServer({ db, workers: 2, env: { THALAMUS_EVENTS_WS_BUFFER_BYTES: '65536' } });
  });
  after(async () => {
    await server?.stop();
    await db?.drop();
  });

  it('appends one event per successful write, with the right fields and never a password', async () => {
    const base = await head(server);
    const writes: Array<[string, string, object | undefined, number, Partial<FeedEvent>]> = [
      ['POST', '/people/evt001', { name: 'Eve', password: 'secret-pass-1' }, 201, { resource: 'people', id: 'EVT001', person: 'EVT001', op: 'create' }],
      ['PATCH', '/people/EVT001', { lastname: 'Feed', password: 'another-pass-2' }, 200, { resource: 'people', id: 'EVT001', op: 'update', changed: { lastname: 'Feed' } }],
      ['POST', '/pols/EVT001/evpage1', { summary: 's' }, 201, { resource: 'pols', id: 'evpage1', person: 'EVT001', op: 'create', path: '/pols/EVT001/evpage1' }],
      ['PATCH', '/pols/EVT001/evpage1', { summary: 't' }, 200, { resource: 'pols', op: 'update', changed: { summary: 't' } }],
      ['POST', '/personal_docs/EVT001/evpage1/evdoc1', { type: 'picture', extension: 'jpg', document: JPEG_B64 }, 201,
        { resource: 'personal_docs', id: 'evdoc1', person: 'EVT001', op: 'create', path: '/personal_docs/EVT001/evpage1/evdoc1', changed: null }],
      ['DELETE', '/personal_docs/EVT001/evpage1/evdoc1', undefined, 204, { resource: 'personal_docs', op: 'delete' }],
      ['DELETE', '/pols/EVT001/evpage1', undefined, 204, { resource: 'pols', op: 'delete' }],
      ['POST', '/domiciliary-units/evdu1', { address: 'x' }, 201, { resource: 'domiciliary-units', id: 'evdu1', person: null, op: 'create' }],
      ['PATCH', '/domiciliary-units/evdu1', { address: 'y' }, 200, { resource: 'domiciliary-units', op: 'update', changed: { address: 'y' } }],
      ['DELETE', '/domiciliary-units/evdu1', undefined, 204, { resource: 'domiciliary-units', op: 'delete' }],
      ['POST', '/institutions/evinst1', { name: 'H' }, 201, { resource: 'institutions', id: 'evinst1', op: 'create', path: '/institutions/evinst1' }],
      ['PATCH', '/institutions/evinst1', { name: 'H2' }, 200, { resource: 'institutions', op: 'update' }],
      ['DELETE', '/institutions/evinst1', undefined, 204, { resource: 'institutions', op: 'delete' }],
      ['PATCH', '/people/EVT001', { active: false }, 200, { resource: 'people', op: 'update', changed: { active: false } }],
      ['DELETE', '/people/EVT001', undefined, 204, { resource: 'people', id: 'EVT001', op: 'delete', path: '/people/EVT001' }],
    ];
    for (const [method, path, body, status] of writes) {
      const r = await req(server, method, path, { auth: DEMO.root, body });
      assert.equal(r.status, status, `${method} ${path}: ${r.text}`);
    }
    const { events } = await readAll(server, base);
    assert.equal(events.length, writes.length, JSON.stringify(events.map((e) => [e.seq, e.op, e.path])));
    for (const [i, ev] of events.entries()) {
      const want = writes[i][4];
      for (const [k, v] of Object.entries(want)) assert.deepEqual(ev[k as keyof FeedEvent], v, `event ${i} (${writes[i][0]} ${writes[i][1]}) field ${k}`);
      assert.equal(ev.actor, 'ARGBUE111FAV');
      assert.ok(Date.now() - Date.parse(ev.at) < 120000, 'at is a recent timestamp');
      if (i > 0) assert.ok(ev.seq > events[i - 1].seq, 'in order');
      assert.ok(!JSON.stringify(ev).includes('password') && !JSON.stringify(ev).includes('$argon2'), 'no password or hash');
      if (ev.op !== 'update') assert.equal(ev.changed, null);
    }
  });

  it('appends nothing for a failed or refused write', async () => {
    const base = await head(server);
    const failing: Array<[string, string, string, object | undefined, number]> = [
      [DEMO.root, 'POST', '/pols/NOBODY000/pg', { summary: 'x' }, 404],
      [DEMO.root, 'POST', `/people/${ANA}`, { name: 'dup' }, 409],
      [DEMO.root, 'PATCH', '/pols/NOBODY000/pg', { summary: 'x' }, 404],
      [DEMO.root, 'DELETE', `/people/${ANA}`, undefined, 409],
      [DEMO.root, 'DELETE', '/institutions/none', undefined, 404],
      [DEMO.ana, 'PATCH', `/people/${ANA}`, { roles: ['root'] }, 403],
      [DEMO.root, 'POST', '/personal_docs/ESPGNU777ORG/nopage/d1', { document: JPEG_B64 }, 404],
      [DEMO.root, 'PATCH', '/domiciliary-units/none', { a: 1 }, 404],
    ];
    for (const [auth, method, path, body, status] of failing) {
      const r = await req(server, method, path, { auth, body });
      assert.equal(r.status, status, `${method} ${path}: ${r.text}`);
    }
    const ok = await req(server, 'POST', '/institutions/evmarker', { auth: DEMO.root, body: {} });
    assert.equal(ok.status, 201);
    const { events } = await readAll(server, base);
    assert.deepEqual(events.map((e) => e.id), ['evmarker']);
  });

  it('rejects bad query parameters with 400 and unauthenticated or unauthorised subscribers', async () => {
    for (const q of ['after=-1', 'after=x', 'limit=0', 'limit=5000', 'wait=31', 'wait=1.5']) {
      const r = await req(server, 'GET', `/events?${q}`, { auth: DEMO.root });
      assert.equal(r.status, 400, q);
    }
    assert.equal((await req(server, 'GET', '/events')).status, 401);
    await assert.rejects(connectWs(server.port, '/events/ws'), (e: unknown) => e instanceof WsRejected && e.status === 401);
    await assert.rejects(connectWs(server.port, '/events/ws', { Authorization: 'Basic ' + Buffer.from(`${ANA}:wrong`).toString('base64') }),
      (e: unknown) => e instanceof WsRejected && e.status === 401);
    const plain = await req(server, 'GET', '/events/ws', { auth: DEMO.root });
    assert.equal(plain.status, 426);
  });

  it('delivers in order with no gaps across a WebSocket reconnect with after', async () => {
    const base = await head(server);
    const ids: string[] = [];
    const write = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) {
        const id = `gap${ids.length}`;
        ids.push(id);
        const r = await req(server, 'POST', `/pols/${ANA}/${id}`, { auth: DEMO.root, body: { summary: id } });
        assert.equal(r.status, 201);
      }
    };
    const ws1 = await connectWs(server.port, '/events/ws', { Authorization: DEMO.root });
    ws1.send(JSON.stringify({ after: base }));
    await write(5);
    const got1 = (await ws1.waitFor(3)).map((t) => JSON.parse(t) as FeedEvent);
    ws1.close();
    await ws1.closed;
    const seen = got1.slice(0, 3);
    await write(5); // while disconnected
    const ws2 = await connectWs(server.port, '/events/ws', { Authorization: DEMO.root });
    ws2.send(JSON.stringify({ after: seen[seen.length - 1].seq }));
    const rest = ids.length - seen.length;
    const more = ws2.waitFor(rest + 2);
    await write(2); // live, after the catch-up
    const got2 = (await more).map((t) => JSON.parse(t) as FeedEvent);
    ws2.close();
    const all = [...seen, ...got2];
    assert.deepEqual(all.map((e) => e.id), ids);
    for (let i = 1; i < all.length; i++) assert.ok(all[i].seq > all[i - 1].seq);
    assert.deepEqual(all.map((e) => e.seq), (await readAll(server, base)).events.map((e) => e.seq), 'same as the pull feed');
  });

  it("never gives an end user another person's events", async () => {
    const base = await head(server);
    const ws = await connectWs(server.port, '/events/ws', { Authorization: DEMO.ana });
    ws.send(JSON.stringify({ after: base }));
    const cam = await connectWs(server.port, '/events/ws', { Authorization: DEMO.cameron });
    cam.send(JSON.stringify({ after: base }));
    const steps: Array<[string, string, object]> = [
      ['POST', `/pols/${CAMERON}/priv1`, { summary: 'cameron' }],
      ['POST', '/domiciliary-units/privdu', { address: 'z' }],
      ['POST', `/pols/${ANA}/mine1`, { summary: 'ana' }],
      ['PATCH', `/people/${CAMERON}`, { lastname: 'C' }],
      ['POST', '/institutions/privinst', { name: 'i' }],
      ['PATCH', `/pols/${ANA}/mine1`, { summary: 'ana2' }],
    ];
    for (const [method, path, body] of steps) assert.ok((await req(server, method, path, { auth: DEMO.root, body })).status < 300);
    const mine = (await ws.waitFor(2)).map((t) => JSON.parse(t) as FeedEvent);
    // Cameron (health professional, global) sees all six: by then Ana's socket has had every chance to get more.
    await cam.waitFor(6);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(ws.messages.map((t) => (JSON.parse(t) as FeedEvent).id), ['mine1', 'mine1']);
    assert.ok(mine.every((e) => e.person === ANA));
    const pulled = await readAll(server, base, DEMO.ana);
    assert.deepEqual(pulled.events.map((e) => e.path), [`/pols/${ANA}/mine1`, `/pols/${ANA}/mine1`]);
    ws.close();
    cam.close();
  });

  it('fans out to subscribers on every worker', async () => {
    const base = await head(server);
    const subs = await Promise.all(Array.from({ length: 8 }, () => connectWs(server.port, '/events/ws', { Authorization: DEMO.root })));
    for (const s of subs) s.send(JSON.stringify({ after: base }));
    for (let i = 0; i < 3; i++) assert.equal((await req(server, 'POST', `/institutions/fan${i}`, { auth: DEMO.root, body: {} })).status, 201);
    for (const s of subs) {
      const got = (await s.waitFor(3)).map((t) => (JSON.parse(t) as FeedEvent).id);
      assert.deepEqual(got, ['fan0', 'fan1', 'fan2']);
      s.close();
    }
  });

  it('long-poll returns early when an event arrives', async () => {
    const base = await head(server);
    const started = Date.now();
    const poll = req(server, 'GET', `/events?after=${base}&wait=25`, { auth: DEMO.root });
    await new Promise((r) => setTimeout(r, 400));
    assert.equal((await req(server, 'POST', '/institutions/lp1', { auth: DEMO.root, body: {} })).status, 201);
    const r = await poll;
    const ms = Date.now() - started;
    assert.equal(r.status, 200);
    assert.deepEqual((r.json as { events: FeedEvent[] }).events.map((e) => e.id), ['lp1']);
    assert.ok(ms < 15000, `long-poll took ${ms} ms`);
    // With nothing new it waits, then answers empty.
    const t0 = Date.now();
    const empty = await req(server, 'GET', `/events?after=${(r.json as { last: number }).last}&wait=1`, { auth: DEMO.root });
    assert.deepEqual((empty.json as { events: unknown[] }).events, []);
    assert.ok(Date.now() - t0 >= 900);
  });

  it('cuts off a subscriber that does not read, with a close reason, and keeps serving', async () => {
    const base = await head(server);
    const slow = await connectWs(server.port, '/events/ws', { Authorization: DEMO.root });
    slow.send(JSON.stringify({ after: base }));
    await new Promise((r) => setTimeout(r, 300));
    slow.socket.pause();
    const big = 'x'.repeat(500 * 1024);
    assert.equal((await req(server, 'POST', '/institutions/slow1', { auth: DEMO.root, body: {} })).status, 201);
    let closedEarly = false;
    void slow.closed.then(() => (closedEarly = true));
    for (let i = 0; i < 60 && !closedEarly; i++) {
      const p = await req(server, 'PATCH', '/institutions/slow1', { auth: DEMO.root, body: { blob: big, i } });
      assert.equal(p.status, 200, p.text + server.logs.slice(-5).join('\n'));
    }
    slow.socket.resume();
    const c = await Promise.race([slow.closed, new Promise<null>((r) => setTimeout(() => r(null), 20000))]);
    assert.ok(c, 'slow subscriber was not disconnected');
    assert.equal(c.code, 1008);
    assert.match(c.reason, /too slow/);
    assert.ok(slow.messages.length < 61, 'it did not get everything');
    assert.equal((await req(server, 'GET', '/healthz')).status, 200);
  });

  it('ends a subscription when its account is deactivated', async () => {
    assert.equal((await req(server, 'POST', '/people/REVOKE01', { auth: DEMO.root, body: { name: 'R', password: 'revoke-pass-1' } })).status, 201);
    const auth = 'Basic ' + Buffer.from('REVOKE01:revoke-pass-1').toString('base64');
    const ws = await connectWs(server.port, '/events/ws', { Authorization: auth });
    ws.send('{}');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await req(server, 'PATCH', '/people/REVOKE01', { auth: DEMO.root, body: { active: false } })).status, 200);
    const c = await Promise.race([ws.closed, new Promise<null>((r) => setTimeout(() => r(null), 10000))]);
    assert.ok(c, 'subscription outlived the deactivation');
    assert.equal(c.code, 4401);
    await assert.rejects(connectWs(server.port, '/events/ws', { Authorization: auth }), (e: unknown) => e instanceof WsRejected && e.status === 401);
  });
});
