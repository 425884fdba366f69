import argon2 from 'argon2';
import bcrypt from 'bcrypt';

/**
 * Password hashing. argon2id for everything this server sets; bcrypt ($2a$/$2b$/$2y$) from an
 * old Thalamus database still verifies. Both libraries run in libuv's threadpool, and a small
 * semaphore bounds how many run at once per worker, so a flood of cold logins queues here
 * instead of starving the threadpool that the rest of the process also needs.
 */

// OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane.
const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;
export const BCRYPT_RE = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;

export function isBcryptHash(value: string): boolean {
  return BCRYPT_RE.test(value);
}

export function isArgon2Hash(value: string): boolean {
  return value.startsWith('$argon2');
}

export class Hasher {
  private _active = 0;
  private readonly _waiting: Array<() => void> = [];
  private _dummy: string | null = null;

  constructor(private readonly _concurrency: number) {}

  private async _slot<T>(fn: () => Promise<T>): Promise<T> {
    if (this._active >= this._concurrency) await new Promise<void>((resolve) => this._waiting.push(resolve));
    else this._active++;
    try {
      return await fn();
    } finally {
      const next = this._waiting.shift();
      if (next) next();
      else this._active--;
    }
  }

  hash(password: string): Promise<string> {
    return this._slot(() => argon2.hash(password, ARGON2_OPTIONS));
  }

  /** Verifies against an argon2id or bcrypt hash; false for anything else. */
  verify(hash: string, password: string): Promise<boolean> {
    if (isArgon2Hash(hash)) return this._slot(() => argon2.verify(hash, password).catch(() => false));
    if (isBcryptHash(hash)) {
      // $2y$ (PHP) is the same algorithm as $2b$.
      const h = hash.startsWith('$2y$') ? '$2b$' + hash.slice(4) : hash;
      return this._slot(() => bcrypt.compare(password, h).catch(() => false));
    }
    return this.verifyDummy(password);
  }

  /** Spends the same work as a real check, for unknown users, so timing does not tell who exists. */
  async verifyDummy(password: string): Promise<false> {
    this._dummy ??= await this.hash('thalamus-dummy-' + Math.random());
    await this._slot(() => argon2.verify(this._dummy as string, password).catch(() => false));
    return false;
  }
}
