import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HttpError } from '../../../src/errors.js';
import { decodeUtf8, parseJsonObject, parsePaging } from '../../../src/http/body.js';

function status(fn: () => unknown): number {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof HttpError);
    return err.status;
  }
  return 0;
}

test('a JSON object parses whatever the content type', () => {
  assert.deepEqual(parseJsonObject(Buffer.from('{"a":1,"b":[true]}')), { a: 1, b: [true] });
});

test('malformed JSON and bad UTF-8 are 400; JSON that is not an object is 422', () => {
  assert.equal(status(() => parseJsonObject(Buffer.from('{"a":'))), 400);
  assert.equal(status(() => parseJsonObject(Buffer.from(''))), 400);
  assert.equal(status(() => parseJsonObject(null)), 400);
  assert.equal(status(() => parseJsonObject(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]))), 400);
  assert.equal(status(() => decodeUtf8(Buffer.from([0xc3, 0x28]))), 400);
  for (const v of ['[1,2]', 'null', '42', '"s"', 'true']) assert.equal(status(() => parseJsonObject(Buffer.from(v))), 422, v);
});

test('deeply nested JSON is refused cleanly or parsed, never thrown as a non-HTTP error', () => {
  const deep = '{"a":' + '['.repeat(100000) + ']'.repeat(100000) + '}';
  const s = status(() => parseJsonObject(Buffer.from(deep)));
  assert.ok(s === 400 || s === 422, String(s));
});

test('paging: limit clamps, bad values are 400', () => {
  assert.deepEqual(parsePaging(new URLSearchParams('limit=5&after=ABC'), 1000), { limit: 5, after: 'ABC' });
  assert.deepEqual(parsePaging(new URLSearchParams('limit=50000'), 1000), { limit: 1000, after: null });
  assert.deepEqual(parsePaging(new URLSearchParams(''), 1000), { limit: null, after: null });
  for (const q of ['limit=0', 'limit=-1', 'limit=abc', 'limit=1.5', 'after=a/b', 'after=']) {
    assert.equal(status(() => parsePaging(new URLSearchParams(q), 1000)), 400, q);
  }
});
