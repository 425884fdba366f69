import { Acl } from '../auth/acl.js';
import { Authenticator } from '../auth/authenticator.js';
import { CredentialCache } from '../auth/cache.js';
import { Hasher } from '../auth/hash.js';
import { AuditLog } from '../audit/audit-log.js';
import { CacheInvalidator } from '../auth/invalidation.js';
import { NotifyListener } from '../auth/notify-listener.js';
import { Throttle } from '../auth/throttle.js';
import { loadConfig } from '../config.js';
import { Db } from '../db/db.js';
import { App } from '../http/app.js';
import { ClientAddress } from '../http/client-address.js';
import { createTransport } from '../http/transport.js';
import { EventHub } from '../events/hub.js';
import { createLogger } from '../log.js';
import { eventsWsRoute } from '../resources/events.js';
import { ROUTES } from '../resources/index.js';
import type { Services } from '../resources/types.js';
import { VERSION } from '../version.js';

/** A worker: one pool, one credential cache, one transport on the shared port. */
export async function runWorker(): Promise<void> {
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
  const cache = new CredentialCache(config.authCacheSize, config.authCacheTtlMs);
  const invalidator = new CacheInvalidator(db, cache, config.authInvalidationPollMs, log);
  await invalidator.start();
  // LISTEN is a wake-up only; PGlite does not deliver NOTIFY across connections, so the
  // embedded database relies on polling alone.
  const listener =
    config.authListen && cache.enabled && !embedded
      ? new NotifyListener(config.listenDatabaseUrl || url, cache, () => invalidator.wake(), log)
      : null;
  void listener?.start();
  const throttle = new Throttle(db, {
    accountFailures: config.throttleAccountFailures,
    addressFailures: config.throttleAddressFailures,
    windowMs: config.throttleWindowMs,
  });
  const audit = config.auditEnabled ? new AuditLog(db, config.auditFlushMs, Math.max(1, config.auditBatchSize), log) : null;
  const meta = await db.one<{ value: string }>('meta_csrf', "SELECT value FROM thalamus_meta WHERE key = 'csrf_key'");
  if (!meta) throw new Error('thalamus_meta has no csrf_key: run `npm run migrate` against this database');
  const acl = Acl.fromFile(config.rolesFile);
  const events = new EventHub(db, acl, url, config, log);
  await events.start();
  const svc: Services = {
    config,
    db,
    auth: new Authenticator(db, cache, new Hasher(config.hashConcurrency), throttle, (err) =>
      log.warn({ err: err.message }, 'bcrypt to argon2id re-hash failed; will retry on the next login'),
    ),
    acl,
    log,
    csrfKey: Buffer.from(meta.value, 'base64'),
    version: VERSION,
    transport: '',
    events,
    clientAddress: new ClientAddress(config.trustedProxies),
    audit,
  };
  const app = new App(svc, ROUTES);
  const transport = createTransport(config.transport, app, [eventsWsRoute(svc)]);
  svc.transport = transport.name;
  await transport.listen(config.host, config.port);
  process.send?.({ type: 'ready', transport: transport.name });

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    transport.close();
    invalidator.stop();
    events.stop();
    await listener?.stop();
    const deadline = Date.now() + config.shutdownTimeoutMs;
    while (transport.inflight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await audit?.close().catch(() => undefined);
    await db.end().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  process.on('message', (m: { type?: string }) => {
    if (m?.type === 'shutdown') void stop();
  });
  process.on('disconnect', () => void stop());
}
