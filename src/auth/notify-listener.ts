import pg from 'pg';
import type { Logger } from '../log.js';
import type { CredentialCache } from './cache.js';

const CHANNEL = 'thalamus_account';
const MIN_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 10000;

/**
 * A dedicated connection per worker that LISTENs for account changes and wakes the
 * invalidator at once, instead of at its next poll. It is only a wake-up: the
 * `account_changes` log stays the truth and the poll keeps running, so a lost notification
 * costs at most one poll interval. When the connection drops the cache is flushed (whatever
 * happened while we were deaf is unknown) and we reconnect with a growing backoff.
 *
 * It needs a session of its own, so behind a transaction-mode pooler point
 * LISTEN_DATABASE_URL at PostgreSQL directly.
 */
export class NotifyListener {
  private _client: pg.Client | null = null;
  private _stopped = false;
  private _backoff = MIN_BACKOFF_MS;
  private _timer: NodeJS.Timeout | null = null;
  private _connected = false;

  constructor(
    private readonly _url: string,
    private readonly _cache: CredentialCache,
    private readonly _wake: () => void,
    private readonly _log: Logger,
  ) {}

  get connected(): boolean {
    return this._connected;
  }

  /** Connects in the background; never throws (polling covers until it works). */
  start(): Promise<void> {
    return this._connect();
  }

  private async _connect(): Promise<void> {
    if (this._stopped) return;
    // A black-holed server must not leave us waiting forever: time out and retry like a drop.
    const client = new pg.Client({
      connectionString: this._url,
      application_name: 'thalamus-listen',
      keepAlive: true,
      connectionTimeoutMillis: 5000,
      query_timeout: 5000,
    });
    this._client = client;
    client.on('notification', (msg) => {
      if (msg.channel !== CHANNEL) return;
      if (msg.payload) this._cache.invalidate(msg.payload.toUpperCase());
      this._wake();
    });
    client.on('error', (err) => this._lost(client, err));
    client.on('end', () => this._lost(client, null));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      if (this._stopped || this._client !== client) return;
      if (this._backoff > MIN_BACKOFF_MS) this._log.info('account change listener connected again');
      this._connected = true;
      this._backoff = MIN_BACKOFF_MS;
      // Anything between the drop and now is read by the next poll; wake it now.
      this._wake();
    } catch (err) {
      this._lost(client, err as Error);
    }
  }

  private _lost(client: pg.Client, err: Error | null): void {
    if (this._client !== client) return; // an old connection's late event
    this._client = null;
    this._connected = false;
    client.removeAllListeners('notification');
    client.on('error', () => undefined);
    void client.end().catch(() => undefined);
    if (this._stopped) return;
    this._cache.clear();
    this._log.warn({ err: err?.message ?? 'connection ended', retryMs: this._backoff }, 'account change listener lost; credential cache flushed, polling meanwhile');
    const delay = this._backoff;
    this._backoff = Math.min(MAX_BACKOFF_MS, this._backoff * 2);
    this._timer = setTimeout(() => void this._connect(), delay);
    this._timer.unref();
  }

  async stop(): Promise<void> {
    this._stopped = true;
    if (this._timer) clearTimeout(this._timer);
    const c = this._client;
    this._client = null;
    this._connected = false;
    if (c) await c.end().catch(() => undefined);
  }
}
