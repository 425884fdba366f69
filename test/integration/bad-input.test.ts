import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { raw, type Part, type RawResult } from '../helpers/raw.js';
import { apacheAvailable, startApache } from '../helpers/apache.js';
import { nginxAvailable, startNginx } from '../helpers/nginx.js';
import { ANA_BIRTH_PAGE, createDatabase, DEMO, req, startServer, type TestDatabase, type TestServer } from '../helpers/server.js';

/**
 * Issue 5: a corpus of hostile and malformed requests sent byte for byte on fresh
 * connections. Each must get a 4xx or a closed connection (never a 5xx, never a hang), and
 * the server must answer normally afterwards. Runs on both transports, and through the shipped
 * nginx and Apache TLS sites (ops/).
 */

type Expect =
  /** A 4xx answer (application-level errors: the contract names the status). */
  | { kind: '4xx'; status?: number }
  /** A 4xx answer or the connection closed (protocol-level garbage). */
  | { kind: '4xxOrClose' }
  /** Exactly these statuses, in order (pipelining). */
  | { kind: 'statuses'; statuses: number[] }
  /** Anything but a 5xx or a hang (lenient inputs a parser may accept). */
  | { kind: 'no5xx' };

/** The TLS reverse proxies whose shipped sites (ops/) are tested in front of uWS. */
type Proxy = 'nginx' | 'apache';

interface Case {
  name: string;
  parts: Part[];
  expect: Expect;
  deadlineMs?: number;
  /** Only on this transport (node: also through the proxies, which speak HTTP/1.1 to Thalamus). */
  only?: 'uws' | 'node';
  /**
   * What uWebSockets.js does instead, where its parser (not ours) decides: it ignores some
   * garbage until its 10 s idle timeout closes the connection, takes the first of two
   * Content-Lengths, and allows larger headers than node:http.
   */
  uws?: Expect;
  /**
   * Statuses a proxy itself may answer, per proxy, where its own parser or URL handling decides
   * before Thalamus sees the request (nginx's 505 for an unsupported HTTP version is correct).
   */
  proxyMay?: Partial<Record<Proxy, number[]>>;
  check?: (r: RawResult) => void;
}

const A = DEMO.root;
const H = 'Host: thalamus.test\r\n';

function post(path: string, body: string | Buffer, extra = ''): Buffer {
  const b = Buffer.isBuffer(body) ? body : Buffer.from(body);
  return Buffer.concat([Buffer.from(`POST ${path} HTTP/1.1\r\n${H}Authorization: ${A}\r\nContent-Length: ${b.length}\r\n${extra}\r\n`), b]);
}
const get = (path: string, extra = ''): string => `GET ${path} HTTP/1.1\r\n${H}Authorization: ${A}\r\n${extra}\r\n`;

let seq = 0;
const fresh = (): string => `/people/BAD${process.pid}X${seq++}`;

