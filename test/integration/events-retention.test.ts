import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createDatabase, DEMO, req, startServer, type TestDatabase, type TestServer } from '../helpers/server.js';
import { connectWs } from '../helpers/ws-client.js';

/** Retention (issue 6): old events are pruned; an `after` older than what is kept gets 410. */
describe('change feed retention', () => {
  let db: TestDatabase;
  let server: TestServer;

  before(async () => {
    db = await createDatabase();
    server = await startServer({
      db,
      workers: 2,
      env: { THALAMUS_EVENTS_RETENTION_MS: '500', THALAMUS_EVENTS_PRUNE_INTERVAL_MS: '200' },
    });
  });
  after(async () => {
    await server?.stop();
    await db?.drop();
  });

  it('answers 410 with the oldest available sequence once events are pruned', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await req(server, 'POST', `/institutions/r${i}`, { auth: DEMO.root, body: {} })).status, 201);
    let gone = null;
    for (let i = 0; i < 100 && !gone; i++) {
      await new Promise((r) => setTimeout(r, 200));
      const r = await req(server, 'GET', '/events?after=0', { auth: DEMO.root });
      if (r.status === 410) gone = r;
      else assert.equal(r.status, 200);
    }
    assert.ok(gone, 'events were never pruned');
    const body = gone.json as { error: string; code: string; oldest: number; latest: number };
    assert.equal(body.code, 'GONE');
    assert.ok(body.oldest >= 2 && body.oldest <= 4, `oldest ${body.oldest}`);
    assert.ok(body.latest >= 3);
    // Resuming at the horizon works; without `after` the feed starts at what is kept.
    assert.equal((await req(server, 'GET', `/events?after=${body.oldest - 1}`, { auth: DEMO.root })).status, 200);
    assert.equal((await req(server, 'GET', '/events', { auth: DEMO.root })).status, 200);
    // The WebSocket says the same with close code 4410.
    const ws = await connectWs(server.port, '/events/ws', { Authorization: DEMO.root });
    ws.send(JSON.stringify({ after: 0 }));
    const c = await ws.closed;
    assert.equal(c.code, 4410);
    assert.match(c.reason, /oldest available/);
  });
});
