import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

/** What a raw TCP exchange produced. */
export interface RawResult {
  /** Status codes of every final (non-1xx) response seen, in order. */
  statuses: number[];
  /** The server closed (or reset) the connection. */
  closed: boolean;
  /** Neither an answer nor a close before the deadline. */
  hung: boolean;
  data: Buffer;
  ms: number;
}

/** Bytes to send, or a pause in milliseconds between writes (slow clients). */
export type Part = string | Buffer | number;

/**
 * Sends bytes on a fresh connection exactly as given and collects what comes back. Done when
 * the server closes, or `settleMs` after the last byte once at least `expect` responses arrived,
 * or at `deadlineMs`.
 */
export function raw(port: number, parts: Part[], opts: { deadlineMs?: number; settleMs?: number; expect?: number; tls?: boolean } = {}): Promise<RawResult> {
  const deadlineMs = opts.deadlineMs ?? 6000;
  const settleMs = opts.settleMs ?? 400;
  const expect = opts.expect ?? 1;
  const started = Date.now();
  return new Promise((resolve) => {
    // TLS: the test's self-signed certificate, and HTTP/1.1 only (no ALPN h2).
    const sock = opts.tls ? tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] }) : connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let settle: NodeJS.Timeout | undefined;
    let done = false;
    const finish = (closed: boolean, hung = false): void => {
      if (done) return;
      done = true;
      clearTimeout(settle);
      clearTimeout(deadline);
      const data = Buffer.concat(chunks);
      const statuses = [...data.toString('latin1').matchAll(/HTTP\/1\.[01] ([2-5]\d{2}) /g)].map((m) => Number(m[1]));
      sock.destroy();
      resolve({ statuses, closed, hung: hung && statuses.length === 0, data, ms: Date.now() - started });
    };
    const deadline = setTimeout(() => finish(false, true), deadlineMs);
    sock.on('data', (d: Buffer) => {
      chunks.push(d);
      const n = (Buffer.concat(chunks).toString('latin1').match(/HTTP\/1\.[01] [2-5]\d{2} /g) ?? []).length;
      clearTimeout(settle);
      if (n >= expect) settle = setTimeout(() => finish(false), settleMs);
    });
    sock.on('close', () => finish(true));
    sock.on('error', () => finish(true));
    sock.on(opts.tls ? 'secureConnect' : 'connect', async () => {
      for (const p of parts) {
        if (done) return;
        if (typeof p === 'number') await new Promise((r) => setTimeout(r, p));
        else if (!sock.destroyed) sock.write(p);
      }
    });
  });
}
