import type { BatchReader } from '../db/db.js';
import { parsePaging } from '../http/body.js';
import { jsonStream } from '../http/reply.js';
import type { Reply } from '../http/types.js';
import type { Ctx } from './types.js';

/** Rows of a collection query: the paging key and the record already rendered as JSON text by PostgreSQL. */
export interface KeyedJson {
  [k: string]: unknown;
  k: string;
  j: string;
}

const MAX_PAGE = 1000;

/**
 * Streams a collection: `[[{..}],[{..}]]` (Thalamus 0.9, the portal reads `person[0].id`) or
 * `[{..},{..}]` with `collections: "flat"`. The text comes from PostgreSQL (first batch by a
 * plain query, the rest through a cursor) and is never parsed. With `?limit=` the page is bounded and `Link: rel="next"` tells the next one.
 *
 * `sql` takes `$n` (after key, or null) and `$n+1` (LIMIT, null = all) after `values`.
 */
export async function collection(
  ctx: Ctx,
  sql: string,
  values: unknown[],
  onEmpty?: () => Promise<void>,
): Promise<Reply> {
  const { limit, after } = parsePaging(ctx.query, MAX_PAGE);
  const { config } = ctx.svc;
  const flat = config.collections === 'flat';
  // Collections may come from a replica (a little behind); single records and writes never do.
  const db = ctx.svc.readDb ?? ctx.svc.db;
  // The first batch is one plain query: a book of a few pages, or a page of results, costs one
  // round trip and never opens a transaction or a cursor.
  const firstSize = limit !== null ? limit + 1 : config.collectionBatchSize;
  const first = (await db.query<KeyedJson>(statementName(sql), sql, [...values, after, firstSize])).rows;
  if (first.length === 0 && after === null && onEmpty) await onEmpty();
  const headers: Record<string, string> = {};
  if (limit !== null) {
    if (first.length > limit) {
      first.length = limit;
      const next = new URLSearchParams(ctx.query);
      next.set('after', first[limit - 1].k);
      headers.Link = `<${ctx.req.path}?${next.toString()}>; rel="next"`;
    }
    return jsonStream(200, new CollectionStream(first, null, flat), headers);
  }
  if (first.length < firstSize) return jsonStream(200, new CollectionStream(first, null, flat), headers);
  // More remain: stream the rest through a cursor that starts after the last key sent.
  const rest = await db.cursor<KeyedJson>(sql, [...values, first[first.length - 1].k, null], config.collectionBatchSize, config.collectionTimeoutMs);
  return jsonStream(200, new CollectionStream(first, rest, flat), headers);
}

const names = new Map<string, string>();

/** A stable prepared-statement name per collection query. */
function statementName(sql: string): string {
  let name = names.get(sql);
  if (!name) names.set(sql, (name = `collection_${names.size}`));
  return name;
}

/**
 * An async iterator of JSON text chunks, one per cursor batch. return() closes the cursor, so
 * a client that goes away releases its connection even if iteration never started.
 */
class CollectionStream implements AsyncIterableIterator<string> {
  private _state: 'first' | 'more' | 'done' = 'first';

  constructor(
    private readonly _first: KeyedJson[],
    private readonly _reader: BatchReader<KeyedJson> | null,
    private readonly _flat: boolean,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  private _render(rows: KeyedJson[], lead: string): string {
    let out = lead;
    const open = this._flat ? '' : '[';
    const close = this._flat ? '' : ']';
    for (let i = 0; i < rows.length; i++) out += (i ? ',' : '') + open + rows[i].j + close;
    return out;
  }

  async next(): Promise<IteratorResult<string>> {
    if (this._state === 'first') {
      this._state = 'more';
      const empty = this._first.length === 0;
      const text = this._render(this._first, '[');
      this._first.length = 0;
      if (!this._reader || empty) return this._endWith(text);
      return { value: text, done: false };
    }
    if (this._state === 'done') return { value: undefined, done: true };
    try {
      const rows = this._reader ? await this._reader.read() : [];
      if (rows.length === 0) return this._endWith('');
      return { value: this._render(rows, ','), done: false };
    } catch (err) {
      this._state = 'done';
      await this._reader?.close();
      throw err;
    }
  }

  /** Closes the cursor and ends the array. */
  private async _endWith(prefix: string): Promise<IteratorResult<string>> {
    this._state = 'done';
    await this._reader?.close();
    return { value: prefix + ']', done: false };
  }

  async return(): Promise<IteratorResult<string>> {
    this._state = 'done';
    await this._reader?.close();
    return { value: undefined, done: true };
  }
}
