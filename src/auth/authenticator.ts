import type { Db } from '../db/db.js';
import { parseBasic } from './basic.js';
import { CredentialCache } from './cache.js';
import { Hasher } from './hash.js';
import type { Principal } from './principal.js';

interface AccountRow {
  [k: string]: unknown;
  hash: string | null;
  roles: string | null;
  active: boolean;
}

const ACCOUNT_SQL = `SELECT data ->> 'password' AS hash, (data -> 'roles')::text AS roles,
  COALESCE(data -> 'active', 'true'::jsonb) <> 'false'::jsonb AS active
  FROM people WHERE id = $1`;

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
  ) {}

  /** Synchronous fast path: a principal when these credentials were proven recently. */
  cached(header: string): Principal | null {
    const creds = parseBasic(header);
    return creds ? this.cache.get(creds.id, creds.password) : null;
  }

  /** Null when the credentials are missing or wrong, or the account is unknown or inactive. */
  async authenticate(header: string): Promise<Principal | null> {
    const creds = parseBasic(header);
    if (!creds) return null;
    const hit = this.cache.get(creds.id, creds.password);
    if (hit) return hit;
    const generation = this.cache.generation;
    const row = await this._db.one<AccountRow>('auth_account', ACCOUNT_SQL, [creds.id]);
    if (!row || !row.hash) {
      await this.hasher.verifyDummy(creds.password);
      return null;
    }
    const ok = await this.hasher.verify(row.hash, creds.password);
    if (!ok || !row.active) return null;
    const principal: Principal = { id: creds.id, roles: parseRoles(row.roles) };
    this.cache.set(creds.id, creds.password, principal, generation);
    return principal;
  }
}
