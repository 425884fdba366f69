import { test } from 'node:test';
import assert from 'node:assert/strict';
import { peerAddress } from '../../../src/http/uws-transport.js';

const bytes = (...b: number[]): ArrayBuffer => new Uint8Array(b).buffer;

test('uWS peer addresses: IPv4, IPv4-mapped IPv6 as dotted quad, IPv6 in canonical short form', () => {
  assert.equal(peerAddress(bytes(127, 0, 0, 1)), '127.0.0.1');
  assert.equal(peerAddress(bytes(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 254)), '10.1.2.254');
  assert.equal(peerAddress(bytes(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1)), '::1');
  assert.equal(peerAddress(bytes(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1)), '2001:db8::1');
  assert.equal(peerAddress(bytes(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0x0a, 0, 1)), '2001:db8:0:1::a:1');
  assert.equal(peerAddress(bytes(0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6)), '2001:db8:1:2:3:4:5:6');
  // A single zero group is not shortened (RFC 5952 4.2.2); a not-mapped ::ffff-like address stays IPv6.
  assert.equal(peerAddress(bytes(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1)), '2001:db8:0:1:1:1:1:1');
  assert.equal(peerAddress(bytes(0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 10, 1, 2, 3)), '::1:ffff:a01:203');
  assert.equal(peerAddress(bytes()), '');
});
