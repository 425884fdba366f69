import cluster from 'node:cluster';
import pg from 'pg';
import { loadNativeUws } from '../src/http/uws-transport.js';

/**
 * The ceiling: bare uWebSockets.js + pg, no auth, no ACL, no logging, no router — one
 * `SELECT … WHERE id = $1` per request, as many workers as Thalamus runs.
 * Usage: node dist/bench/baseline-uws.js PORT WORKERS DATABASE_URL
 */
const [port, workers, url] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4]];

if (cluster.isPrimary) {
  let ready = 0;
  for (let i = 0; i < workers; i++) {
    cluster.fork().on('message', () => {
      if (++ready === workers) process.stdout.write('baseline ready\n');
    });
  }
  process.on('SIGTERM', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.kill();
    process.exit(0);
  });
} else {
  const uws = loadNativeUws();
  if (!uws) throw new Error('native uWS not available');
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  pg.types.setTypeParser(3802, (v: string) => v);
  const app = uws.App();
  app.get('/people/:id', (res, req) => {
    let aborted = false;
    res.onAborted(() => (aborted = true));
    const id = req.getParameter(0);
    pool.query({ name: 'p', text: `SELECT (data - 'password')::text AS j FROM people WHERE id = $1`, values: [id] }).then(
      (r) => {
        if (aborted) return;
        res.cork(() => {
          if (r.rows.length) res.writeStatus('200 OK').writeHeader('Content-Type', 'application/json').end(r.rows[0].j as string);
          else res.writeStatus('404 Not Found').end('{"error":"not found"}');
        });
      },
      () => !aborted && res.cork(() => res.writeStatus('503 Service Unavailable').end()),
    );
  });
  app.listen('127.0.0.1', port, (t) => {
    if (!t) throw new Error('cannot listen');
    process.send?.('ready');
  });
}
