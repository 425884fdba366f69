import cluster, { type Worker } from 'node:cluster';
import { Acl } from '../auth/acl.js';
import { ClientAddress } from '../http/client-address.js';
import { loadConfig, maskUrl, type Config } from '../config.js';
import { startEmbedded, type Embedded } from '../db/embedded.js';
import { migrate } from '../db/migrate.js';
import { seedDemo } from '../db/seed-demo.js';
import { createLogger, type Logger } from '../log.js';
import { VERSION } from '../version.js';

/**
 * The primary forks, supervises and signals; it never serves HTTP. With no DATABASE_URL it
 * also hosts the embedded database that the workers reach over a loopback socket.
 */
export async function runPrimary(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel, 'thalamus');
  Acl.fromFile(config.rolesFile); // fail fast on a broken roles file, before forking
  new ClientAddress(config.trustedProxies); // and on a malformed trusted-proxy list
  let embedded: Embedded | null = null;
  let url = config.databaseUrl;
  if (!url) {
    embedded = await startEmbedded(config.dataDir);
    url = embedded.url;
  }
  if (config.migrateOnStart) {
    const applied = await migrate(url);
    if (applied.length) log.info({ applied }, 'migrations applied');
  }
  if (config.seedDemo === 'always' || (config.seedDemo === 'auto' && embedded?.created)) {
    await seedDemo(url);
    log.info('demo data loaded');
  }
  const dbLabel = embedded ? `embedded (${config.dataDir})` : maskUrl(url);
  new Supervisor(config, log, url, embedded, dbLabel).start();
}

class Supervisor {
  private _stopping = false;
  private _ready = 0;
  private _announced = false;
  private _recentCrashes: number[] = [];

  constructor(
    private readonly _config: Config,
    private readonly _log: Logger,
    private readonly _url: string,
    private readonly _embedded: Embedded | null,
    private readonly _dbLabel: string,
  ) {}

  start(): void {
    for (let i = 0; i < this._config.workers; i++) this._fork();
    cluster.on('exit', (worker, code, signal) => this._onExit(worker, code, signal));
    process.on('SIGTERM', () => void this.stop());
    process.on('SIGINT', () => void this.stop());
  }

  private _fork(): Worker {
    const worker = cluster.fork({
      THALAMUS_INTERNAL_DB_URL: this._url,
      THALAMUS_INTERNAL_EMBEDDED: this._embedded ? '1' : '0',
    });
    worker.on('message', (m: { type?: string; transport?: string }) => {
      if (m?.type !== 'ready') return;
      this._ready++;
      if (!this._announced && this._ready >= this._config.workers) {
        this._announced = true;
        const c = this._config;
        this._log.info(
          { host: c.host, port: c.port, transport: m.transport, workers: c.workers, database: this._dbLabel, version: VERSION },
          `Thalamus ${VERSION} listening on http://${c.host}:${c.port} — transport ${m.transport}, ${c.workers} workers, database ${this._dbLabel}`,
        );
      }
    });
    return worker;
  }

  /** Replace a dead worker at once; if workers keep dying, wait longer each time (no fork storm). */
  private _onExit(worker: Worker, code: number | null, signal: string | null): void {
    if (this._stopping) return;
    this._log.warn({ worker: worker.process.pid, code, signal }, 'worker exited; replacing it');
    const now = Date.now();
    this._recentCrashes = this._recentCrashes.filter((t) => now - t < 30000);
    this._recentCrashes.push(now);
    const delay = this._recentCrashes.length <= 3 ? 0 : Math.min(30000, 250 * 2 ** (this._recentCrashes.length - 3));
    setTimeout(() => !this._stopping && this._fork(), delay).unref();
  }

  async stop(): Promise<void> {
    if (this._stopping) return;
    this._stopping = true;
    this._log.info('stopping: draining workers');
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    const exited = Promise.all(workers.map((w) => new Promise<void>((r) => (w.isDead() ? r() : w.once('exit', () => r())))));
    for (const w of workers) w.send({ type: 'shutdown' });
    const timeout = new Promise<void>((r) => setTimeout(r, this._config.shutdownTimeoutMs + 2000).unref());
    await Promise.race([exited, timeout]);
    for (const w of workers) if (!w.isDead()) w.process.kill('SIGKILL');
    await this._embedded?.stop().catch(() => undefined);
    this._log.info('stopped');
    process.exit(0);
  }
}
