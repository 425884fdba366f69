import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isValidId, Router } from '../../../src/http/router.js';

function build(): Router<string> {
  const r = new Router<string>();
  r.add('GET', '/', 'index');
  r.add('GET', '/people', 'people');
  r.add('GET', '/people/{person}', 'get-person');
  r.add('POST', '/people/{person}', 'post-person');
  r.add('GET', '/pols/{person}/{page}', 'get-page');
  r.add('GET', '/domiciliary-units', 'dus');
  return r;
}

test('static and parameter routes match with captured params', () => {
  const r = build();
  assert.deepEqual(r.match('GET', '/'), { kind: 'found', op: 'index', params: {}, pattern: '/' });
  assert.deepEqual(r.match('GET', '/people'), { kind: 'found', op: 'people', params: {}, pattern: '/people' });
  const m = r.match('GET', '/pols/ESPGNU777ORG/119b352e-8e4f');
  assert.equal(m.kind, 'found');
  assert.deepEqual(m.kind === 'found' && m.params, { person: 'ESPGNU777ORG', page: '119b352e-8e4f' });
});

test('one trailing slash is tolerated', () => {
  assert.equal(build().match('GET', '/people/').kind, 'found');
});

test('unknown paths are 404, known paths with another method 405 with Allow', () => {
  const r = build();
  assert.equal(r.match('GET', '/nope').kind, 'not_found');
  assert.equal(r.match('GET', '/people/A/B').kind, 'not_found');
  const m = r.match('DELETE', '/people/ABC');
  assert.equal(m.kind, 'method_not_allowed');
  assert.equal(m.kind === 'method_not_allowed' && m.allow, 'GET, POST, OPTIONS');
  assert.equal(r.match('OPTIONS', '/people').kind, 'options');
});

test('IDs outside [A-Za-z0-9._:-]{1,128} are 400, including decoded ones', () => {
  const r = build();
  for (const bad of ['a%2Fb', 'a%00b', '..', '.', 'x'.repeat(129), '%E2%82%AC', 'a%zz', 'a b', "a'b"]) {
    assert.equal(r.match('GET', `/people/${bad}`).kind, 'bad_id', bad);
  }
  const ok = r.match('GET', '/people/%41BC');
  assert.equal(ok.kind === 'found' && ok.params.person, 'ABC');
  assert.equal(r.match('GET', '/people/' + 'x'.repeat(128)).kind, 'found');
});

test('isValidId', () => {
  assert.ok(isValidId('ESPGNU777ORG'));
  assert.ok(isValidId('urn:uuid:1.2_3-4'));
  assert.ok(!isValidId(''));
  assert.ok(!isValidId('..'));
  assert.ok(!isValidId('a/b'));
});

test('duplicate and conflicting registrations are refused', () => {
  const r = build();
  assert.throws(() => r.add('GET', '/people', 'again'), /duplicate/);
  assert.throws(() => r.add('GET', '/people/{other}/x', 'x'), /conflicting/);
});
