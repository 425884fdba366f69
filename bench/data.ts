import pg from 'pg';

/** One argon2id hash of BENCH_PASSWORD shared by every bench account (hashing 100k would take minutes). */
export const BENCH_PASSWORD = 'bench-password';

/**
 * Fills a migrated database with SQL alone: `people` persons ID P0000001… with 5 pages each,
 * all able to log in with BENCH_PASSWORD.
 */
export async function fill(url: string, people: number, pagesEach: number, hash: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(
      `INSERT INTO people (id, data)
       SELECT 'P' || lpad(g::text, 7, '0'),
              jsonb_build_object('id', 'P' || lpad(g::text, 7, '0'), 'name', 'Name' || g, 'lastname', 'Lastname' || g,
                'dob', (date '1940-01-01' + (g % 25000))::text, 'gender', CASE WHEN g % 2 = 0 THEN 'f' ELSE 'm' END,
                'roles', CASE WHEN g <= 500 THEN '["end_user","health_professional"]'::jsonb ELSE '["end_user"]'::jsonb END,
                'active', true, 'password', $2::text)
       FROM generate_series(1, $1::int) g ON CONFLICT DO NOTHING`,
      [people, hash],
    );
    if (pagesEach > 0) {
      await c.query(
        `INSERT INTO pols (id, book, data)
         SELECT 'P' || lpad(g::text, 7, '0') || '-' || k, 'P' || lpad(g::text, 7, '0'),
                jsonb_build_object('id', 'P' || lpad(g::text, 7, '0') || '-' || k, 'book', 'P' || lpad(g::text, 7, '0'),
                  'page_date', (timestamp '2020-01-01' + (k || ' days')::interval)::text, 'page_type', 'medical',
                  'summary', 'Checkup ' || k, 'measurements', jsonb_build_object('hr', 60 + k, 'osat', 98))
         FROM generate_series(1, $1::int) g, generate_series(1, $2::int) k ON CONFLICT DO NOTHING`,
        [people, pagesEach],
      );
    }
    await c.query('ANALYZE');
  } finally {
    await c.end();
  }
}

export function personId(n: number): string {
  return 'P' + String(n).padStart(7, '0');
}
