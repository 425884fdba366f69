import { maskUrl } from '../config.js';
import { migrate } from '../db/migrate.js';

/** `npm run migrate`: applies sql/ to DATABASE_URL. */
async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    process.stderr.write('DATABASE_URL is not set: say which PostgreSQL to migrate, e.g. DATABASE_URL=postgresql://thalamus@localhost/federation\n');
    process.exit(2);
  }
  const applied = await migrate(url);
  process.stdout.write(applied.length ? `applied ${applied.join(', ')} to ${maskUrl(url)}\n` : `${maskUrl(url)} is up to date\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`migrate failed: ${(err as Error).message}\n`);
  process.exit(1);
});
