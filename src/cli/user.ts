import pg from 'pg';
import { Hasher } from '../auth/hash.js';
import { isValidId } from '../http/router.js';
import { passwordPolicyError } from '../resources/validate.js';
import { CliError, EXIT, usage } from './errors.js';
import { readPassword } from './password-input.js';

/**
 * Account administration straight on the database. The people trigger (sql/003) logs every
 * change of password, roles or active flag, so running servers drop cached credentials within
 * a second, exactly as for changes made over HTTP.
 */

export function checkId(raw: string | undefined): string {
  if (!raw) throw usage('give the federation ID of the account');
  if (!isValidId(raw)) throw usage(`"${raw}" is not a federation ID: 1-128 characters from A-Z a-z 0-9 . _ : -`);
  return raw.toUpperCase();
}

export function checkRoleList(roles: string[]): string[] {
  if (roles.length === 0) throw usage('give at least one role, e.g. --role end_user');
  for (const r of roles) if (!/^[A-Za-z0-9_.-]{1,64}$/.test(r)) throw usage(`"${r}" is not a role name`);
  return [...new Set(roles)];
}

async function newPasswordHash(prompt: string): Promise<string> {
  const password = await readPassword(prompt);
  const problem = passwordPolicyError(password);
  if (problem) throw usage(problem);
  return new Hasher(1).hash(password);
}

export async function userAdd(db: pg.Client, id: string, roles: string[], fields: { name?: string; lastname?: string }): Promise<string> {
  const exists = await db.query('SELECT 1 FROM people WHERE id = $1', [id]);
  // Checked before the prompt so nobody types a password for nothing; the INSERT below still guards the race.
  if (exists.rowCount) throw new CliError(EXIT.EXISTS, `user ${id} already exists (change it with \`thalamus user passwd\` or \`user roles\`)`);
  const hash = await newPasswordHash(`New password for ${id}`);
  const data = { id, ...fields, roles, active: true, password: hash };
  const r = await db.query('INSERT INTO people (id, data) VALUES ($1, $2::jsonb) ON CONFLICT (id) DO NOTHING', [id, JSON.stringify(data)]);
  if (!r.rowCount) throw new CliError(EXIT.EXISTS, `user ${id} already exists`);
  return `created ${id} with roles ${roles.join(', ')}`;
}

async function mustExist(db: pg.Client, id: string): Promise<void> {
  const r = await db.query('SELECT 1 FROM people WHERE id = $1', [id]);
  if (!r.rowCount) throw new CliError(EXIT.NOT_FOUND, `no user ${id}`);
}

async function patch(db: pg.Client, id: string, fields: Record<string, unknown>): Promise<void> {
  const r = await db.query(`UPDATE people SET data = COALESCE(data, '{}'::jsonb) || $2::jsonb WHERE id = $1`, [id, JSON.stringify(fields)]);
  if (!r.rowCount) throw new CliError(EXIT.NOT_FOUND, `no user ${id}`);
}

export async function userPasswd(db: pg.Client, id: string): Promise<string> {
  await mustExist(db, id);
  await patch(db, id, { password: await newPasswordHash(`New password for ${id}`) });
  return `password of ${id} changed`;
}

export async function userRoles(db: pg.Client, id: string, roles: string[]): Promise<string> {
  await patch(db, id, { roles });
  return `roles of ${id} are now ${roles.join(', ')}`;
}

export async function userDeactivate(db: pg.Client, id: string): Promise<string> {
  await patch(db, id, { active: false });
  return `${id} deactivated: it can no longer log in`;
}
