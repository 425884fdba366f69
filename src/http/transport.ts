import type { App } from './app.js';
import { NodeTransport } from './node-transport.js';
import { loadNativeUws, UwsTransport } from './uws-transport.js';
import type { WsRoute } from './ws.js';

/** A way of getting bytes in and out; both run the same App. */
export interface Transport {
  readonly name: string;
  readonly inflight: number;
  /** Requests started so far; a drain waits until this stops moving. */
  readonly started: number;
  listen(host: string, port: number): Promise<void>;
  /** Stop accepting new connections. */
  close(): void;
  /** Stop accepting, and answer every further request with `Connection: close` so keep-alive clients move on. */
  drain(): void;
}

/** Socket-level limits (node:http; uWS has fixed ones, see ops/README.md). */
export interface TransportLimits {
  maxConnections: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  maxHeaderBytes: number;
}

/** `auto` takes native uWebSockets.js and falls back to node:http where the binary cannot load. */
export function createTransport(kind: 'auto' | 'uws' | 'node', app: App, limits?: TransportLimits, wsRoutes: WsRoute[] = []): Transport {
  if (kind === 'node') return new NodeTransport(app, limits);
  const uws = loadNativeUws();
  if (uws) return new UwsTransport(uws, app, wsRoutes);
  if (kind === 'uws') throw new Error('THALAMUS_TRANSPORT=uws but the native uWebSockets.js binary cannot load on this platform');
  return new NodeTransport(app, limits);
}
