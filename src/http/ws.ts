import type { Reply, Request } from './types.js';

/**
 * WebSocket routes, transport-independent: the transport upgrades and moves frames, the route
 * decides (authentication, ACL) and talks to the peer through this small surface.
 */
export interface WsPeer {
  /** Queues one text message; false when the peer is closed or the message could not be queued. */
  send(text: string): boolean;
  /** Bytes queued for the peer and not yet written to the socket. */
  buffered(): number;
  close(code: number, reason: string): void;
}

export interface WsConnection {
  open(peer: WsPeer): void;
  message(text: string): void;
  /** The queue drained below the transport's mark. */
  drain(): void;
  close(): void;
}

export type WsDecision = { reject: Reply } | { accept: WsConnection };

export interface WsRoute {
  path: string;
  /** Upper bound the transport may queue before it must drop; the route closes slow peers earlier. */
  maxBufferBytes: number;
  /** Decides an upgrade request (headers copied as for HTTP requests). */
  upgrade(req: Request): Promise<WsDecision>;
}
