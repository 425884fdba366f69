import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClientAddress, normaliseAddress } from '../../src/http/client-address.js';
import type { Request } from '../../src/http/types.js';

function request(remoteAddress: string, xff = ''): Request {
  return {
    method: 'GET',
    path: '/',
    query: '',
    remoteAddress,
    body: null,
    headers: { authorization: '', contentType: '', origin: '', host: '', ifNoneMatch: '', accessControlRequestMethod: '', xForwardedFor: xff },
  };
}

test('X-Forwarded-For is ignored unless the peer is a trusted proxy', () => {
  const none = new ClientAddress('');
  assert.equal(none.of(request('10.1.2.3', '6.6.6.6')), '10.1.2.3');
  const trusted = new ClientAddress('10.0.0.0/8, ::1');
  assert.equal(trusted.of(request('192.168.1.5', '6.6.6.6')), '192.168.1.5');
  assert.equal(trusted.of(request('10.1.2.3', '6.6.6.6')), '6.6.6.6');
  assert.equal(trusted.of(request('::1', '6.6.6.6')), '6.6.6.6');
});

test('the right-most untrusted hop wins: a client cannot prepend a fake address', () => {
  const t = new ClientAddress('10.0.0.0/8');
  assert.equal(t.of(request('10.0.0.1', '1.1.1.1, 7.7.7.7, 10.0.0.2')), '7.7.7.7');
  assert.equal(t.of(request('10.0.0.1', 'garbage, 7.7.7.7')), '7.7.7.7');
  assert.equal(t.of(request('10.0.0.1', '7.7.7.7, not-an-ip')), '10.0.0.1');
});

test('uWS spells IPv4 peers as mapped IPv6; both forms match', () => {
  assert.equal(normaliseAddress('0000:0000:0000:0000:0000:ffff:7f00:0001'), '127.0.0.1');
  assert.equal(normaliseAddress('::ffff:127.0.0.1'), '127.0.0.1');
  assert.ok(new ClientAddress('127.0.0.1').isTrusted('0000:0000:0000:0000:0000:ffff:7f00:0001'));
  assert.throws(() => new ClientAddress('10.0.0.0/33'));
  assert.throws(() => new ClientAddress('proxy.example'));
});
