import { once } from 'node:events';
import pg from 'pg';
import Cursor from 'pg-cursor';
import { usage } from './errors.js';

/**
 * `thalamus export`: every record as one JSON line, `{"type": T, "data": {...}}`, streamed
 * through server-side cursors inside one REPEATABLE READ transaction (a consistent snapshot
 * of all tables) and written with stdout's backpressure. Documents carry their bytes as base64
 * in `data.document`. Password hashes stay out unless asked for.
 */

const SOURCES: Record<string, { type: string; sql: (withHashes: boolean) => string }> = {
  people: { type: 'person', sql: (h) => `SELECT id, (${h ? 'data' : "data - 'password'"} || jsonb_build_object('id', id))::text AS j FROM people ORDER BY id` },
  pols: { type: 'page_of_life', sql: () => `SELECT id, (COALESCE(data, '{}'::jsonb) || jsonb_build_object('id', id, 'book', book))::text AS j FROM pols ORDER BY id` },
  personal_docs: {
    type: 'personal_document',
    sql: () => `SELECT id, ((COALESCE(data, '{}'::jsonb) - 'document') || jsonb_build_object('id', id, 'fedacct', fedacct, 'pol', pol))::text AS j, document FROM personal_docs ORDER BY id`,
  },
  dus: { type: 'domiciliary_unit', sql: () => `SELECT id, (COALESCE(data, '{}'::jsonb) || jsonb_build_object('id', id))::text AS j FROM dus ORDER BY id` },
  institutions: { type: 'institution', sql: () => `SELECT id, (COALESCE(data, '{}'::jsonb) || jsonb_build_object('id', id))::text AS j FROM institutions ORDER BY id` },
};

export const EXPORT_TABLES = Object.keys(SOURCES);

export interface ExportOptions {
  tables: string[];
  withHashes: boolean;
  out: NodeJS.WritableStream;
}

/** Returns the number of records written per table. */
export async function exportNdjson(client: pg.Client, opts: ExportOptions): Promise<Record<string, number>> {
  for (const t of opts.tables) if (!SOURCES[t]) throw usage(`unknown table ${t}; choose from ${EXPORT_TABLES.join(', ')}`);
  const counts: Record<string, number> = {};
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    for (const t of opts.tables) {
      const src = SOURCES[t];
      const prefix = `{"type":${JSON.stringify(src.type)},"data":`;
      const cursor = client.query(new Cursor<{ id: string; j: string; document?: Buffer | null }>(src.sql(opts.withHashes)));
      counts[t] = 0;
      try {
        for (;;) {
          const rows = await cursor.read(t === 'personal_docs' ? 50 : 1000);
          if (rows.length === 0) break;
          let chunk = '';
          for (const r of rows) {
            // jsonb::text is valid JSON already; only the document bytes are added here.
            const data = r.document ? `${r.j.slice(0, -1)}, "document": "${r.document.toString('base64')}"}` : r.j; // j always has id, so never '{}'
            chunk += `${prefix}${data}}\n`;
          }
          counts[t] += rows.length;
          if (!opts.out.write(chunk)) await once(opts.out, 'drain');
        }
      } finally {
        await cursor.close();
      }
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
  return counts;
}
