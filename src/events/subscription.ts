import type { Principal } from '../auth/principal.js';
import type { WsConnection, WsPeer } from '../http/ws.js';
import { canSee, ownOnly, readEvents, readHorizon, type FeedRow } from './feed.js';
import type { EventHub, LiveSubscriber } from './hub.js';

const CATCH_UP_PAGE = 500;

/** Close codes: 1008 policy (too slow, bad message), 4410 resume point pruned (like HTTP 410), 4401 account changed, 1001 going away. */
export const CLOSE_TOO_SLOW = 1008;
export const CLOSE_GONE = 4410;
/** The account's password, roles or active flag changed (like HTTP 401). */
export const CLOSE_REVOKED = 4401;

/**
 * One WebSocket subscriber. It waits for `{"after": SEQ}` (or `{}` / `{"after": null}`: from
 * now), catches up from the table page by page, pausing while its peer is backed up, then
 * turns live and receives the hub's pushes. Live messages cannot wait: past `limit` queued
 * bytes the subscriber is closed with a reason that says where to resume.
 */
export class EventSubscription implements WsConnection, LiveSubscriber {
  cursor = 0;
  private _peer: WsPeer | null = null;
  private _started = false;
  private _closed = false;
  private _drained: (() => void) | null = null;
  private _lastSent = 0;

  constructor(
    private readonly _hub: EventHub,
    readonly principal: Principal,
    private readonly _limit: number,
  ) {}

  open(peer: WsPeer): void {
    this._peer = peer;
  }

  message(text: string): void {
    if (this._started) return this._end(1008, 'already subscribed; reconnect to resume elsewhere');
    let after: number | null;
    try {
      const m: unknown = JSON.parse(text);
      if (m === null || typeof m !== 'object' || Array.isArray(m)) throw new Error();
      const a = (m as { after?: unknown }).after;
      if (a !== undefined && a !== null && !(typeof a === 'number' && Number.isSafeInteger(a) && a >= 0)) throw new Error();
      after = typeof a === 'number' ? a : null;
    } catch {
      return this._end(1008, 'send {"after": SEQ} with SEQ a non-negative integer (or {} to start from now)');
    }
    this._started = true;
    void this._start(after).catch(() => this._end(1011, 'cannot read the event table; reconnect shortly'));
  }

  drain(): void {
    this._drained?.();
  }

  close(): void {
    this._closed = true;
    this._hub.remove(this);
    this._drained?.();
  }

  push(row: FeedRow): void {
    this._send(row);
    if (!this._closed && this._peer && this._peer.buffered() > this._limit) {
      this._end(CLOSE_TOO_SLOW, `too slow: over ${this._limit} bytes queued; reconnect with {"after": ${this._lastSent}}`);
    }
  }

  revoke(): void {
    this._end(CLOSE_REVOKED, `account changed; authenticate again and resume with {"after": ${this._lastSent}}`);
  }

  shutdown(): void {
    this._end(1001, `server stopping; reconnect with {"after": ${this._lastSent}}`);
  }

  private async _start(after: number | null): Promise<void> {
    if (after === null) {
      this.cursor = this._lastSent = this._hub.last;
    } else {
      const h = await readHorizon(this._hub.db);
      if (after < h.prunedThrough) {
        return this._end(CLOSE_GONE, `after ${after} is older than the retained events; resync, oldest available ${h.prunedThrough + 1}`);
      }
      this.cursor = this._lastSent = after;
    }
    const person = ownOnly(this._hub.acl, this.principal);
    // Catch up to what the hub has read; the hub takes over from there (single thread: no gap).
    while (!this._closed && this.cursor < this._hub.last) {
      const upto = this._hub.last;
      const rows = await readEvents(this._hub.db, this.cursor, upto, person, CATCH_UP_PAGE);
      if (this._closed) return;
      for (const row of rows) if (canSee(this._hub.acl, this.principal, row)) this._send(row);
      this.cursor = rows.length === CATCH_UP_PAGE ? rows[rows.length - 1].seq : upto;
      while (!this._closed && this._peer && this._peer.buffered() > this._limit / 2) {
        await new Promise<void>((r) => (this._drained = r));
        this._drained = null;
      }
    }
    if (!this._closed && !this._hub.stopped) this._hub.add(this);
  }

  private _send(row: FeedRow): void {
    if (this._closed || !this._peer) return;
    if (!this._peer.send(row.j)) return this._end(CLOSE_TOO_SLOW, `too slow: message dropped; reconnect with {"after": ${this._lastSent}}`);
    this._lastSent = row.seq;
  }

  private _end(code: number, reason: string): void {
    if (this._closed) return;
    this._closed = true;
    this._hub.remove(this);
    this._drained?.();
    // Close reasons are limited to 123 bytes.
    this._peer?.close(code, reason.slice(0, 123));
  }
}