function corpus(): Case[] {
  const cases: Case[] = [];
  const bad400 = (name: string, body: string | Buffer): void => void cases.push({ name, parts: [post(fresh(), body)], expect: { kind: '4xx', status: 400 } });
  const bad422 = (name: string, body: string | Buffer): void => void cases.push({ name, parts: [post(fresh(), body)], expect: { kind: '4xx', status: 422 } });
  const json4xx = (name: string, body: string | Buffer): void => void cases.push({ name, parts: [post(fresh(), body)], expect: { kind: '4xx' } });

  // Malformed JSON: 400.
  bad400('unterminated object', '{');
  bad400('missing value', '{"name": }');
  bad400('not JSON at all', 'not json');
  bad400('unterminated array', '[1,2');
  bad400('trailing comma', '{"a":1,}');
  bad400("single quotes", "{'name':'x'}");
  bad400('trailing garbage', '{"name":"x"} trailing');
  bad400('empty body', '');
  bad400('raw NUL inside a string', Buffer.from([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0x00, 0x22, 0x7d]));
  bad400('invalid UTF-8 bytes', Buffer.from([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]));
  bad400('overlong UTF-8 slash', Buffer.from([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xc0, 0xaf, 0x22, 0x7d]));
  bad400('truncated UTF-8 sequence', Buffer.from([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xe2, 0x82, 0x22, 0x7d]));
  bad400('UTF-16 body', Buffer.from('{"name":"x"}', 'utf16le'));
  json4xx('deeply nested arrays (100 000)', '['.repeat(100000) + ']'.repeat(100000));
  json4xx('deeply nested objects (50 000)', '{"a":'.repeat(50000) + '1' + '}'.repeat(50000));
  json4xx('nested objects inside a person (5 000)', '{"name":' + '{"a":'.repeat(5000) + '1' + '}'.repeat(5000) + '}');
  // JSON but not acceptable: 422.
  bad422('null', 'null');
  bad422('array', '[]');
  bad422('string', '"string"');
  bad422('number', '123');
  bad422('roles not a list', '{"roles":"root"}');
  bad422('roles with a number', '{"roles":[1]}');
  bad422('active not a boolean', '{"active":"yes"}');
  json4xx('escaped NUL (\\u0000)', '{"name":"a\\u0000b"}');
  json4xx('lone surrogate escape', '{"name":"\\ud800"}');
  cases.push({ name: 'body id differs from path', parts: [post('/people/BADIDX1', '{"id":"OTHER"}')], expect: { kind: '4xx', status: 422 } });
  cases.push({ name: 'duplicate person', parts: [post('/people/ITAPYT999HON', '{"name":"dup"}')], expect: { kind: '4xx', status: 409 } });
  cases.push({ name: 'page for a missing person', parts: [post('/pols/NOSUCHPERSON1/p1', '{"page_date":"2024-01-01"}')], expect: { kind: '4xx', status: 404 } });
  cases.push({
    name: 'document with invalid base64',
    parts: [post(`/personal_docs/ESPGNU777ORG/${ANA_BIRTH_PAGE}/baddoc1`, '{"type":"picture","extension":"jpg","document":"!!!not base64!!!"}')],
    expect: { kind: '4xx' },
  });

  // Oversize bodies: 413.
  cases.push({
    name: 'declared body over 1 MiB',
    parts: [`POST ${fresh()} HTTP/1.1\r\n${H}Authorization: ${A}\r\nContent-Length: 2000000\r\n\r\n{"name":"`],
    expect: { kind: '4xx', status: 413 },
  });
  cases.push({
    name: 'chunked body growing past 1 MiB',
    parts: [`POST ${fresh()} HTTP/1.1\r\n${H}Authorization: ${A}\r\nTransfer-Encoding: chunked\r\n\r\n`, ...Array.from({ length: 20 }, () => `10000\r\n${'a'.repeat(0x10000)}\r\n`)],
    expect: { kind: '4xxOrClose' },
  });
  cases.push({ name: 'Expect: 100-continue with an oversize body', parts: [`POST ${fresh()} HTTP/1.1\r\n${H}Authorization: ${A}\r\nContent-Length: 50000000\r\nExpect: 100-continue\r\n\r\n`], expect: { kind: '4xxOrClose' } });
  cases.push({ name: 'document over 16 MiB declared', parts: [`POST /personal_docs/ESPGNU777ORG/${ANA_BIRTH_PAGE}/big1 HTTP/1.1\r\n${H}Authorization: ${A}\r\nContent-Length: 17000000\r\n\r\n`], expect: { kind: '4xx', status: 413 } });

  // Framing: smuggling-shaped and broken lengths.
  cases.push({ name: 'negative Content-Length', parts: [`POST ${fresh()} HTTP/1.1\r\n${H}Authorization: ${A}\r\nContent-Length: -1\r\n\r\n{}`], expect: { kind: '4xxOrClose' } });
  cases.push({ name: 'non-numeric Content-Length', parts: [`POST ${fresh()} HTTP/1.1\r\n${H}Authorization: ${A}\r\nContent-Length: abc\r\n\r\n{}`], expect: { kind: '4xxOrClose' } });
  cases.push({ name: 'two different Content-Lengths', parts: [`POST ${fresh()} HTTP/1.1\r\n${H}Authorization: ${A}\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\n{}`], expect: { kind: '4xxOrClose' }, uws: { kind: 'no5xx' } });
  cases.push({ name: 'Content-Length and Transfer-Encoding together', parts: [`POST ${fresh()} HTTP/1.1\r\n${H}Authorization: ${A}\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /healthz HTTP/1.1\r\n\r\n`], expect: { kind: 'no5xx' } });
  cases.push({ name: 'bad chunk size', parts: [`POST ${fresh()} HTTP/1.1\r\n${H}Authorization: ${A}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n`], expect: { kind: '4xxOrClose' } });

  // IDs: NUL, traversal, bad characters, length.
  const badId = (name: string, path: string, proxyMay?: Case['proxyMay']): void => void cases.push({ name, parts: [get(path)], expect: { kind: '4xx', status: 400 }, proxyMay });
  // Apache decodes the path before proxying and answers an encoded NUL or slash with its own 404.
  const apache404 = { apache: [404] };
  badId('NUL as the ID', '/people/%00', apache404);
  badId('NUL inside the ID', '/people/ABC%00DEF', apache404);
  badId('encoded traversal', '/people/..%2F..%2Fetc%2Fpasswd', apache404);
  // Apache normalises the path (%2e is '.', RFC 3986) and proxies GET / instead: Thalamus' home page.
  badId('encoded dot-dot', '/people/%2e%2e', { apache: [200] });
  badId('traversal in a page ID', `/pols/ESPGNU777ORG/..%2f..%2fsecret`, apache404);
  badId('backslash traversal in a document ID', `/personal_docs/ESPGNU777ORG/${ANA_BIRTH_PAGE}/..%5c..%5cwin.ini`);
  badId('ID of 129 characters', '/people/' + 'A'.repeat(129));
  badId('bad percent escape', '/people/%ZZ');
  badId('invalid UTF-8 percent-encoded', '/people/%C3%28');
  badId('semicolon in the ID', '/people/a;b');
  badId('markup in the ID', '/institutions/%3Cscript%3E');
  badId('limit negative', '/people?limit=-1');
  badId('limit not a number', '/people?limit=abc');
  badId('after with NUL', '/people?after=%00');
  cases.push({ name: 'raw traversal', parts: [get('/people/../../etc/passwd')], expect: { kind: '4xxOrClose' } });
  cases.push({ name: 'raw non-ASCII bytes in the path', parts: [Buffer.concat([Buffer.from('GET /people/'), Buffer.from([0xc3, 0xbc, 0xff]), Buffer.from(` HTTP/1.1\r\n${H}Authorization: ${A}\r\n\r\n`)])], expect: { kind: '4xxOrClose' } });
  cases.push({ name: 'space inside the request target', parts: [`GET /people/ABC DEF HTTP/1.1\r\n${H}\r\n`], expect: { kind: '4xxOrClose' } });

  // Credentials.
  const unauth = (name: string, auth: string): void => void cases.push({ name, parts: [`GET /people/ITAPYT999HON HTTP/1.1\r\n${H}Authorization: ${auth}\r\n\r\n`], expect: { kind: '4xx', status: 401 } });
  unauth('Basic with garbage', 'Basic !!!notbase64');
  unauth('Basic without a colon', 'Basic ' + Buffer.from('nocolon').toString('base64'));
  unauth('Basic with a 10 KB password', 'Basic ' + Buffer.from('ITAPYT999HON:' + 'p'.repeat(10000)).toString('base64'));
  unauth('Bearer token', 'Bearer abc.def.ghi');
  unauth('Basic with invalid UTF-8', 'Basic ' + Buffer.from([0xff, 0xfe, 0x3a, 0xff]).toString('base64'));
  unauth('empty Basic', 'Basic ');

  // Headers and request line.
  cases.push({ name: 'a 64 KiB header', parts: [`GET /healthz HTTP/1.1\r\n${H}X-Big: ${'a'.repeat(65536)}\r\n\r\n`], expect: { kind: '4xxOrClose' }, uws: { kind: 'no5xx' } });
  cases.push({ name: 'a 1 MiB header', parts: [`GET /healthz HTTP/1.1\r\n${H}X-Big: ${'a'.repeat(1 << 20)}\r\n\r\n`], expect: { kind: '4xxOrClose' } });
  // node:http keeps the first 2 000 and answers; uWS closes: both fine, neither a 5xx.
  cases.push({ name: '2 000 headers', parts: [`GET /healthz HTTP/1.1\r\n${H}${Array.from({ length: 2000 }, (_, i) => `X-H${i}: v\r\n`).join('')}\r\n`], expect: { kind: 'no5xx' } });
  cases.push({ name: 'a 100 KiB URL', parts: [`GET /people/${'a'.repeat(102400)} HTTP/1.1\r\n${H}\r\n`], expect: { kind: '4xxOrClose' } });
  // nginx drops an invalid header line and passes the request on (ignore_invalid_headers).
  cases.push({ name: 'header line without a colon', parts: [`GET /healthz HTTP/1.1\r\n${H}NoColonHere\r\n\r\n`], expect: { kind: '4xxOrClose' }, proxyMay: { nginx: [200] } });
  cases.push({ name: 'space in a header name', parts: [`GET /healthz HTTP/1.1\r\n${H}Bad Header: x\r\n\r\n`], expect: { kind: '4xxOrClose' } });
  cases.push({ name: 'NUL in a header value', parts: [`GET /healthz HTTP/1.1\r\n${H}X-A: a\u0000b\r\n\r\n`], expect: { kind: '4xxOrClose' } });
  cases.push({ name: 'unknown method', parts: [`BREW /people HTTP/1.1\r\n${H}\r\n`], expect: { kind: '4xxOrClose' } });
  cases.push({ name: 'TLS handshake on the plain port', parts: [Buffer.from('160301020001000200030300', 'hex')], expect: { kind: '4xxOrClose' } });
  cases.push({ name: 'HTTP/2 preface', parts: ['PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'], expect: { kind: '4xxOrClose' } });
  // nginx refuses the version (505); Apache answers it as HTTP/1.1.
  cases.push({ name: 'HTTP/9.9', parts: [`GET /healthz HTTP/9.9\r\n${H}\r\n`], expect: { kind: '4xxOrClose' }, proxyMay: { nginx: [505], apache: [200] } });
  cases.push({ name: 'absolute-form target', parts: [`GET http://evil.example/people/ITAPYT999HON HTTP/1.1\r\n${H}\r\n`], expect: { kind: '4xxOrClose' } });
  cases.push({ name: 'target without a leading slash', parts: [`GET healthz HTTP/1.1\r\n${H}\r\n`], expect: { kind: '4xxOrClose' } });
  cases.push({ name: 'bare LF line endings', parts: ['GET /nowhere HTTP/1.1\nHost: x\n\n'], expect: { kind: '4xxOrClose' } });
  cases.push({ name: 'garbage bytes', parts: [Buffer.from([0x00, 0x01, 0x02, 0xff, 0x0d, 0x0a, 0x0d, 0x0a])], expect: { kind: '4xxOrClose' } });

  cases.push({ name: 'Connection: close is answered, then closed', parts: [`GET /healthz HTTP/1.1\r\n${H}Connection: close\r\n\r\n`], expect: { kind: 'statuses', statuses: [200] } });

  // Pipelining: answers in order, a bad request in the middle does not disturb its neighbours.
  cases.push({ name: 'three pipelined GETs', parts: [`GET /healthz HTTP/1.1\r\n${H}\r\n`.repeat(3)], expect: { kind: 'statuses', statuses: [200, 200, 200] } });
  cases.push({
    name: 'pipelined GETs with a bad ID in the middle',
    parts: [`GET /healthz HTTP/1.1\r\n${H}\r\n` + get('/people/%00') + `GET /nowhere HTTP/1.1\r\n${H}\r\n` + `GET /healthz HTTP/1.1\r\n${H}\r\n`],
    expect: { kind: 'statuses', statuses: [200, 400, 404, 200] },
    proxyMay: apache404,
  });
  cases.push({ name: 'pipelined POST with bad JSON then a GET', parts: [Buffer.concat([post(fresh(), '{bad'), Buffer.from(`GET /healthz HTTP/1.1\r\n${H}\r\n`)])], expect: { kind: 'statuses', statuses: [400, 200] } });

  // Slow clients: headers that never finish, a body that trickles.
  cases.push({
    name: 'slowloris: a header line every 500 ms, never finished',
    parts: ['GET /healthz HTTP/1.1\r\n', ...Array.from({ length: 30 }, (_, i) => [500, `X-Slow-${i}: x\r\n`]).flat()],
    expect: { kind: '4xxOrClose' },
    deadlineMs: 16000,
  });
  cases.push({
    name: 'slowloris: request line never finished',
    parts: ['GET /heal'],
    expect: { kind: '4xxOrClose' },
    deadlineMs: 16000,
  });
  cases.push({
    name: 'slow body: declared 1000 bytes, sends 10',
    parts: [`POST ${fresh()} HTTP/1.1\r\n${H}Authorization: ${A}\r\nContent-Length: 1000\r\n\r\n{"name":"x`],
    expect: { kind: '4xxOrClose' },
    deadlineMs: 16000,
  });

  // HTTP/1.0: uWebSockets.js v20.30 does not answer it (see ops/README.md); node:http and nginx do.
  cases.push({
    name: 'HTTP/1.0 GET gets a complete, non-chunked answer',
    only: 'node',
    parts: ['GET /healthz HTTP/1.0\r\n\r\n'],
    expect: { kind: 'statuses', statuses: [200] },
    check: (r) => {
      const head = r.data.toString('latin1').split('\r\n\r\n')[0];
      assert.doesNotMatch(head, /transfer-encoding: chunked/i);
      assert.ok(r.closed, 'HTTP/1.0 without keep-alive: connection closed after the answer');
    },
  });
  cases.push({
    name: 'HTTP/1.0 collection is not chunked',
    only: 'node',
    parts: [`GET /people HTTP/1.0\r\nAuthorization: ${A}\r\n\r\n`],
    expect: { kind: 'statuses', statuses: [200] },
    check: (r) => {
      const text = r.data.toString('utf8');
      const [head, body] = [text.slice(0, text.indexOf('\r\n\r\n')), text.slice(text.indexOf('\r\n\r\n') + 4)];
      assert.doesNotMatch(head, /transfer-encoding: chunked/i);
      assert.ok(Array.isArray(JSON.parse(body)), 'the whole collection, delimited by the close');
    },
  });
  cases.push({ name: 'HTTP/1.0 with a bad ID', only: 'node', parts: [`GET /people/%00 HTTP/1.0\r\nAuthorization: ${A}\r\n\r\n`], expect: { kind: 'statuses', statuses: [400] }, proxyMay: apache404 });
  cases.push({
    name: 'HTTP/1.0 to uWS is closed by its idle timeout, never answered 5xx',
    only: 'uws',
    parts: ['GET /healthz HTTP/1.0\r\n\r\n'],
    expect: { kind: '4xxOrClose' },
    deadlineMs: 16000,
  });
  return cases;
}

