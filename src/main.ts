import cluster from 'node:cluster';
import { ConfigError } from './config.js';
import { runPrimary } from './cluster/primary.js';
import { runWorker } from './cluster/worker.js';

/** Entry point: the primary supervises, workers serve. */
const run = cluster.isPrimary ? runPrimary : runWorker;
run().catch((err: unknown) => {
  const msg = err instanceof ConfigError ? `configuration error: ${err.message}` : `fatal: ${(err as Error).stack ?? String(err)}`;
  process.stderr.write(`thalamus ${cluster.isPrimary ? 'primary' : 'worker'}: ${msg}\n`);
  process.exit(1);
});
