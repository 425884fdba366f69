import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBasic } from '../../../src/auth/basic.js';
import { CredentialCache } from '../../../src/auth/cache.js';
import { Hasher, isBcryptHash } from '../../../src/auth/hash.js';

const b64 = (s: string): string => 'Basic ' + Buffer.from(s).toString('base64');

test('Basic credentials: the ID is upper-cased, the password kept as sent (colons included)', () => {
  assert.deepEqual(parseBasic(b64('espgnu777org:gnu:solidario')), { id: 'ESPGNU777ORG', password: 'gnu:solidario' });
  assert.deepEqual(parseBasic('basic ' + Buffer.from('a:b').toString('base64')), { id: 'A', password: 'b' });
  assert.equal(parseBasic(''), null);
  assert.equal(parseBasic('Bearer abc'), null);
  assert.equal(parseBasic(b64('nocolon')), null);
  assert.equal(parseBasic(b64(':nouser')), null);
});

test('the cache returns a principal only for the exact password, and forgets on invalidate', () => {
  const c = new CredentialCache(10, 60000);
  const p = { id: 'ANA', roles: ['end_user'] };
  c.set('ANA', 'right', p, c.generation);
  assert.deepEqual(c.get('ANA', 'right'), p);
  assert.equal(c.get('ANA', 'wrong'), null);
  assert.equal(c.get('BOB', 'right'), null);
  c.invalidate('ANA');
  assert.equal(c.get('ANA', 'right'), null);
});

test('a verification that started before an invalidation is not cached', () => {
  const c = new CredentialCache(10, 60000);
  const gen = c.generation;
  c.invalidate('ANA');
  c.set('ANA', 'old', { id: 'ANA', roles: [] }, gen);
  assert.equal(c.get('ANA', 'old'), null);
});

test('size 0 disables the cache', () => {
  const c = new CredentialCache(0, 60000);
  c.set('ANA', 'x', { id: 'ANA', roles: [] }, c.generation);
  assert.equal(c.enabled, false);
  assert.equal(c.get('ANA', 'x'), null);
});

test('argon2id hashes verify; bcrypt $2a$/$2b$/$2y$ hashes from old Thalamus verify too', async () => {
  const h = new Hasher(2);
  const argon = await h.hash('correct horse');
  assert.match(argon, /^\$argon2id\$/);
  assert.equal(await h.verify(argon, 'correct horse'), true);
  assert.equal(await h.verify(argon, 'wrong'), false);
  const bcrypt = '$2b$04$GNyjFZgWqNYxXQIXm2Ixuef8WOJ75I5eQcRe0nckPWGZ8z6NOM1Ra'; // "x", cost 4
  assert.ok(isBcryptHash(bcrypt));
  assert.equal(await h.verify(bcrypt, 'x'), true);
  assert.equal(await h.verify('$2y$' + bcrypt.slice(4), 'x'), true);
  assert.equal(await h.verify('$2a$' + bcrypt.slice(4), 'x'), true);
  assert.equal(await h.verify(bcrypt, 'y'), false);
  assert.equal(await h.verify('plaintext', 'plaintext'), false);
});
