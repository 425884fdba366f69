import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TrustedProxies } from '../../src/http/client-address.js';

test('X-Forwarded-For is ignored unless the peer is a trusted proxy', () => {
  const none = new TrustedProxies('');
  assert.equal(none.clientAddress('198.51.100.7', '203.0.113.9'), '198.51.100.7');
  const t = new TrustedProxies('127.0.0.1, 10.0.0.0/8, ::1, fd00::/8');
  assert.equal(t.clientAddress('198.51.100.7', '203.0.113.9'), '198.51.100.7', 'an untrusted peer cannot claim an address');
  assert.equal(t.clientAddress('127.0.0.1', '203.0.113.9'), '203.0.113.9');
  assert.equal(t.clientAddress('::ffff:127.0.0.1', '203.0.113.9'), '203.0.113.9', 'IPv4-mapped peers');
  assert.equal(t.clientAddress('::1', '203.0.113.9'), '203.0.113.9');
  assert.equal(t.clientAddress('0000:0000:0000:0000:0000:0000:0000:0001', '203.0.113.9'), '203.0.113.9', 'long IPv6 text (uWS)');
});

test('the right-most untrusted hop is the client; spoofed hops to its left are ignored', () => {
  const t = new TrustedProxies('127.0.0.1,10.0.0.0/8');
  assert.equal(t.clientAddress('127.0.0.1', '1.2.3.4, 203.0.113.9, 10.1.2.3'), '203.0.113.9');
  assert.equal(t.clientAddress('127.0.0.1', '10.0.0.1, 10.0.0.2'), '10.0.0.1', 'all trusted: the left-most');
  assert.equal(t.clientAddress('127.0.0.1', 'garbage, 203.0.113.9'), '203.0.113.9');
  assert.equal(t.clientAddress('127.0.0.1', '203.0.113.9, not-an-ip'), '127.0.0.1', 'garbage at the right: the peer');
  assert.equal(t.has('10.255.255.255'), true);
  assert.equal(t.has('11.0.0.1'), false);
});

test('X-Forwarded-Proto only from trusted proxies', () => {
  const t = new TrustedProxies('127.0.0.1');
  assert.equal(t.protocol('127.0.0.1', 'https'), 'https');
  assert.equal(t.protocol('198.51.100.7', 'https'), 'http');
  assert.equal(t.protocol('127.0.0.1', 'gopher'), 'http');
});

test('a bad trustedProxies entry is a clear error', () => {
  assert.throws(() => new TrustedProxies('localhost'), /not an IP address/);
  assert.throws(() => new TrustedProxies('10.0.0.0/33'), /prefix length/);
});
