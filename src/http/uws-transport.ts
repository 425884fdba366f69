import type { HttpRequest, HttpResponse, TemplatedApp, us_listen_socket, us_socket_context_t } from '@trufflesuite/uws-js-unofficial';
import { errorBody, httpError } from '../errors.js';
import { statusLine, type App } from './app.js';
import { HEADER_NAMES, type Chunk, type Reply, type Request, type RequestHeaders } from './types.js';
import type { Transport } from './transport.js';
import type { WsConnection, WsRoute } from './ws.js';

type UwsModule = typeof import('@trufflesuite/uws-js-unofficial');

/**
 * Loads the native uWebSockets.js binary directly. The package would otherwise fall back to a
 * slow JavaScript imitation on its own; we want the node:http transport instead in that case.
 */
export function loadNativeUws(): UwsModule | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(`@trufflesuite/uws-js-unofficial/binaries/uws_${process.platform}_${process.arch}_${process.versions.modules}.node`) as UwsModule;
  } catch {
    return null;
  }
}

interface State {
  aborted: boolean;
  /** The client sent `Connection: close`: say so in the answer, then close. */
  close: boolean;
  /** Resolves a writer waiting for the socket to drain (or for the abort). */
  wake: (() => void) | null;
}

const BODY_METHODS = new Set(['POST', 'PATCH', 'PUT']);

interface WsUser {
  conn: WsConnection;
  closed: boolean;
}

export class UwsTransport implements Transport {
  readonly name = 'uWebSockets.js (native)';
  private readonly _app: TemplatedApp;
  private _token: us_listen_socket | null = null;
  private _inflight = 0;
  private _started = 0;
  private _draining = false;

  constructor(
    private readonly _uws: UwsModule,
    private readonly _handler: App,
    wsRoutes: WsRoute[] = [],
  ) {
    this._app = _uws.App();
    for (const route of wsRoutes) this._addWs(route);
    this._app.any('/*', (res, req) => this._onRequest(res, req));
  }

  /** A WebSocket route: the route decides the upgrade; a GET without upgrade headers falls through to the App. */
  private _addWs(route: WsRoute): void {
    const decoder = new TextDecoder();
    this._app.ws<WsUser>(route.path, {
      maxPayloadLength: 64 * 1024,
      idleTimeout: 120,
      sendPingsAutomatically: true,
      maxBackpressure: route.maxBufferBytes,
      closeOnBackpressureLimit: 0,
      upgrade: (res, req, context) => this._onUpgrade(route, res, req, context),
      open: (ws) => {
        const user = ws.getUserData();
        user.conn.open({
          send: (text) => !user.closed && ws.send(text) !== 2,
          buffered: () => (user.closed ? 0 : ws.getBufferedAmount()),
          close: (code, reason) => {
            if (user.closed) return;
            user.closed = true;
            ws.end(code, reason);
          },
        });
      },
      message: (ws, msg, isBinary) => {
        if (!isBinary) ws.getUserData().conn.message(decoder.decode(msg));
      },
      drain: (ws) => ws.getUserData().conn.drain(),
      close: (ws) => {
        const user = ws.getUserData();
        user.closed = true;
        user.conn.close();
      },
    });
  }

  private _onUpgrade(route: WsRoute, res: HttpResponse, req: HttpRequest, context: us_socket_context_t): void {
    const state = { aborted: false };
    res.onAborted(() => (state.aborted = true));
    const headers = {} as RequestHeaders;
    for (const [key, name] of HEADER_NAMES) headers[key] = req.getHeader(name);
    const key = req.getHeader('sec-websocket-key');
    const protocol = req.getHeader('sec-websocket-protocol');
    const extensions = req.getHeader('sec-websocket-extensions');
    const request: Request = {
      method: 'GET',
      path: req.getUrl(),
      query: req.getQuery() ?? '',
      headers,
      remoteAddress: peerAddress(res.getRemoteAddress()),
      body: null,
    };
    route.upgrade(request).then(
      (d) => {
        if (state.aborted) {
          if ('accept' in d) d.accept.close();
          return;
        }
        res.cork(() => {
          if ('accept' in d) res.upgrade<WsUser>({ conn: d.accept, closed: false }, key, protocol, extensions, context);
          else {
            writeHead(res, d.reject);
            res.end(d.reject.body ?? '');
          }
        });
      },
      () => {
        if (!state.aborted) res.close();
      },
    );
  }

  get inflight(): number {
    return this._inflight;
  }

  get started(): number {
    return this._started;
  }

  drain(): void {
    this._draining = true;
    this.close();
  }

  listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this._app.listen(host, port, (token) => {
        if (!token) reject(new Error(`cannot listen on ${host}:${port}`));
        else {
          this._token = token;
          resolve();
        }
      });
    });
  }

  /** Stops accepting connections; in-flight requests finish. */
  close(): void {
    if (this._token) this._uws.us_listen_socket_close(this._token);
    this._token = null;
  }

  private _onRequest(res: HttpResponse, req: HttpRequest): void {
    const state: State = { aborted: false, close: /close/i.test(req.getHeader('connection')), wake: null };
    res.onAborted(() => {
      state.aborted = true;
      state.wake?.();
    });
    // req is stack-allocated: copy everything now.
    const headers = {} as RequestHeaders;
    for (const [key, name] of HEADER_NAMES) headers[key] = req.getHeader(name);
    const request: Request = {
      method: req.getMethod().toUpperCase(),
      path: req.getUrl(),
      query: req.getQuery() ?? '',
      headers,
      remoteAddress: peerAddress(res.getRemoteAddress()),
      body: null,
    };
    this._inflight++;
    this._started++;
    if (!BODY_METHODS.has(request.method)) {
      void this._dispatch(res, state, request);
      return;
    }
    const limit = this._handler.bodyLimit(request.path);
    const declared = Number(req.getHeader('content-length') || '0');
    if (declared > limit) {
      this._tooLarge(res, state, limit);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    res.onData((ab, isLast) => {
      if (refused || state.aborted) return;
      size += ab.byteLength;
      if (size > limit) {
        refused = true;
        this._tooLarge(res, state, limit);
        return;
      }
      // The ArrayBuffer is only valid during this call: copy it.
      chunks.push(Buffer.from(new Uint8Array(ab).slice()));
      if (isLast) {
        request.body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
        void this._dispatch(res, state, request);
      }
    });
  }

  private _tooLarge(res: HttpResponse, state: State, limit: number): void {
    this._inflight--;
    if (state.aborted) return;
    state.aborted = true; // nothing more may touch res
    res.cork(() => {
      res.writeStatus('413 Payload Too Large').writeHeader('Content-Type', 'application/json').writeHeader('Connection', 'close');
      res.end(errorBody(httpError('PAYLOAD_TOO_LARGE', `request body is over the ${limit}-byte limit`)), true);
    });
  }

  private async _dispatch(res: HttpResponse, state: State, request: Request): Promise<void> {
    try {
      const reply = await this._handler.handle(request);
      if (state.aborted) {
        await closeStream(reply);
        return;
      }
      if (reply.stream) await this._pump(res, state, reply, reply.stream);
      else {
        const close = this._draining || state.close;
        res.cork(() => {
          writeHead(res, reply);
          // While draining (or when asked) the client must learn that the connection ends here;
          // uWS closes it once the answer is out but does not say so itself.
          if (close) res.writeHeader('Connection', 'close');
          res.end(reply.body ?? '', close);
        });
      }
    } catch {
      if (!state.aborted) res.close();
    } finally {
      this._inflight--;
    }
  }

  /** Writes a stream chunk by chunk; waits for onWritable when the socket is full. */
  private async _pump(res: HttpResponse, state: State, reply: Reply, stream: AsyncIterable<Chunk>): Promise<void> {
    const closeAfter = this._draining || state.close;
    res.cork(() => {
      writeHead(res, reply);
      if (closeAfter) res.writeHeader('Connection', 'close');
    });
    try {
      for await (const chunk of stream) {
        if (state.aborted) break;
        let ok = true;
        res.cork(() => {
          ok = res.write(chunk);
        });
        if (!ok && !state.aborted) {
          await new Promise<void>((resolve) => {
            state.wake = resolve;
            res.onWritable(() => {
              resolve();
              return true;
            });
          });
          state.wake = null;
        }
        if (state.aborted) break;
      }
    } catch {
      // The source failed after the status went out: cut the connection so the client sees a truncated answer.
      if (!state.aborted) {
        state.aborted = true;
        res.close();
      }
      return;
    }
    if (!state.aborted) res.cork(() => res.end('', closeAfter));
  }
}

/**
 * The peer's address from uWS's binary form (4 or 16 bytes), IPv4-mapped IPv6 spelt as
 * dotted IPv4: the text form would be a long IPv6 string to parse again on every request.
 */
export function peerAddress(ab: ArrayBuffer): string {
  const b = new Uint8Array(ab);
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  if (b.length !== 16) return '';
  let mapped = b[10] === 0xff && b[11] === 0xff;
  for (let i = 0; mapped && i < 10; i++) mapped = b[i] === 0;
  if (mapped) return `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i] << 8) | b[i + 1]).toString(16));
  // The canonical short form (RFC 5952) so one host always has one spelling in throttling and audit.
  return compressV6(groups);
}

function compressV6(groups: string[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return groups.slice(0, best).join(':') + '::' + groups.slice(best + bestLen).join(':');
}

function writeHead(res: HttpResponse, reply: Reply): void {
  res.writeStatus(statusLine(reply.status));
  for (const name in reply.headers) res.writeHeader(name, reply.headers[name]);
}

async function closeStream(reply: Reply): Promise<void> {
  const it = reply.stream?.[Symbol.asyncIterator]();
  await it?.return?.();
}
