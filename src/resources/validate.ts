import { unprocessable } from '../errors.js';
import { isBcryptHash } from '../auth/hash.js';

/** Field checks shared by the people and password resources. */

export function checkRoles(v: unknown): string[] {
  if (!Array.isArray(v) || !v.every((r) => typeof r === 'string' && r.length > 0 && r.length <= 64)) {
    throw unprocessable('roles must be a list of role names (strings)');
  }
  return v as string[];
}

export function checkActive(v: unknown): boolean {
  if (typeof v !== 'boolean') throw unprocessable('active must be true or false');
  return v;
}

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;

/** Policy for a new password: 8-128 characters. */
export function passwordPolicyError(v: unknown): string | null {
  if (typeof v !== 'string') return 'password must be a string';
  const n = [...v].length;
  if (n < PASSWORD_MIN || n > PASSWORD_MAX) return `password must be ${PASSWORD_MIN}-${PASSWORD_MAX} characters`;
  return null;
}

/**
 * The stored form of a password sent in a person body: a bcrypt hash from an old Thalamus is
 * kept as is (migration); anything else must meet the policy and is hashed with argon2id.
 */
export async function storedPassword(v: unknown, hash: (p: string) => Promise<string>): Promise<string> {
  if (typeof v === 'string' && isBcryptHash(v)) return v;
  const problem = passwordPolicyError(v);
  if (problem) throw unprocessable(problem);
  return hash(v as string);
}

/** Body `id` may be absent or equal to the path's (compared as `normalise` says); 422 otherwise. */
export function checkBodyId(body: Record<string, unknown>, pathId: string, normalise: (s: string) => string = (s) => s): void {
  if (body.id === undefined) return;
  if (typeof body.id !== 'string' || normalise(body.id) !== pathId) {
    throw unprocessable(`id in the body (${JSON.stringify(body.id)}) differs from the path (${pathId}); IDs cannot change`);
  }
}

