import { httpError, unprocessable } from '../errors.js';
import { jsonDepth, MAX_JSON_DEPTH } from './json-depth.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes a body as strict UTF-8; 400 on bad bytes. */
export function decodeUtf8(body: Buffer | null): string {
  if (!body || body.length === 0) return '';
  try {
    return utf8.decode(body);
  } catch {
    throw httpError('BAD_JSON', 'request body is not valid UTF-8');
  }
}

/**
 * Parses a JSON body whatever the Content-Type says (the HMIS and MyGNUHealth send none).
 * 400 for bytes that are not JSON, 422 for JSON that is not an object.
 */
export function parseJsonObject(body: Buffer | null): Record<string, unknown> {
  const text = decodeUtf8(body);
  if (text.trim() === '') throw httpError('BAD_JSON', 'request body is empty; send a JSON object');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw httpError('BAD_JSON', `request body is not valid JSON (${(err as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw unprocessable('request body must be a JSON object');
  }
  if (jsonDepth(text) > MAX_JSON_DEPTH) throw unprocessable(`request body is nested deeper than ${MAX_JSON_DEPTH} levels`);
  return value as Record<string, unknown>;
}

/** Parses `?limit=N&after=KEY`; limit is clamped to `max`. */
export function parsePaging(query: URLSearchParams, max: number): { limit: number | null; after: string | null } {
  const rawLimit = query.get('limit');
  const after = query.get('after');
  let limit: number | null = null;
  if (rawLimit !== null) {
    if (!/^\d{1,9}$/.test(rawLimit) || Number(rawLimit) < 1) throw httpError('BAD_QUERY', 'limit must be a positive integer');
    limit = Math.min(Number(rawLimit), max);
  }
  if (after !== null && !/^[A-Za-z0-9._:-]{1,128}$/.test(after)) throw httpError('BAD_QUERY', 'after must be a record ID');
  return { limit, after };
}
