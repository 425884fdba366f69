import type { Chunk, Reply } from './types.js';

/** Reply builders. Header objects are shared constants where they never change. */

const JSON_HEADERS = Object.freeze({ 'Content-Type': 'application/json' });

export function json(status: number, text: string, headers?: Record<string, string>): Reply {
  return { status, headers: headers ? { ...JSON_HEADERS, ...headers } : JSON_HEADERS, body: text };
}

export function jsonStream(status: number, stream: AsyncIterable<Chunk>, headers?: Record<string, string>): Reply {
  return { status, headers: headers ? { ...JSON_HEADERS, ...headers } : JSON_HEADERS, stream };
}

export function noContent(headers: Record<string, string> = {}): Reply {
  return { status: 204, headers };
}

/** Headers for our own HTML pages: no framing, no sniffing, no third-party anything. */
export const PAGE_SECURITY_HEADERS = Object.freeze({
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
});

export function html(status: number, text: string, headers?: Record<string, string>): Reply {
  return { status, headers: { ...PAGE_SECURITY_HEADERS, ...headers }, body: text };
}
