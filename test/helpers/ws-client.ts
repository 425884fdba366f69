import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/**
 * A minimal WebSocket client over node:net for tests and the bench (Node 20 has no global
 * WebSocket and we add no dependency): the RFC 6455 handshake, masked text frames out,
 * unfragmented or fragmented text frames in, ping → pong, close.
 */
export interface WsClient {
  socket: Socket;
  messages: string[];
  /** Settles when the connection ends, with the close frame's code and reason (1006: none). */
  closed: Promise<{ code: number; reason: string }>;
  onMessage: ((text: string) => void) | null;
  send(text: string): void;
  /** Resolves once `n` messages in all have arrived. */
  waitFor(n: number, timeoutMs?: number): Promise<string[]>;
  close(): void;
}

export class WsRejected extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`upgrade refused with ${status}: ${body}`);
  }
}

export function connectWs(port: number, path: string, headers: Record<string, string> = {}): Promise<WsClient> {
  const key = randomBytes(16).toString('base64');
  const accept = createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let buf = Buffer.alloc(0);
    let upgraded = false;
    let fragments: Buffer[] = [];
    const messages: string[] = [];
    const waiters: Array<() => void> = [];
    let closeInfo = { code: 1006, reason: '' };
    let closedResolve!: (v: { code: number; reason: string }) => void;
    const closed = new Promise<{ code: number; reason: string }>((r) => (closedResolve = r));
    const client: WsClient = {
      socket,
      messages,
      closed,
      onMessage: null,
      send(text) {
        socket.write(frame(1, Buffer.from(text)));
      },
      waitFor(n, timeoutMs = 10000) {
        return new Promise((res, rej) => {
          const check = (): boolean => {
            if (messages.length >= n) {
              clearTimeout(t);
              res(messages.slice());
              return true;
            }
            return false;
          };
          const t = setTimeout(() => rej(new Error(`only ${messages.length} of ${n} messages after ${timeoutMs} ms`)), timeoutMs);
          if (check()) return;
          const w = (): void => {
            if (!check()) waiters.push(w);
          };
          waiters.push(w);
          void closed.then(() => setTimeout(() => !check() && rej(new Error(`closed ${closeInfo.code} ${closeInfo.reason} after ${messages.length} of ${n}`)), 0));
        });
      },
      close() {
        if (!socket.destroyed) socket.write(frame(8, Buffer.from([0x03, 0xe8])));
        setTimeout(() => socket.destroy(), 200).unref();
      },
    };
    socket.on('connect', () => {
      const lines = [`GET ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Key: ${key}`, 'Sec-WebSocket-Version: 13'];
      for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
      socket.write(lines.join('\r\n') + '\r\n\r\n');
    });
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString();
        const status = Number(head.split(' ')[1]);
        if (status !== 101) {
          // Read the rest of the answer (Content-Length), then refuse.
          const len = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
          if (buf.length < end + 4 + len) return;
          socket.destroy();
          reject(new WsRejected(status, buf.subarray(end + 4, end + 4 + len).toString()));
          return;
        }
        if (!new RegExp(`sec-websocket-accept:\\s*${accept.replace(/[+/=]/g, '\\$&')}`, 'i').test(head)) {
          socket.destroy();
          reject(new Error('bad Sec-WebSocket-Accept'));
          return;
        }
        upgraded = true;
        buf = buf.subarray(end + 4);
        resolve(client);
      }
      for (;;) {
        if (buf.length < 2) return;
        const fin = (buf[0] & 0x80) !== 0;
        const opcode = buf[0] & 0x0f;
        let len = buf[1] & 0x7f;
        let off = 2;
        if (len === 126) {
          if (buf.length < 4) return;
          len = buf.readUInt16BE(2);
          off = 4;
        } else if (len === 127) {
          if (buf.length < 10) return;
          len = Number(buf.readBigUInt64BE(2));
          off = 10;
        }
        if (buf.length < off + len) return;
        const payload = buf.subarray(off, off + len);
        buf = buf.subarray(off + len);
        if (opcode === 8) {
          closeInfo = { code: payload.length >= 2 ? payload.readUInt16BE(0) : 1005, reason: payload.subarray(2).toString() };
          socket.end();
        } else if (opcode === 9) socket.write(frame(10, payload));
        else if (opcode === 1 || opcode === 0) {
          fragments.push(Buffer.from(payload));
          if (fin) {
            const text = Buffer.concat(fragments).toString();
            fragments = [];
            messages.push(text);
            client.onMessage?.(text);
            const ws = waiters.splice(0);
            for (const w of ws) w();
          }
        }
      }
    });
    socket.on('error', (err) => {
      if (!upgraded) reject(err);
    });
    socket.on('close', () => {
      if (!upgraded) reject(new Error('connection closed before the upgrade'));
      closedResolve(closeInfo);
    });
  });
}

/** A client frame: FIN, the opcode, always masked. */
function frame(opcode: number, payload: Buffer): Buffer {
  const mask = randomBytes(4);
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x80 | opcode, 0x80 | len]) : len < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (len >= 126 && len < 65536) {
    head[0] = 0x80 | opcode;
    head[1] = 0x80 | 126;
    head.writeUInt16BE(len, 2);
  } else if (len >= 65536) {
    head[0] = 0x80 | opcode;
    head[1] = 0x80 | 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  const masked = Buffer.alloc(len);
  for (let i = 0; i < len; i++) masked[i] = payload[i] ^ mask[i & 3];
  return Buffer.concat([head, mask, masked]);
}