function judge(c: Case, r: RawResult, proxy: Proxy | undefined): string | null {
  const proxyMay = (proxy && c.proxyMay?.[proxy]) || [];
  if (r.statuses.length && r.statuses.every((s) => proxyMay.includes(s))) return null;
  if (r.statuses.some((s) => s >= 500)) return `5xx: ${r.statuses}`;
  if (r.hung) return 'no answer and no close before the deadline';
  const e = c.expect;
  switch (e.kind) {
    case '4xx':
      if (r.statuses.length === 0) return `no answer (closed: ${r.closed})`;
      if (r.statuses[0] < 400 || r.statuses[0] > 499) return `got ${r.statuses[0]}, want 4xx`;
      if (e.status && r.statuses[0] !== e.status) return `got ${r.statuses[0]}, want ${e.status}`;
      return null;
    case '4xxOrClose':
      if (r.statuses.length === 0) return r.closed ? null : 'neither an answer nor a close';
      return r.statuses[0] >= 400 && r.statuses[0] <= 499 ? null : `got ${r.statuses[0]}, want 4xx or a close`;
    case 'statuses': {
      // In a pipeline the proxy may answer only the bad request itself, never its neighbours.
      const same = (got: number[], want: number[]): boolean => got.length === want.length && got.every((s, i) => s === want[i] || (want[i] >= 400 && proxyMay.includes(s)));
      // A proxy closes the connection after a 400 (nginx after its own, Apache after any): the
      // pipelined requests behind it are dropped.
      if (proxy && r.closed && r.statuses.length && same(r.statuses, e.statuses.slice(0, r.statuses.length)) && r.statuses[r.statuses.length - 1] >= 400) return null;
      return same(r.statuses, e.statuses) ? null : `got ${JSON.stringify(r.statuses)}, want ${JSON.stringify(e.statuses)}`;
    }
    case 'no5xx':
      return null;
  }
}

