import { maskUrl } from '../config.js';
import { migrate } from '../db/migrate.js';
import { seedDemo } from '../db/seed-demo.js';

/** `npm run seed:demo`: loads the demo accounts into DATABASE_URL (migrating first; idempotent). */
async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    process.stderr.write('DATABASE_URL is not set (the embedded database is seeded on its first start by `npm start`)\n');
    process.exit(2);
  }
  await migrate(url);
  await seedDemo(url);
  process.stdout.write(`demo data loaded into ${maskUrl(url)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`seed failed: ${(err as Error).message}\n`);
  process.exit(1);
});
