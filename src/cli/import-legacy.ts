import pg from 'pg';
import { maskUrl } from '../config.js';
import { CliError, connectError, EXIT, usage } from './errors.js';
import { Progress } from './progress.js';

/**
 * `thalamus import --from postgresql://old-db`: copies a Thalamus 0.9 database (people, pols,
 * personal_docs, dus, institutions) into this server's database. Person IDs are upper-cased
 * (the contract stores them so) and bcrypt password hashes are kept as they are: they verify,
 * and are re-hashed to argon2id on each account's first login.
 *
 * Idempotent: rows go in with ON CONFLICT DO NOTHING, so what the target already holds wins.
 * Resumable: the source is read in keyset batches (`WHERE id > last ORDER BY id`), and each
 * batch commits together with its checkpoint in thalamus_import; a rerun after a stop picks up
 * after the last committed batch. When every table is through, the checkpoints are cleared so
 * the next run scans everything again (still copying only what is missing).
 */

interface TableCopy {
  table: string;
  /** Source columns, in order; `data` is read as text so it is never parsed here. */
  columns: string[];
  /** Target INSERT from unnest($1..$n) arrays; counts only rows really inserted. */
  insert: string;
  /** Rows per batch (documents carry bytes, so fewer). */
  batch: number;
}

const TABLES: TableCopy[] = [
  {
    table: 'people',
    columns: ['id', 'data'],
    insert: `INSERT INTO people (id, data)
      SELECT upper(i), COALESCE(d::jsonb, '{}'::jsonb) || jsonb_build_object('id', upper(i)) FROM unnest($1::varchar[], $2::text[]) AS t(i, d)
      ON CONFLICT (id) DO NOTHING`,
    batch: 5000,
  },
  {
    table: 'pols',
    columns: ['id', 'book', 'data'],
    // A page whose person is missing (an orphan in the old database) is skipped, not fatal.
    insert: `INSERT INTO pols (id, book, data)
      SELECT i, upper(b), d::jsonb FROM unnest($1::varchar[], $2::varchar[], $3::text[]) AS t(i, b, d)
      WHERE b IS NULL OR EXISTS (SELECT 1 FROM people p WHERE p.id = upper(t.b))
      ON CONFLICT (id) DO NOTHING`,
    batch: 5000,
  },
  {
    table: 'personal_docs',
    columns: ['id', 'fedacct', 'pol', 'document', 'data'],
    insert: `INSERT INTO personal_docs (id, fedacct, pol, document, data)
      SELECT i, upper(f), p, doc, d::jsonb FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::bytea[], $5::text[]) AS t(i, f, p, doc, d)
      WHERE (f IS NULL OR EXISTS (SELECT 1 FROM people x WHERE x.id = upper(t.f)))
        AND (p IS NULL OR EXISTS (SELECT 1 FROM pols y WHERE y.id = t.p))
      ON CONFLICT (id) DO NOTHING`,
    batch: 200,
  },
  {
    table: 'dus',
    columns: ['id', 'data'],
    insert: `INSERT INTO dus (id, data) SELECT i, d::jsonb FROM unnest($1::varchar[], $2::text[]) AS t(i, d) ON CONFLICT (id) DO NOTHING`,
    batch: 5000,
  },
  {
    table: 'institutions',
    columns: ['id', 'data'],
    insert: `INSERT INTO institutions (id, data) SELECT i, d::jsonb FROM unnest($1::varchar[], $2::text[]) AS t(i, d) ON CONFLICT (id) DO NOTHING`,
    batch: 5000,
  },
];

const CHECKPOINT_DDL = `CREATE TABLE IF NOT EXISTS thalamus_import (
  source VARCHAR NOT NULL, tbl VARCHAR NOT NULL, last_id VARCHAR, processed BIGINT NOT NULL DEFAULT 0,
  inserted BIGINT NOT NULL DEFAULT 0, done BOOLEAN NOT NULL DEFAULT false, updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (source, tbl))`;

export interface ImportOptions {
  from: string;
  target: string;
  /** Stop after this many batches (spread a large import over several windows); 0 = no limit. */
  maxBatches: number;
  /** Forget the checkpoints of this source and start from the first row. */
  restart: boolean;
  batchScale: number;
  out: (line: string) => void;
}

export interface ImportResult {
  complete: boolean;
  tables: Record<string, { processed: number; inserted: number }>;
}

type SourceRow = Record<string, unknown> & { id: string };

/** Connects, mapping failures to exit code 3 with the URL's password masked. */
async function connect(url: string, role: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: `thalamus-import-${role}`, connectionTimeoutMillis: 10000 });
  client.on('error', () => undefined); // a dropped connection surfaces on the next query
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw connectError(err, `the ${role} database ${maskUrl(url)}`);
  }
  return client;
}

/** Fails with exit code 4, naming what is missing, when the source is not a Thalamus 0.9 database. */
async function checkSource(src: pg.Client, label: string): Promise<void> {
  const want = TABLES.flatMap((t) => t.columns.map((c) => [t.table, c] as const));
  const r = await src.query<{ t: string; c: string }>(
    `SELECT table_name AS t, column_name AS c FROM information_schema.columns
     WHERE table_schema = current_schema() AND table_name = ANY($1)`,
    [TABLES.map((t) => t.table)],
  );
  const have = new Set(r.rows.map((x) => `${x.t}.${x.c}`));
  const tables = new Set(r.rows.map((x) => x.t));
  const missingTables = TABLES.map((t) => t.table).filter((t) => !tables.has(t));
  if (missingTables.length) {
    throw new CliError(EXIT.SOURCE, `${label} has no table ${missingTables.join(', ')}: is it a Thalamus 0.9 database (federation_schema.sql)?`);
  }
  const missingCols = want.filter(([t, c]) => !have.has(`${t}.${c}`)).map(([t, c]) => `${t}.${c}`);
  if (missingCols.length) throw new CliError(EXIT.SOURCE, `${label} lacks column ${missingCols.join(', ')}: not the Thalamus 0.9 schema`);
}