interface TestProxy {
  port: number;
  stop(): void | Promise<void>;
}

const PROXIES: Record<Proxy, { available(): boolean; missing: string; start(upstreamPort: number): Promise<TestProxy> }> = {
  nginx: { available: nginxAvailable, missing: 'nginx or openssl is not installed (apt-get install nginx)', start: startNginx },
  apache: { available: apacheAvailable, missing: 'apache2 or openssl is not installed (apt-get install apache2)', start: startApache },
};

const TARGETS: { name: string; transport: 'uws' | 'node'; proxy?: Proxy }[] = [
  { name: 'uws', transport: 'uws' },
  { name: 'node', transport: 'node' },
  { name: 'nginx TLS → uws', transport: 'uws', proxy: 'nginx' },
  { name: 'apache TLS → uws', transport: 'uws', proxy: 'apache' },
];

for (const target of TARGETS) {
  const skip = target.proxy && !PROXIES[target.proxy].available() ? PROXIES[target.proxy].missing : false;
  describe(`bad-input corpus (${target.name})`, { skip }, () => {
    const transport = target.transport;
    let db: TestDatabase;
    let server: TestServer;
    let proxy: TestProxy | null = null;
    let port = 0;
    before(async () => {
      db = await createDatabase();
      server = await startServer({
        db,
        workers: 2,
        transport,
        env: { THALAMUS_HEADERS_TIMEOUT_MS: '3000', THALAMUS_REQUEST_TIMEOUT_MS: '5000' },
      });
      port = server.port;
      if (target.proxy) {
        proxy = await PROXIES[target.proxy].start(server.port);
        port = proxy.port;
      }
    });
    after(async () => {
      await proxy?.stop();
      await server?.stop();
      await db.drop();
    });

    test('every case gets a 4xx or a closed connection, never a 5xx or a hang; the server answers normally after', async (t) => {
      // Warm the credential caches on fresh connections (so on every worker): a cold argon2
      // verify on a loaded host is slow, and the corpus is about bad input, not hashing.
      for (let i = 0; i < 8; i++) await raw(server.port, [get('/login')]);
      const cases = corpus().filter((c) => !c.only || c.only === (target.proxy ? 'node' : transport));
      const failures: string[] = [];
      const outcomes: string[] = [];
      // Ten at a time: hostile clients arrive together, and the slow ones overlap the rest.
      // uWS leaves some garbage to its 10 s idle timeout: give every case time to see the close.
      const floor = target.proxy || transport === 'node' ? 8000 : 16000;
      for (let i = 0; i < cases.length; i += 20) {
        const batch = cases.slice(i, i + 20);
        const results = await Promise.all(
          batch.map((c) => raw(port, c.parts, { deadlineMs: Math.max(c.deadlineMs ?? 0, floor), expect: c.expect.kind === 'statuses' ? c.expect.statuses.length : 1, tls: !!target.proxy })),
        );
        batch.forEach((c, k) => {
          const r = results[k];
          const expect = !target.proxy && transport === 'uws' && c.uws ? { ...c, expect: c.uws } : c;
          let why = judge(expect, r, target.proxy);
          if (!why && c.check) {
            try {
              c.check(r);
            } catch (err) {
              why = (err as Error).message;
            }
          }
          outcomes.push(`${c.name}: ${r.statuses.length ? r.statuses.join(',') : r.closed ? 'closed' : 'hung'} (${r.ms} ms)`);
          if (why) failures.push(`${c.name}: ${why}`);
        });
      }
      t.diagnostic(`${target.name}: ${cases.length} cases, ${cases.length - failures.length} passed`);
      for (const o of outcomes) t.diagnostic(o);
      assert.ok(cases.length >= 50, `at least 50 cases (${cases.length})`);
      assert.deepEqual(failures, [], failures.join('\n'));
      // Business as usual afterwards, on every worker.
      for (let i = 0; i < 6; i++) {
        assert.equal((await req(server, 'GET', '/people/ITAPYT999HON', { auth: DEMO.cameron })).status, 200);
        assert.equal((await req(server, 'GET', '/healthz')).status, 200);
      }
      assert.equal(server.proc.exitCode, null, 'the server is still running');
      assert.ok(!server.logs.some((l) => l.includes('"level":50') || l.includes('unhandled error')), 'no error logged');
    });
  });
}
