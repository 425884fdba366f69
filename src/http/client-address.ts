import { isIP } from 'node:net';
import type { Request } from './types.js';

/** One trusted-proxy entry: an IPv4/IPv6 network as a bit prefix. */
interface Net {
  v6: boolean;
  bits: bigint;
  prefix: number;
}

/** Normalises what the transports report: uWS spells IPv4-mapped addresses in full IPv6. */
export function normaliseAddress(addr: string): string {
  const a = addr.trim().toLowerCase();
  const mapped = /^(?:0{1,4}:){5}ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(a) ?? /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(a);
  if (mapped) {
    const hi = parseInt(mapped[1], 16);
    const lo = parseInt(mapped[2], 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  if (a.startsWith('::ffff:') && isIP(a.slice(7)) === 4) return a.slice(7);
  return a;
}

function toBits(addr: string): { v6: boolean; bits: bigint } | null {
  const kind = isIP(addr);
  if (kind === 4) return { v6: false, bits: addr.split('.').reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n) };
  if (kind !== 6) return null;
  const [head, tail = ''] = addr.split('::');
  const parse = (s: string): number[] => (s ? s.split(':').map((h) => parseInt(h, 16)) : []);
  const h = parse(head);
  const t = addr.includes('::') ? parse(tail) : [];
  const groups = [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  if (groups.length !== 8 || groups.some((g) => !Number.isInteger(g))) return null;
  return { v6: true, bits: groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n) };
}

/**
 * Who the client is. The socket's peer, unless that peer is a configured reverse proxy: then
 * the right-most X-Forwarded-For entry that is not itself a trusted proxy. A client can put
 * anything it likes in X-Forwarded-For, so the header is never believed from anyone else.
 */
export class ClientAddress {
  private readonly _nets: Net[] = [];

  constructor(trusted: string) {
    for (const raw of trusted.split(',').map((s) => s.trim()).filter(Boolean)) {
      const [ip, len] = raw.split('/');
      const b = toBits(normaliseAddress(ip));
      const max = b?.v6 ? 128 : 32;
      const prefix = len === undefined ? max : Number(len);
      if (!b || !Number.isInteger(prefix) || prefix < 0 || prefix > max) throw new Error(`trustedProxies: "${raw}" is not an IP address or CIDR network`);
      this._nets.push({ v6: b.v6, bits: b.bits >> BigInt(max - prefix), prefix });
    }
  }

  isTrusted(addr: string): boolean {
    if (this._nets.length === 0) return false;
    const b = toBits(normaliseAddress(addr));
    if (!b) return false;
    const max = b.v6 ? 128 : 32;
    return this._nets.some((n) => n.v6 === b.v6 && b.bits >> BigInt(max - n.prefix) === n.bits);
  }

  of(req: Request): string {
    const peer = normaliseAddress(req.remoteAddress) || 'unknown';
    if (this._nets.length === 0 || !req.headers.xForwardedFor || !this.isTrusted(peer)) return peer;
    const hops = req.headers.xForwardedFor.split(',').map((s) => normaliseAddress(s));
    for (let i = hops.length - 1; i >= 0; i--) {
      if (isIP(hops[i]) === 0) return peer; // garbage in the chain: trust nothing past our proxy
      if (!this.isTrusted(hops[i])) return hops[i];
    }
    return hops[0] || peer;
  }
}
