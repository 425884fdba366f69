import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseJsonObject } from '../../src/http/body.js';
import { jsonDepth, MAX_JSON_DEPTH } from '../../src/http/json-depth.js';

test('jsonDepth counts nesting and ignores brackets inside strings', () => {
  assert.equal(jsonDepth('{}'), 1);
  assert.equal(jsonDepth('{"a":[{"b":1}]}'), 3);
  assert.equal(jsonDepth('{"a":"[[[[{{{{\\"]]"}'), 1);
});

test('a body nested deeper than the limit is a 422, not a stack overflow', () => {
  const ok = '{"a":'.repeat(MAX_JSON_DEPTH - 1) + '1' + '}'.repeat(MAX_JSON_DEPTH - 1);
  assert.doesNotThrow(() => parseJsonObject(Buffer.from(ok)));
  const deep = '{"a":'.repeat(50000) + '1' + '}'.repeat(50000);
  assert.throws(() => parseJsonObject(Buffer.from(deep)), (e: { status?: number }) => e.status === 422);
});
