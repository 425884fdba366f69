import cluster, { type Worker } from 'node:cluster';
import { Acl } from '../auth/acl.js';
import { ConfigError, loadConfig, maskUrl, type Config } from '../config.js';
import { TrustedProxies } from '../http/client-address.js';
import { startEmbedded, type Embedded } from '../db/embedded.js';
import { migrate } from '../db/migrate.js';
import { seedDemo } from '../db/seed-demo.js';
import { createLogger, type Logger } from '../log.js';
import { PrimaryMetricsHub } from '../metrics/ipc.js';
import { VERSION } from '../version.js';

/**
 * The primary forks, supervises and signals; it never serves HTTP. With no DATABASE_URL it
 * also hosts the embedded database that the workers reach over a loopback socket.
 */
export async function runPrimary(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel, 'thalamus');
  checkFiles(config); // fail fast on a broken roles file or address list, before forking
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
  const dbLabel = (embedded ? `embedded (${config.dataDir})` : maskUrl(url)) + (config.readDatabaseUrl ? `, collection reads from ${maskUrl(config.readDatabaseUrl)}` : '');
  new Supervisor(config, log, url, embedded, dbLabel).start();
}

class Supervisor {
  private _stopping = false;
  private _reloading = false;
  private _ready = 0;
  private _announced = false;
  private _recentCrashes: number[] = [];
  /** Workers we asked to leave (reload, fewer workers): their exit is not a crash. */
  private readonly _retiring = new Set<Worker>();
  /** Workers forked by a reload that are not ready yet: the reload, not _onExit, handles their death. */
  private readonly _pending = new Set<Worker>();
  /** When the worker that a fresh one replaces died, to log how long recovery took. */
  private readonly _replacing = new Map<Worker, number>();
  private readonly _counters = { workerRestarts: 0, reloads: 0, reloadFailures: 0 };
  /** The standby worker (started, connected, not listening) and whether it said so. */
  private _spare: Worker | null = null;
  private _spareReady = false;
  private readonly _hub = new PrimaryMetricsHub(() => ({ ...this._counters, workersAlive: this._alive().length }));

  constructor(
    private _config: Config,
    private readonly _log: Logger,
    private readonly _url: string,
    private readonly _embedded: Embedded | null,
    private readonly _dbLabel: string,
  ) {}

  start(): void {
    for (let i = 0; i < this._config.workers; i++) this._fork();
    this._forkSpare(0);
    cluster.on('exit', (worker, code, signal) => this._onExit(worker, code, signal));
    process.on('SIGTERM', () => void this.stop());
    process.on('SIGINT', () => void this.stop());
    process.on('SIGHUP', () => void this.reload());
  }

