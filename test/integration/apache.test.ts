import assert from 'node:assert/strict';
import { request } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { apacheAvailable, startApache, type TestApache } from '../helpers/apache.js';
import { createDatabase, DEMO, startServer, type TestDatabase, type TestServer } from '../helpers/server.js';

/**
 * The shipped Apache site (ops/apache-thalamus.conf) in front of Thalamus: an authenticated
 * read over HTTPS, and Apache's X-Forwarded-For believed only when Thalamus trusts the proxy.
 * The hostile-input corpus runs through the same site in bad-input.test.ts.
 */

function https(port: number, path: string, headers: Record<string, string>): Promise<{ status: number; headers: IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    // The test's self-signed certificate; a fresh connection per request.
    const r = request({ host: '127.0.0.1', port, path, headers, rejectUnauthorized: false, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    r.on('error', reject);
    r.end();
  });
}

/** The `remote` of the next request-log line for `/people/{person}` after `from`. */
async function loggedRemote(server: TestServer, from: number): Promise<string | undefined> {
  const end = Date.now() + 5000;
  while (Date.now() < end) {
    for (const line of server.logs.slice(from)) {
      if (!line.includes('"msg":"request"') || !line.includes('"route":"/people/{person}"')) continue;
      return (JSON.parse(line) as { remote?: string }).remote;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return undefined;
}

const skip = apacheAvailable() ? false : 'apache2 or openssl is not installed (apt-get install apache2)';

describe('Apache TLS site (ops/apache-thalamus.conf)', { skip }, () => {
  let db: TestDatabase;
  before(async () => {
    db = await createDatabase();
  });
  after(async () => {
    await db?.drop();
  });

  for (const trusted of [true, false]) {
    test(`GET with Basic auth over HTTPS; X-Forwarded-For ${trusted ? 'believed with' : 'ignored without'} THALAMUS_TRUSTED_PROXIES=127.0.0.1`, async () => {
      const server = await startServer({ db, workers: 1, env: { THALAMUS_TRUSTED_PROXIES: trusted ? '127.0.0.1' : '' } });
      let apache: TestApache | undefined;
      try {
        apache = await startApache(server.port);
        const from = server.logs.length;
        // Apache appends the peer it saw (127.0.0.1) to the client's own X-Forwarded-For.
        const r = await https(apache.port, '/people/ITAPYT999HON', { authorization: DEMO.cameron, 'x-forwarded-for': '203.0.113.9' });
        assert.equal(r.status, 200, r.text);
        assert.equal((JSON.parse(r.text) as { id?: string }).id, 'ITAPYT999HON');
        assert.equal(r.headers['strict-transport-security'], 'max-age=31536000', 'the site adds HSTS');
        assert.equal(await loggedRemote(server, from), trusted ? '203.0.113.9' : '127.0.0.1');
        // The site does not proxy /metrics at all.
        assert.equal((await https(apache.port, '/metrics', {})).status, 404);
      } finally {
        await apache?.stop();
        await server.stop();
      }
    });
  }
});
