import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { keepExtendedQueriesWhole } from './pglite-serialise.js';

export interface Embedded {
  url: string;
  /** True when this start created the database (so the demo data should be loaded). */
  created: boolean;
  stop(): Promise<void>;
}

/**
 * Starts PGlite (PostgreSQL compiled to WebAssembly) in this process behind a PostgreSQL
 * wire-protocol socket on a loopback port, so workers reach it through `pg` exactly as they
 * would a real server. It runs one backend session shared by all connections, which is why
 * named prepared statements are turned off for it.
 */
export async function startEmbedded(dataDir: string): Promise<Embedded> {
  const dbDir = join(dataDir, 'pgdata');
  const created = !existsSync(join(dbDir, 'PG_VERSION'));
  mkdirSync(dbDir, { recursive: true });
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const db = await PGlite.create(dbDir);
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 256 });
  keepExtendedQueriesWhole(server);
  await server.start();
  const url = `postgresql://postgres@${server.getServerConn()}/postgres?sslmode=disable`;
  return {
    url,
    created,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
