import { Acl } from '../auth/acl.js';
import { Authenticator } from '../auth/authenticator.js';
import { CredentialCache } from '../auth/cache.js';
import { Hasher } from '../auth/hash.js';
import { lowerNewThreadsPriority, threadIds } from '../auth/hash-priority.js';
import { AuditIndexer } from '../audit/audit-index.js';
import { AuditLog } from '../audit/audit-log.js';
import { CacheInvalidator } from '../auth/invalidation.js';
import { NotifyListener } from '../auth/notify-listener.js';
import { Throttle } from '../auth/throttle.js';
import { loadConfig } from '../config.js';
import { Db } from '../db/db.js';
import { App } from '../http/app.js';
import { createTransport, type Transport } from '../http/transport.js';
import { EventHub } from '../events/hub.js';
import { createLogger } from '../log.js';
import { WorkerMetricsLink } from '../metrics/ipc.js';
import { eventsWsRoute } from '../resources/events.js';
import { ROUTES } from '../resources/index.js';
import type { Services } from '../resources/types.js';
import { VERSION } from '../version.js';

/** A worker: one pool, one credential cache, one transport on the shared port. */
export async function runWorker(): Promise<void> {
  // Before anything starts libuv's threadpool: the threads that appear later are its own.
  const threadsAtStart = threadIds();
  const config = loadConfig();
  const log = createLogger(config.logLevel, 'thalamus-worker', { buffered: true });
  const url = process.env.THALAMUS_INTERNAL_DB_URL ?? config.databaseUrl;
  const embedded = process.env.THALAMUS_INTERNAL_EMBEDDED === '1';
  const db = new Db({
    url,
    poolSize: config.poolSize,
    preparedStatements: config.preparedStatements && !embedded,
    statementTimeoutMs: config.statementTimeoutMs,
    connectionTimeoutMs: config.connectionTimeoutMs,
    applicationName: 'thalamus',
  });
  const readDb = config.readDatabaseUrl
    ? new Db({
        url: config.readDatabaseUrl,
        poolSize: config.poolSize,
        preparedStatements: config.preparedStatements,
        statementTimeoutMs: config.statementTimeoutMs,
        connectionTimeoutMs: config.connectionTimeoutMs,
        applicationName: 'thalamus-read',
      })
    : undefined;
  const cache = new CredentialCache(config.authCacheSize, config.authCacheTtlMs);
  const invalidator = new CacheInvalidator(db, cache, config.authInvalidationPollMs, log);
  await invalidator.start();
  // LISTEN is a wake-up only; PGlite does not deliver NOTIFY across connections, so the
  // embedded database relies on polling alone.
  const listener =
    config.authListen && cache.enabled && !embedded
      ? new NotifyListener(config.listenDatabaseUrl || url, cache, () => invalidator.wake(), log)
      : null;
  // A spare stays off the notification channels until it serves: PostgreSQL wakes every
  // listening backend for every NOTIFY, and each write sends one.
  const spare = process.env.THALAMUS_INTERNAL_SPARE === '1';
  if (!spare) void listener?.start();
  const throttle = new Throttle(db, {
    accountFailures: config.throttleAccountFailures,
    addressFailures: config.throttleAddressFailures,
    windowMs: config.throttleWindowMs,
  });
  const audit = config.auditEnabled ? new AuditLog(db, config.auditFlushMs, config.auditBatchSize, log) : null;
  // Indexes what any instance wrote, so it runs even where this one's trail is off.
  const auditIndexer = new AuditIndexer(db, config.auditIndexMs, log);
  auditIndexer.start();
  const meta = await db.one<{ value: string }>('meta_csrf', "SELECT value FROM thalamus_meta WHERE key = 'csrf_key'");
  if (!meta) throw new Error('thalamus_meta has no csrf_key: run `npm run migrate` against this database');
  const acl = Acl.fromFile(config.rolesFile);
  const events = new EventHub(db, acl, url, config, log);
  if (!spare) await events.start();
  // The credential log already tells who changed: their live subscriptions end too.
  invalidator.onChange((id) => events.revokeAccount(id));
  const hasher = new Hasher(config.hashConcurrency);
  // One hash starts the threadpool (and prepares the dummy hash for unknown users); then its
  // threads step back behind the event loop.
  await hasher.verifyDummy('warm-up');
  const reniced = lowerNewThreadsPriority(threadsAtStart, config.hashNice);
  if (config.hashNice > 0) log.debug({ threads: reniced, nice: config.hashNice }, 'hash threads at lower priority');
  const svc: Services = {
    config,
    db,
    auth: new Authenticator(db, cache, hasher, throttle, (err) =>
      log.warn({ err: err.message }, 'bcrypt to argon2id re-hash failed; will retry on the next login'),
    ),
    acl,
    log,
    csrfKey: Buffer.from(meta.value, 'base64'),
    version: VERSION,
    transport: '',
    events,
    audit,
    readDb,
  };
  const app = new App(svc, ROUTES);
  const transport = createTransport(config.transport, app, config, [eventsWsRoute(svc)]);
  svc.transport = transport.name;
  countPoolWaits(db, config.poolSize, () => app.metrics.poolWaits++);
  const link = new WorkerMetricsLink(() => app.metrics.snapshot(db.pool, transport.inflight));
  svc.metricsText = () => link.scrape();
  let stopping = false;
  let listening = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    if (listening) {
      const started = Date.now();
      const left = await drain(transport, config.shutdownTimeoutMs);
      if (left > 0) log.warn({ inflight: left, ms: Date.now() - started }, 'shutdown timeout: closing with requests in flight');
      else log.info({ ms: Date.now() - started }, 'drained');
      log.flush();
    }
    invalidator.stop();
    events.stop();
    await listener?.stop();
    auditIndexer.stop();
    await audit?.close().catch(() => undefined);
    await db.end().catch(() => undefined);
    await readDb?.end().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  // A terminal hang-up reaches the whole process group: reloads are the primary's business.
  process.on('SIGHUP', () => undefined);
  let activate: (() => void) | null = null;
  process.on('message', (m: { type?: string }) => {
    if (m?.type === 'shutdown') void stop();
    else if (m?.type === 'activate') activate?.();
  });
  process.on('disconnect', () => void stop());

  // A spare is started and connected but does not listen until a worker dies: recovery then
  // costs one IPC message, not a process start (seconds on a loaded host).
  if (spare) {
    await new Promise<void>((resolve) => {
      activate = resolve;
      process.send?.({ type: 'standby' });
    });
    if (stopping) return;
    void listener?.start();
    await events.start();
  }
  await transport.listen(config.host, config.port);
  listening = true;
  process.send?.({ type: 'ready', transport: transport.name });
}

/** Requests that arrive within this long of the previous one mean a keep-alive client is still busy. */
const QUIET_MS = 300;

/**
 * Stop accepting; keep answering requests on open connections (each answer closes its
 * connection) until nothing is in flight and no request came for QUIET_MS, or the timeout.
 * Returns the requests still in flight at the end.
 */
async function drain(transport: Transport, timeoutMs: number): Promise<number> {
  transport.drain();
  const deadline = Date.now() + timeoutMs;
  let seen = transport.started;
  let quietSince = Date.now();
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    if (transport.started !== seen || transport.inflight > 0) {
      seen = transport.started;
      quietSince = Date.now();
    } else if (Date.now() - quietSince >= QUIET_MS) return 0;
  }
  return transport.inflight;
}

/** Counts connection requests that find the pool exhausted (they queue): the pool-waits metric. */
function countPoolWaits(db: Db, max: number, onWait: () => void): void {
  const pool = db.pool as unknown as { connect: (...args: unknown[]) => unknown; idleCount: number; totalCount: number };
  const connect = pool.connect.bind(pool);
  pool.connect = (...args: unknown[]) => {
    if (pool.idleCount === 0 && pool.totalCount >= max) onWait();
    return connect(...args);
  };
}
