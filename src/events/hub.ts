import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Acl } from '../auth/acl.js';
import type { Principal } from '../auth/principal.js';
import type { Config } from '../config.js';
import type { Db } from '../db/db.js';
import type { Logger } from '../log.js';
import { canSee, pruneEvents, readEvents, type FeedRow } from './feed.js';

const CHANNEL = 'thalamus_events';
const BATCH = 1000;
const PRUNE_BATCH = 5000;

/** A live subscriber of this worker (a WebSocket); the hub pushes what it may see, in order. */
export interface LiveSubscriber {
  principal: Principal;
  /** Highest sequence this subscriber has been given or skipped. */
  cursor: number;
  push(row: FeedRow): void;
  /** The server is stopping. */
  shutdown(): void;
  /** The account's password, roles or active flag changed: its grant may no longer hold. */
  revoke(): void;
}


/**
 * The per-worker end of the feed. The outbox table is the truth; LISTEN/NOTIFY only wakes the
 * poller up. Where notifications do not arrive (the embedded database's shared session, a
 * transaction-mode pooler) a probe at start finds out and the poller runs every
 * `eventsFastPollMs` instead; otherwise every `eventsPollMs` as a safety net. Each new batch
 * goes to the live subscribers and wakes the long-pollers.
 */
export class EventHub {
  /** Highest sequence read from the table (and pushed to live subscribers). */
  last = 0;
  private readonly _subs = new Set<LiveSubscriber>();
  private _waiters: Array<() => void> = [];
  private _listener: pg.Client | null = null;
  private _notifying = false;
  private _probe: string | null = null;
  private _polling = false;
  private _again = false;
  private _stopped = false;
  private _pollTimer: NodeJS.Timeout | null = null;
  private _pruneTimer: NodeJS.Timeout | null = null;
  private _reconnectTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly db: Db,
    readonly acl: Acl,
    private readonly _url: string,
    private readonly _config: Config,
    private readonly _log: Logger,
  ) {}

  async start(): Promise<void> {
    const row = await this.db.one<{ seq: string | null }>('events_max', 'SELECT max(seq)::text AS seq FROM events');
    this.last = Number(row?.seq ?? 0);
    void this._listen();
    this._schedulePoll();
    this._schedulePrune();
  }

  get subscribers(): number {
    return this._subs.size;
  }

  add(s: LiveSubscriber): void {
    this._subs.add(s);
  }

  remove(s: LiveSubscriber): void {
    this._subs.delete(s);
  }

  /** Resolves on the next batch of new events, or after `ms`, or on stop. */
  nextBatch(ms: number): Promise<void> {
    if (this._stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      this._waiters.push(done);
    });
  }

  get stopped(): boolean {
    return this._stopped;
  }

  /** Reads everything new now; concurrent calls collapse into one more round. */
  async poll(): Promise<void> {
    if (this._polling) {
      this._again = true;
      return;
    }
    this._polling = true;
    try {
      do {
        this._again = false;
        const rows = await readEvents(this.db, this.last, null, null, BATCH);
        if (rows.length) this._deliver(rows);
        if (rows.length === BATCH) this._again = true;
      } while (this._again && !this._stopped);
    } catch (err) {
      this._log.warn({ err: (err as Error).message }, 'cannot read the event table; retrying');
    } finally {
      this._polling = false;
    }
  }

  private _deliver(rows: FeedRow[]): void {
    for (const s of this._subs) {
      for (const row of rows) {
        if (row.seq <= s.cursor) continue;
        s.cursor = row.seq;
        if (canSee(this.acl, s.principal, row)) s.push(row);
        if (!this._subs.has(s)) break; // closed as too slow
      }
    }
    this.last = Math.max(this.last, rows[rows.length - 1].seq);
    const waiters = this._waiters;
    this._waiters = [];
    for (const w of waiters) w();
  }

  private _schedulePoll(): void {
    if (this._stopped) return;
    const ms = this._notifying ? this._config.eventsPollMs : this._config.eventsFastPollMs;
    this._pollTimer = setTimeout(() => void this.poll().finally(() => this._schedulePoll()), Math.max(ms, 5));
    this._pollTimer.unref();
  }

  /** A dedicated connection for LISTEN; reconnects after a second when it drops. */
  private async _listen(): Promise<void> {
    if (this._stopped) return;
    const client = new pg.Client({ connectionString: this._url, application_name: 'thalamus-events' });
    const retry = (): void => {
      this._notifying = false;
      if (this._listener === client) this._listener = null;
      client.end().catch(() => undefined);
      if (this._stopped || this._reconnectTimer) return;
      this._reconnectTimer = setTimeout(() => {
        this._reconnectTimer = null;
        void this._listen();
      }, 1000);
      this._reconnectTimer.unref();
    };
    client.on('error', retry);
    client.on('end', retry);
    client.on('notification', (n) => {
      if (n.channel !== CHANNEL) return;
      if (this._probe !== null && n.payload === this._probe) {
        this._probe = null;
        if (!this._notifying) this._log.debug('event notifications arrive; polling only as a safety net');
        this._notifying = true;
        return;
      }
      // Nobody on this worker waits for events: the payload (the event's seq) keeps `last`
      // current without a read. Events commit in seq order, so nothing at or below it can
      // still appear. At a thousand writes a second this saves a thousand reads per worker.
      const seq = Number(n.payload);
      if (this._subs.size === 0 && this._waiters.length === 0 && !this._polling && Number.isSafeInteger(seq) && seq > 0) {
        if (seq > this.last) this.last = seq;
        return;
      }
      void this.poll();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      this._listener = client;
      // Prove notifications cross connections here; until they do, poll fast.
      this._probe = 'probe:' + randomBytes(8).toString('hex');
      await this.db.query('events_probe', 'SELECT pg_notify($1, $2)', [CHANNEL, this._probe]);
    } catch (err) {
      this._log.debug({ err: (err as Error).message }, 'cannot LISTEN for events; polling');
      retry();
    }
  }

  /**
   * Subscriptions were authorised once, at the upgrade. Like the credential cache, they end
   * when the account log says the account's password, roles or active flag changed; the client
   * reconnects (and is authenticated again) with its last sequence.
   */
  revokeAccount(id: string): void {
    for (const s of [...this._subs]) if (s.principal.id.toUpperCase() === id) s.revoke();
  }

  private _schedulePrune(): void {
    if (this._stopped || this._config.eventsPruneIntervalMs <= 0) return;
    const base = this._config.eventsPruneIntervalMs;
    this._pruneTimer = setTimeout(() => void this._prune().finally(() => this._schedulePrune()), base / 2 + Math.random() * base);
    this._pruneTimer.unref();
  }

  private async _prune(): Promise<void> {
    try {
      const n = await pruneEvents(this.db, this._config.eventsRetentionMs, PRUNE_BATCH);
      if (n) this._log.info({ pruned: n }, 'old events pruned');
    } catch (err) {
      this._log.warn({ err: (err as Error).message }, 'cannot prune events');
    }
  }

  stop(): void {
    this._stopped = true;
    for (const t of [this._pollTimer, this._pruneTimer, this._reconnectTimer]) if (t) clearTimeout(t);
    const waiters = this._waiters;
    this._waiters = [];
    for (const w of waiters) w();
    for (const s of [...this._subs]) s.shutdown();
    this._subs.clear();
    const l = this._listener;
    this._listener = null;
    l?.removeAllListeners('end');
    l?.end().catch(() => undefined);
  }
}