  /** Serving workers (the spare excluded). */
  private _alive(): Worker[] {
    return Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead() && w !== this._spare);
  }

  private _forkSpare(delay: number): void {
    if (!this._config.spareWorker || this._spare || this._stopping) return;
    const go = (): void => {
      if (this._spare || this._stopping || !this._config.spareWorker) return;
      const spare = this._fork(true);
      this._spare = spare;
      this._spareReady = false;
      spare.on('message', (m: { type?: string }) => {
        if (m?.type === 'standby' && this._spare === spare) this._spareReady = true;
      });
    };
    if (delay) setTimeout(go, delay).unref();
    else go();
  }

  private _fork(spare = false): Worker {
    const worker = cluster.fork({
      THALAMUS_INTERNAL_DB_URL: this._url,
      THALAMUS_INTERNAL_EMBEDDED: this._embedded ? '1' : '0',
      THALAMUS_INTERNAL_SPARE: spare ? '1' : '0',
      // argon2id/bcrypt run in libuv's threadpool: one thread per allowed hash, two for the rest.
      UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? String(this._config.hashConcurrency + 2),
    });
    worker.on('message', (m: { type?: string; transport?: string }) => {
      if (m?.type === 'standby') return;
      if (m?.type !== 'ready') {
        this._hub.onMessage(worker, m);
        return;
      }
      this._ready++;
      const died = this._replacing.get(worker);
      if (died !== undefined) {
        this._replacing.delete(worker);
        this._log.info({ worker: worker.process.pid, recoveryMs: Date.now() - died }, 'replacement worker ready');
      }
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
    if (this._stopping || this._pending.has(worker)) return;
    if (this._retiring.delete(worker)) return;
    const now = Date.now();
    this._recentCrashes = this._recentCrashes.filter((t) => now - t < 30000);
    this._recentCrashes.push(now);
    const delay = this._recentCrashes.length <= 3 ? 0 : Math.min(30000, 250 * 2 ** (this._recentCrashes.length - 3));
    if (worker === this._spare) {
      this._spare = null;
      this._log.warn({ worker: worker.process.pid, code, signal }, 'spare worker exited; starting another');
      this._forkSpare(Math.max(delay, 1000));
      return;
    }
    this._counters.workerRestarts++;
    if (this._spare && this._spareReady) {
      // The standby takes over at once; a new standby starts in the background.
      const spare = this._spare;
      this._spare = null;
      this._replacing.set(spare, now);
      spare.send({ type: 'activate' });
      this._log.warn({ worker: worker.process.pid, code, signal, spare: spare.process.pid }, 'worker exited; replacing it with the spare');
      this._forkSpare(delay);
      return;
    }
    this._log.warn({ worker: worker.process.pid, code, signal, delayMs: delay }, 'worker exited; replacing it');
    setTimeout(() => {
      if (!this._stopping) this._replacing.set(this._fork(), now);
    }, delay).unref();
  }

  /**
   * SIGHUP: validate the config and roles files here first (a broken file leaves the running
   * workers alone), then replace workers one at a time, each new one listening before the old
   * one drains, so the port is always served.
   */
  async reload(): Promise<void> {
    if (this._stopping) return;
    if (this._reloading) {
      this._log.warn('reload already in progress; SIGHUP ignored');
      return;
    }
    let next: Config;
    try {
      next = loadConfig();
      checkFiles(next);
    } catch (err) {
      this._counters.reloadFailures++;
      this._log.error({ err: (err as Error).message }, `reload rejected: ${(err as Error).message}; the running workers keep the old configuration`);
      return;
    }
    this._reloading = true;
    const started = Date.now();
    try {
      // The spare was started with the old configuration.
      const spare = this._spare;
      this._spare = null;
      if (spare) await this._retire(spare);
      const old = this._alive().filter((w) => !this._retiring.has(w));
      this._log.info({ workers: old.length, next: next.workers }, 'reload: replacing workers one at a time');
      this._config = next;
      for (let i = 0; i < Math.max(old.length, next.workers); i++) {
        if (this._stopping) return;
        if (i < next.workers) {
          const fresh = this._fork();
          this._pending.add(fresh);
          const ok = await waitReady(fresh, 60000);
          this._pending.delete(fresh);
          if (!ok) {
            this._counters.reloadFailures++;
            if (!fresh.isDead()) fresh.process.kill('SIGKILL');
            this._log.error({ worker: fresh.process.pid }, 'reload aborted: a new worker did not become ready; the remaining old workers keep serving');
            // Keep the configured number of workers alive.
            const missing = this._config.workers - this._alive().filter((w) => !this._retiring.has(w)).length;
            for (let k = 0; k < missing; k++) this._fork();
            this._forkSpare(1000);
            return;
          }
        }
        if (i < old.length) await this._retire(old[i]);
      }
      this._counters.reloads++;
      this._forkSpare(0);
      this._log.info({ ms: Date.now() - started, workers: next.workers }, 'reload complete');
    } finally {
      this._reloading = false;
    }
  }

  /** Asks a worker to drain and waits for it to exit (SIGKILL after the shutdown timeout). */
  private async _retire(worker: Worker): Promise<void> {
    if (worker.isDead()) return;
    this._retiring.add(worker);
    const exited = new Promise<void>((r) => worker.once('exit', () => r()));
    if (worker.isConnected()) worker.send({ type: 'shutdown' });
    else worker.process.kill('SIGTERM');
    const timer = setTimeout(() => worker.isDead() || worker.process.kill('SIGKILL'), this._config.shutdownTimeoutMs + 2000);
    await exited;
    clearTimeout(timer);
  }

  async stop(): Promise<void> {
    if (this._stopping) return;
    this._stopping = true;
    this._log.info('stopping: draining workers');
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    const exited = Promise.all(workers.map((w) => new Promise<void>((r) => (w.isDead() ? r() : w.once('exit', () => r())))));
    for (const w of workers) if (w.isConnected()) w.send({ type: 'shutdown' });
    const timeout = new Promise<void>((r) => setTimeout(r, this._config.shutdownTimeoutMs + 2000).unref());
    await Promise.race([exited, timeout]);
    for (const w of workers) if (!w.isDead()) w.process.kill('SIGKILL');
    await this._embedded?.stop().catch(() => undefined);
    this._log.info('stopped');
    process.exit(0);
  }
}

/** What workers would otherwise only find broken after the fork. */
function checkFiles(config: Config): void {
  Acl.fromFile(config.rolesFile);
  try {
    new TrustedProxies(config.trustedProxies);
    new TrustedProxies(config.metricsAllow);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

/** True once the worker says it listens; false if it dies or takes longer than `ms`. */
function waitReady(worker: Worker, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('exit', onExit);
      resolve(ok);
    };
    const onMessage = (m: { type?: string }): void => {
      if (m?.type === 'ready') done(true);
    };
    const onExit = (): void => done(false);
    const timer = setTimeout(() => done(false), ms);
    worker.on('message', onMessage);
    worker.on('exit', onExit);
  });
}
