import { isIP } from 'node:net';

/**
 * X-Forwarded-For / X-Forwarded-Proto are believed only when the peer is a configured trusted
 * proxy (`trustedProxies`: addresses or IPv4/IPv6 CIDR blocks, comma separated). Anyone else
 * could write any address there and dodge per-address throttling or the /metrics allow-list.
 */
export class TrustedProxies {
  private readonly _exact = new Set<string>();
  private readonly _v4: Array<[number, number]> = [];
  private readonly _v6: Array<[bigint, bigint]> = [];

  constructor(list: string) {
    for (const raw of list.split(',').map((s) => s.trim()).filter(Boolean)) {
      const [addr, bits] = raw.split('/');
      const kind = isIP(addr);
      if (!kind) throw new Error(`trustedProxies: "${raw}" is not an IP address or CIDR block`);
      const a = normalise(addr);
      if (bits === undefined && isIP(a) === 4) {
        this._exact.add(a);
        continue;
      }
      const n = bits === undefined ? 128 : Number(bits);
      if (kind === 4 && Number.isInteger(n) && n >= 0 && n <= 32) {
        const mask = n === 0 ? 0 : (~0 << (32 - n)) >>> 0;
        this._v4.push([(v4(a) & mask) >>> 0, mask]);
      } else if (kind === 6 && Number.isInteger(n) && n >= 0 && n <= 128) {
        const mask = n === 0 ? 0n : ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - n)) - 1n);
        this._v6.push([v6(a) & mask, mask]);
      } else throw new Error(`trustedProxies: bad prefix length in "${raw}"`);
    }
  }

  get empty(): boolean {
    return this._exact.size === 0 && this._v4.length === 0 && this._v6.length === 0;
  }

  has(address: string): boolean {
    const a = normalise(address);
    if (this._exact.has(a)) return true;
    const kind = isIP(a);
    if (kind === 4 && this._v4.length) {
      const x = v4(a);
      return this._v4.some(([net, mask]) => ((x & mask) >>> 0) === net);
    }
    if (kind === 6 && this._v6.length) {
      const x = v6(a);
      return this._v6.some(([net, mask]) => (x & mask) === net);
    }
    return false;
  }

  /**
   * The client's address: walk X-Forwarded-For from the right, skipping trusted proxies; the
   * first untrusted hop is the client. The peer itself when it is not trusted.
   */
  clientAddress(peer: string, forwardedFor: string): string {
    const p = normalise(peer);
    if (!forwardedFor || !this.has(p)) return p;
    const hops = forwardedFor.split(',');
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = normalise(hops[i].trim());
      if (!isIP(hop)) return p; // garbage in the header: fall back to what we know
      if (!this.has(hop)) return hop;
    }
    return normalise(hops[0].trim());
  }

  /** `https` or `http` as the trusted proxy says, else what the transport saw. */
  protocol(peer: string, forwardedProto: string, own: 'http' | 'https' = 'http'): 'http' | 'https' {
    if (!forwardedProto || !this.has(peer)) return own;
    const last = forwardedProto.split(',').pop()!.trim().toLowerCase();
    return last === 'https' ? 'https' : last === 'http' ? 'http' : own;
  }
}

/** `::ffff:1.2.3.4` → `1.2.3.4`, and the uWS long IPv6 text form compressed. */
export function normalise(a: string): string {
  if (a.startsWith('::ffff:') && isIP(a.slice(7)) === 4) return a.slice(7);
  if (a.includes(':') && isIP(a) === 6) {
    const hex = v6(a).toString(16).padStart(32, '0');
    if (hex.startsWith('00000000000000000000ffff')) {
      const n = parseInt(hex.slice(24), 16);
      return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
    }
  }
  return a;
}

function v4(a: string): number {
  return a.split('.').reduce((acc, o) => ((acc << 8) | Number(o)) >>> 0, 0);
}

function v6(a: string): bigint {
  let s = a;
  const tail4 = s.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (tail4) {
    const n = v4(tail4[1]);
    s = s.slice(0, -tail4[1].length) + ((n >>> 16).toString(16) + ':' + (n & 0xffff).toString(16));
  }
  const [head, rest] = s.split('::');
  const h = head ? head.split(':') : [];
  const t = rest !== undefined && rest ? rest.split(':') : [];
  const groups = rest === undefined ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g || '0', 16)), 0n);
}