/** The source's identity for checkpoints: host, port and database, never the password. */
function sourceKey(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
}

export async function importLegacy(opts: ImportOptions): Promise<ImportResult> {
  if (sourceKey(opts.from) === sourceKey(opts.target) && new URL(opts.from).search === new URL(opts.target).search) {
    throw usage('--from names the target database itself; give the old Thalamus database');
  }
  const label = `source ${maskUrl(opts.from)}`;
  const src = await connect(opts.from, 'source');
  let dst: pg.Client | null = null;
  const result: ImportResult = { complete: false, tables: {} };
  try {
    await checkSource(src, label);
    dst = await connect(opts.target, 'target');
    await dst.query(CHECKPOINT_DDL);
    const key = sourceKey(opts.from);
    if (opts.restart) await dst.query('DELETE FROM thalamus_import WHERE source = $1', [key]);
    const progress = new Progress();
    let batchesLeft = opts.maxBatches > 0 ? opts.maxBatches : Infinity;
    for (const t of TABLES) {
      const cp = await dst.query<{ last_id: string | null; processed: string; inserted: string; done: boolean }>(
        'SELECT last_id, processed, inserted, done FROM thalamus_import WHERE source = $1 AND tbl = $2',
        [key, t.table],
      );
      const state = { last: cp.rows[0]?.last_id ?? null, processed: Number(cp.rows[0]?.processed ?? 0), inserted: Number(cp.rows[0]?.inserted ?? 0) };
      result.tables[t.table] = state;
      if (cp.rows[0]?.done) {
        opts.out(`${t.table}: already copied by an earlier run (${state.processed} rows read, ${state.inserted} inserted)`);
        continue;
      }
      if (state.last !== null) opts.out(`${t.table}: resuming after ${state.last} (${state.processed} rows read before)`);
      const total = Number((await src.query<{ n: string }>(`SELECT count(*) AS n FROM ${t.table}`)).rows[0].n);
      progress.start(t.table, total, state.processed);
      const finished = await copyTable(src, dst, t, key, state, Math.max(1, Math.round(t.batch * opts.batchScale)), () => batchesLeft-- > 0, (n) =>
        progress.update(n),
      );
      progress.finish(`${state.inserted.toLocaleString('en')} new, ${(state.processed - state.inserted).toLocaleString('en')} already there or orphaned`);
      if (!finished) {
        opts.out(`stopped after --max-batches; run the same command again to resume`);
        return result;
      }
    }
    await dst.query('DELETE FROM thalamus_import WHERE source = $1', [key]);
    result.complete = true;
    return result;
  } finally {
    await src.end().catch(() => undefined);
    await dst?.end().catch(() => undefined);
  }
}

/** Copies one table in keyset batches; false when the batch budget ran out first. */
async function copyTable(
  src: pg.Client,
  dst: pg.Client,
  t: TableCopy,
  key: string,
  state: { last: string | null; processed: number; inserted: number },
  batch: number,
  mayRun: () => boolean,
  onProgress: (processed: number) => void,
): Promise<boolean> {
  // Table and column names come from the constant list above, never from input.
  const cols = t.columns.map((c) => (c === 'data' ? 'data::text AS data' : c)).join(', ');
  const select = `SELECT ${cols} FROM ${t.table} WHERE ($1::varchar IS NULL OR id > $1) ORDER BY id LIMIT $2`;
  const fetch = (after: string | null): Promise<SourceRow[]> => src.query<SourceRow>(select, [after, batch]).then((r) => r.rows);
  let rows = await fetch(state.last);
  while (rows.length > 0) {
    if (!mayRun()) return false;
    const last = rows[rows.length - 1].id;
    // Read the next batch from the source while this one is written to the target.
    const next = rows.length === batch ? fetch(last) : Promise.resolve([]);
    next.catch(() => undefined);
    const arrays = t.columns.map((c) => rows.map((r) => r[c] ?? null));
    await dst.query('BEGIN');
    try {
      const ins = await dst.query(t.insert, arrays);
      state.processed += rows.length;
      state.inserted += ins.rowCount ?? 0;
      state.last = last;
      await dst.query(
        `INSERT INTO thalamus_import (source, tbl, last_id, processed, inserted) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (source, tbl) DO UPDATE SET last_id = $3, processed = $4, inserted = $5, updated_at = now()`,
        [key, t.table, last, state.processed, state.inserted],
      );
      await dst.query('COMMIT');
    } catch (err) {
      await dst.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
    onProgress(state.processed);
    rows = await next;
  }
  await dst.query(
    `INSERT INTO thalamus_import (source, tbl, last_id, processed, inserted, done) VALUES ($1, $2, $3, $4, $5, true)
     ON CONFLICT (source, tbl) DO UPDATE SET done = true, updated_at = now()`,
    [key, t.table, state.last, state.processed, state.inserted],
  );
  return true;
}
