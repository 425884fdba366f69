import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';

export const SQL_DIR = join(__dirname, '..', '..', '..', 'sql');
const LOCK_KEY = 7_424_811; // arbitrary, constant: serialises concurrent migrators

/**
 * Applies sql/NNN_*.sql in name order, each once, recorded in thalamus_migrations, under an
 * advisory lock so two instances starting together do not race. Returns the names applied.
 */
export async function migrate(url: string, dir = SQL_DIR): Promise<string[]> {
  const client = new pg.Client({ connectionString: url, application_name: 'thalamus-migrate' });
  await client.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS thalamus_migrations (
      name VARCHAR PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
    const done = new Set((await client.query<{ name: string }>('SELECT name FROM thalamus_migrations')).rows.map((r) => r.name));
    const files = readdirSync(dir).filter((f) => /^\d+_.*\.sql$/.test(f)).sort();
    for (const file of files) {
      if (done.has(file)) continue;
      const text = readFileSync(join(dir, file), 'utf8');
      await client.query('BEGIN');
      try {
        await client.query(text);
        await client.query('INSERT INTO thalamus_migrations (name) VALUES ($1)', [file]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${file} failed: ${(err as Error).message}`);
      }
      applied.push(file);
    }
    await client.query(`INSERT INTO thalamus_meta (key, value) VALUES ('csrf_key', $1) ON CONFLICT (key) DO NOTHING`, [
      randomBytes(32).toString('base64'),
    ]);
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => undefined);
    await client.end();
  }
  return applied;
}
