import pg from 'pg';
import Cursor from 'pg-cursor';

export interface DbOptions {
  url: string;
  poolSize: number;
  preparedStatements: boolean;
  statementTimeoutMs: number;
  connectionTimeoutMs: number;
  applicationName: string;
}

export type Row = Record<string, unknown>;

/** Reads a query's rows in batches through a server-side portal; always close it. */
export interface BatchReader<R> {
  read(): Promise<R[]>;
  close(): Promise<void>;
}

// Return bytea and jsonb as the text/Buffer PostgreSQL sends; we never parse records on the read path.
const types = {
  getTypeParser(oid: number, format?: string): (v: string) => unknown {
    if (oid === 3802 || oid === 114) return (v: string) => v; // jsonb, json → raw text
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

/**
 * The pool of one worker. Named prepared statements for hot queries unless they are off
 * (PgBouncer transaction mode, the embedded database's shared session).
 */
export class Db {
  readonly pool: pg.Pool;
  private readonly _prepared: boolean;
  /**
   * Client-side bound for one query (a dead server never answers a statement timeout). Set per
   * query, not on the pool: pg would apply a pool-wide one to a whole cursor's lifetime.
   */
  private readonly _queryTimeout: number;

  constructor(opts: DbOptions) {
    this._prepared = opts.preparedStatements;
    this._queryTimeout = opts.statementTimeoutMs + 1000;
    this.pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.poolSize,
      connectionTimeoutMillis: opts.connectionTimeoutMs,
      idleTimeoutMillis: 30000,
      statement_timeout: opts.statementTimeoutMs,
      keepAlive: true,
      application_name: opts.applicationName,
      types,
    });
    // An idle client that loses its server must not crash the worker; the next query reconnects.
    this.pool.on('error', () => undefined);
  }

  query<R extends Row = Row>(name: string, text: string, values: unknown[] = []): Promise<pg.QueryResult<R>> {
    return this.pool.query<R>(queryConfig(this._prepared, this._queryTimeout, name, text, values));
  }

  async one<R extends Row = Row>(name: string, text: string, values: unknown[] = []): Promise<R | null> {
    const r = await this.query<R>(name, text, values);
    return r.rows.length ? r.rows[0] : null;
  }

  /**
   * Runs `fn` in a transaction on one connection; rolls back on any error. `timeoutMs` gives
   * background work (never a request) a longer statement timeout than the configured one.
   */
  async tx<T>(fn: (q: TxClient) => Promise<T>, timeoutMs?: number): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      if (timeoutMs !== undefined) await client.query(`SET LOCAL statement_timeout = ${Math.floor(timeoutMs)}`);
      const result = await fn(new TxClient(client, this._prepared, timeoutMs !== undefined ? timeoutMs + 1000 : this._queryTimeout));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true;
      }
      throw err;
    } finally {
      client.release(broken);
    }
  }

  /**
   * Opens a cursor inside a read-only transaction (so the portal survives on poolers and on the
   * embedded database's shared session). The connection is held until close(), at most
   * `timeoutMs`, after which PostgreSQL cancels the read and the stream ends in an error.
   */
  async cursor<R extends Row = Row>(text: string, values: unknown[], batchSize: number, timeoutMs: number): Promise<BatchReader<R>> {
    const client = await this.pool.connect();
    let closed = false;
    let cursor: Cursor<R> | null = null;
    try {
      await client.query('BEGIN READ ONLY');
      // The statement timeout runs across every read of the portal: give streams their own bound.
      await client.query(`SET LOCAL statement_timeout = ${Math.floor(timeoutMs)}`);
      cursor = client.query(new Cursor<R>(text, values, { types }));
    } catch (err) {
      client.release(true);
      throw err;
    }
    const c = cursor;
    return {
      read: () => c.read(batchSize),
      close: async () => {
        if (closed) return;
        closed = true;
        let broken = false;
        try {
          await c.close();
          await client.query('COMMIT');
        } catch {
          broken = true;
        }
        client.release(broken);
      },
    };
  }

  async ping(): Promise<boolean> {
    try {
      await this.pool.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}

function queryConfig(prepared: boolean, timeout: number, name: string, text: string, values: unknown[]): pg.QueryConfig & { query_timeout: number } {
  return prepared ? { name, text, values, query_timeout: timeout } : { text, values, query_timeout: timeout };
}

/** A connection inside Db.tx(). */
export class TxClient {
  constructor(
    private readonly _client: pg.PoolClient,
    private readonly _prepared: boolean,
    private readonly _timeout: number,
  ) {}

  query<R extends Row = Row>(name: string, text: string, values: unknown[] = []): Promise<pg.QueryResult<R>> {
    return this._client.query<R>(queryConfig(this._prepared, this._timeout, name, text, values));
  }

  async one<R extends Row = Row>(name: string, text: string, values: unknown[] = []): Promise<R | null> {
    const r = await this.query<R>(name, text, values);
    return r.rows.length ? r.rows[0] : null;
  }
}
