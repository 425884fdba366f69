import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Principal } from './principal.js';

interface Entry {
  mac: Buffer;
  principal: Principal;
}

/**
 * Recently proven credentials, per worker. It keeps an HMAC of `id:password` under a key that
 * never leaves this process, never the password; a failed attempt is never cached. A hit costs
 * one HMAC-SHA256 and a constant-time compare instead of a slow hash.
 */
export class CredentialCache {
  private readonly _lru: LRUCache<string, Entry> | null;
  private readonly _key = randomBytes(32);
  /** Bumped on every invalidation; a verification that started before a bump is not cached. */
  generation = 0;

  constructor(size: number, ttlMs: number) {
    this._lru = size > 0 ? new LRUCache<string, Entry>({ max: size, ttl: ttlMs, ttlAutopurge: false }) : null;
  }

  get enabled(): boolean {
    return this._lru !== null;
  }

  private _mac(id: string, password: string): Buffer {
    return createHmac('sha256', this._key).update(id).update('\0').update(password).digest();
  }

  get(id: string, password: string): Principal | null {
    if (!this._lru) return null;
    const entry = this._lru.get(id);
    if (!entry) return null;
    return timingSafeEqual(entry.mac, this._mac(id, password)) ? entry.principal : null;
  }

  /** Caches a proven credential unless an invalidation happened since `generation` was read. */
  set(id: string, password: string, principal: Principal, generationAtStart: number): void {
    if (!this._lru || generationAtStart !== this.generation) return;
    this._lru.set(id, { mac: this._mac(id, password), principal });
  }

  invalidate(id: string): void {
    this.generation++;
    this._lru?.delete(id);
  }

  clear(): void {
    this.generation++;
    this._lru?.clear();
  }

  get size(): number {
    return this._lru?.size ?? 0;
  }
}
