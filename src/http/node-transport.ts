import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorBody, httpError } from '../errors.js';
import type { App } from './app.js';
import { HEADER_NAMES, type Chunk, type Request, type RequestHeaders } from './types.js';
import type { Transport, TransportLimits } from './transport.js';

const BODY_METHODS = new Set(['POST', 'PATCH', 'PUT']);

/** The node:http fallback: same App, same wire behaviour, for platforms without the uWS binary. */
export class NodeTransport implements Transport {
  readonly name = 'node:http';
  private readonly _server: Server;
  private _inflight = 0;
  private _started = 0;
  private _draining = false;

  constructor(
    private readonly _handler: App,
    limits: TransportLimits = { maxConnections: 10000, headersTimeoutMs: 10000, requestTimeoutMs: 30000, maxHeaderBytes: 16384 },
  ) {
    // headersTimeout and requestTimeout end slowloris clients (408 then close); node checks them every connectionsCheckingInterval.
    this._server = createServer(
      {
        keepAliveTimeout: 10000,
        headersTimeout: limits.headersTimeoutMs,
        requestTimeout: limits.requestTimeoutMs,
        connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
        maxHeaderSize: limits.maxHeaderBytes,
      },
      (req, res) => this._onRequest(req, res),
    );
    this._server.maxConnections = limits.maxConnections;
    // Malformed request lines and headers: a 400 and close, never a crash (node's default, made explicit).
    this._server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      if (!socket.writable || err.code === 'ECONNRESET') return void socket.destroy();
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
      const body = JSON.stringify({ error: status.slice(4).toLowerCase(), code: 'BAD_REQUEST' });
      socket.end(`HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
    });
    this._server.on('upgrade', (_req, socket: Duplex) => declineUpgrade(socket));
  }

  get inflight(): number {
    return this._inflight;
  }

  get started(): number {
    return this._started;
  }

  drain(): void {
    this._draining = true;
    // server.close() would also close idle keep-alive connections at once, racing a client that
    // is just sending its next request on one (it would see a reset). Instead every further
    // answer says `Connection: close`, and what stays idle is closed when the worker exits.
    const closeIdle = this._server.closeIdleConnections;
    this._server.closeIdleConnections = () => undefined;
    this._server.close();
    this._server.closeIdleConnections = closeIdle;
  }

  listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this._server.once('error', reject);
      this._server.listen({ host, port }, () => resolve());
    });
  }

  close(): void {
    this._server.close();
    this._server.closeIdleConnections();
  }

  private _onRequest(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const headers = {} as RequestHeaders;
    for (const [key, name] of HEADER_NAMES) {
      const v = req.headers[name];
      headers[key] = Array.isArray(v) ? v.join(', ') : (v ?? '');
    }
    const request: Request = {
      method: (req.method ?? 'GET').toUpperCase(),
      path: q < 0 ? url : url.slice(0, q),
      query: q < 0 ? '' : url.slice(q + 1),
      headers,
      remoteAddress: req.socket.remoteAddress ?? '',
      body: null,
    };
    this._inflight++;
    this._started++;
    if (this._draining) res.shouldKeepAlive = false;
    res.once('close', () => this._inflight--);
    if (!BODY_METHODS.has(request.method)) {
      req.resume();
      void this._dispatch(res, request);
      return;
    }
    const limit = this._handler.bodyLimit(request.path);
    if (Number(req.headers['content-length'] ?? 0) > limit) {
      this._tooLarge(req, res, limit);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > limit) {
        refused = true;
        this._tooLarge(req, res, limit);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (refused) return;
      request.body = Buffer.concat(chunks, size);
      void this._dispatch(res, request);
    });
    req.on('error', () => res.destroy());
  }

  private _tooLarge(req: IncomingMessage, res: ServerResponse, limit: number): void {
    res.writeHead(413, { 'Content-Type': 'application/json', Connection: 'close' });
    res.end(errorBody(httpError('PAYLOAD_TOO_LARGE', `request body is over the ${limit}-byte limit`)));
    req.resume();
  }

  private async _dispatch(res: ServerResponse, request: Request): Promise<void> {
    try {
      const reply = await this._handler.handle(request);
      if (res.destroyed) {
        await reply.stream?.[Symbol.asyncIterator]().return?.();
        return;
      }
      if (!reply.stream) {
        const headers: Record<string, string | number> = { ...reply.headers };
        if (reply.body !== undefined) headers['Content-Length'] = Buffer.byteLength(reply.body);
        res.writeHead(reply.status, headers);
        res.end(reply.body);
        return;
      }
      res.writeHead(reply.status, reply.headers);
      await pump(res, reply.stream);
    } catch {
      res.destroy();
    }
  }
}

/** Writes chunks, waiting for 'drain' when the socket buffer is full; stops if the client leaves. */
async function pump(res: ServerResponse, stream: AsyncIterable<Chunk>): Promise<void> {
  for await (const chunk of stream) {
    if (res.destroyed) break;
    if (!res.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    }
    if (res.destroyed) break;
  }
  if (!res.destroyed) res.end();
}

/** WebSockets need the uWebSockets.js transport; this one says so and points to long-polling. */
function declineUpgrade(socket: Duplex): void {
  const body = errorBody(httpError('NOT_IMPLEMENTED', 'WebSockets are not available on the node:http transport; long-poll GET /events?after=SEQ&wait=30 instead'));
  socket.end(`HTTP/1.1 501 Not Implemented\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
