import type { Db } from '../db/db.js';
import { parseBasic } from './basic.js';
import { CredentialCache } from './cache.js';
import { Hasher, isBcryptHash } from './hash.js';
import type { Principal } from './principal.js';
import { tooManyAttempts, type Throttle } from './throttle.js';

interface AccountRow {
  [k: string]: unknown;
  hash: string | null;
  roles: string | null;
  active: boolean;
}

const ACCOUNT_SQL = `SELECT data ->> 'password' AS hash, (data -> 'roles')::text AS roles,
  COALESCE(data -> 'active', 'true'::jsonb) <> 'false'::jsonb AS active
  FROM people WHERE id = $1`;

// Replaces a bcrypt hash only if it is still the one we verified: a password change that
// lands in between wins, and of several concurrent logins exactly one rewrites the row.
const REHASH_SQL = `UPDATE people SET data = jsonb_set(data, '{password}', to_jsonb($2::text))
  WHERE id = $1 AND data ->> 'password' = $3`;

function parseRoles(text: string | null): string[] {
  if (!text) return [];
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? v.filter((r): r is string => typeof r === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * HTTP Basic authentication: the credential cache first, then the account row and a slow hash
 * off the event loop. Unknown users and inactive accounts cost the same hash as wrong passwords.
 */
export class Authenticator {
  constructor(
    private readonly _db: Db,
    readonly cache: CredentialCache,
    readonly hasher: Hasher,
    private readonly _throttle: Throttle | null = null,
    private readonly _onRehashError: (err: Error) => void = () => undefined,
  ) {}

  /** Synchronous fast path: a principal when these credentials were proven recently. */
  cached(header: string): Principal | null {
    const creds = parseBasic(header);
    return creds ? this.cache.get(creds.id, creds.password) : null;
  }

  /**
   * Null when the credentials are missing or wrong, or the account is unknown or inactive: all
   * three take the same path and cost the same slow hash. Throws 429 while the account or the
   * client address is locked by the throttle, before any hash is computed.
   */
  async authenticate(header: string, client = 'unknown'): Promise<Principal | null> {
    const creds = parseBasic(header);
    if (!creds) return null;
    const hit = this.cache.get(creds.id, creds.password);
    if (hit) return hit;
    const generation = this.cache.generation;
    const throttle = this._throttle?.enabled ? this._throttle : null;
    const state = throttle ? await throttle.check(creds.id, client) : null;
    if (state && state.waitMs > 0) throw tooManyAttempts(state.waitMs);
    const row = await this._db.one<AccountRow>('auth_account', ACCOUNT_SQL, [creds.id]);
    const ok = row?.hash ? await this.hasher.verify(row.hash, creds.password) : await this.hasher.verifyDummy(creds.password);
    if (!row?.hash || !ok || !row.active) {
      await throttle?.failed(creds.id, client);
      return null;
    }
    if (isBcryptHash(row.hash)) await this._rehash(creds.id, creds.password, row.hash);
    if (state?.accountFailures) await throttle?.succeeded(creds.id);
    const principal: Principal = { id: creds.id, roles: parseRoles(row.roles) };
    this.cache.set(creds.id, creds.password, principal, generation);
    return principal;
  }

  /** bcrypt → argon2id on the first successful login; a failure here never fails the login. */
  private async _rehash(id: string, password: string, oldHash: string): Promise<void> {
    try {
      const fresh = await this.hasher.hash(password);
      // Marked as a re-hash (sql/012): same password, so no cache drop and no feed cut-off.
      await this._db.tx(async (q) => {
        await q.query('auth_rehash_mark', "SELECT set_config('thalamus.rehash', 'on', true)");
        await q.query('auth_rehash', REHASH_SQL, [id, fresh, oldHash]);
      });
    } catch (err) {
      this._onRehashError(err as Error);
    }
  }
}
