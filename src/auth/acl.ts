import { readFileSync } from 'node:fs';
import type { Principal } from './principal.js';

export const ENDPOINTS = [
  'login', 'people', 'person', 'book', 'page', 'password', 'personal_docs',
  'domiciliary_units', 'domiciliary_unit', 'institutions', 'institution', 'audit', 'events',
] as const;
export type Endpoint = (typeof ENDPOINTS)[number];
const METHODS = ['GET', 'POST', 'PATCH', 'DELETE'] as const;

interface RoleGrant {
  /** method → endpoints granted */
  methods: Map<string, Set<string>>;
  global: boolean;
  admin: boolean;
}

export type Decision = 'allow' | 'deny';

export class AclError extends Error {}

function truthy(v: unknown): boolean {
  return v === true || (typeof v === 'string' && v.toLowerCase() === 'true');
}

/**
 * Role ACL in the Thalamus 0.9 format: a JSON list of
 * `{"role": R, "permissions": {"GET": [...], ..., "global": "True"|"False", "admin": "True"}}`.
 */
export class Acl {
  private readonly _roles = new Map<string, RoleGrant>();

  constructor(definition: unknown) {
    if (!Array.isArray(definition)) throw new AclError('roles file must hold a JSON list of {role, permissions}');
    for (const [i, entry] of definition.entries()) {
      const e = entry as { role?: unknown; permissions?: Record<string, unknown> };
      if (typeof e?.role !== 'string' || typeof e.permissions !== 'object' || e.permissions === null) {
        throw new AclError(`roles entry ${i}: needs "role" (string) and "permissions" (object)`);
      }
      const methods = new Map<string, Set<string>>();
      for (const m of METHODS) {
        const list = e.permissions[m] ?? [];
        if (!Array.isArray(list) || !list.every((x) => typeof x === 'string')) {
          throw new AclError(`roles entry ${e.role}: permissions.${m} must be a list of endpoint names`);
        }
        methods.set(m, new Set(list as string[]));
      }
      this._roles.set(e.role, { methods, global: truthy(e.permissions.global), admin: truthy(e.permissions.admin) });
    }
  }

  static fromFile(path: string): Acl {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new AclError(`cannot read roles file ${path}: ${(err as Error).message}`);
    }
    try {
      return new Acl(JSON.parse(text));
    } catch (err) {
      throw new AclError(`roles file ${path}: ${(err as Error).message}`);
    }
  }

  /**
   * Allowed when one of the principal's roles lists `endpoint` under `method` and is global,
   * or the record's owner (the `{person}` in the path) is the principal itself.
   */
  allows(p: Principal, method: string, endpoint: string, owner: string | null): boolean {
    for (const role of p.roles) {
      const g = this._roles.get(role);
      if (!g || !g.methods.get(method)?.has(endpoint)) continue;
      if (g.global || owner === null || owner === p.id) return true;
    }
    return false;
  }

  /** Whether one of the roles grants `endpoint` under `method` globally (other people's records). */
  allowsGlobally(p: Principal, method: string, endpoint: string): boolean {
    return p.roles.some((role) => {
      const g = this._roles.get(role);
      return g !== undefined && g.global && g.methods.get(method)?.has(endpoint) === true;
    });
  }

  isAdmin(p: Principal): boolean {
    return p.roles.some((role) => this._roles.get(role)?.admin === true);
  }
}
