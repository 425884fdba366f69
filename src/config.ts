import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { MAX_AUDIT_BATCH } from './audit/audit-log.js';

/** Every setting Thalamus reads. Keys match etc/thalamus.json; each has one environment variable. */
export interface Config {
  host: string;
  port: number;
  workers: number;
  transport: 'auto' | 'uws' | 'node';
  databaseUrl: string;
  dataDir: string;
  migrateOnStart: boolean;
  seedDemo: 'auto' | 'always' | 'never';
  poolSize: number;
  preparedStatements: boolean;
  statementTimeoutMs: number;
  connectionTimeoutMs: number;
  collections: 'nested' | 'flat';
  collectionBatchSize: number;
  collectionTimeoutMs: number;
  maxBodyBytes: number;
  maxDocumentBytes: number;
  authCacheSize: number;
  authCacheTtlMs: number;
  authInvalidationPollMs: number;
  listenDatabaseUrl: string;
  authListen: boolean;
  throttleAccountFailures: number;
  throttleAddressFailures: number;
  throttleWindowMs: number;
  trustedProxies: string;
  auditEnabled: boolean;
  auditFlushMs: number;
  auditBatchSize: number;
  auditIndexMs: number;
  hashConcurrency: number;
  hashNice: number;
  rolesFile: string;
  corsOrigins: string;
  logLevel: string;
  logSampleRate: number;
  shutdownTimeoutMs: number;
  eventsOutbox: boolean;
  eventsRetentionMs: number;
  eventsPruneIntervalMs: number;
  eventsPollMs: number;
  eventsFastPollMs: number;
  eventsWsBufferBytes: number;
  metricsAllow: string;
  maxConnections: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  maxHeaderBytes: number;
  spareWorker: boolean;
  readDatabaseUrl: string;
}

type Kind = 'string' | 'int' | 'bool' | 'number';
interface Spec {
  env: string;
  kind: Kind;
  def: () => string | number | boolean;
  oneOf?: readonly string[];
  doc: string;
  secret?: boolean;
}

/** The configuration table: README's table is generated from the same entries (npm run config:doc). */
export const CONFIG_SPEC: Record<keyof Config, Spec> = {
  host: { env: 'HOST', kind: 'string', def: () => '127.0.0.1', doc: 'Address to listen on' },
  port: { env: 'PORT', kind: 'int', def: () => 8080, doc: 'TCP port (all workers share it)' },
  workers: { env: 'THALAMUS_WORKERS', kind: 'int', def: () => availableParallelism(), doc: 'Worker processes (default: number of CPUs)' },
  transport: { env: 'THALAMUS_TRANSPORT', kind: 'string', def: () => 'auto', oneOf: ['auto', 'uws', 'node'], doc: '`auto`: native uWebSockets.js, node:http where it cannot load' },
  databaseUrl: { env: 'DATABASE_URL', kind: 'string', def: () => '', secret: true, doc: 'PostgreSQL URL; empty: embedded PGlite' },
  dataDir: { env: 'THALAMUS_DATA_DIR', kind: 'string', def: () => './data', doc: 'Embedded database directory' },
  migrateOnStart: { env: 'THALAMUS_MIGRATE_ON_START', kind: 'bool', def: () => true, doc: 'Apply sql/ migrations when the server starts' },
  seedDemo: { env: 'THALAMUS_SEED_DEMO', kind: 'string', def: () => 'auto', oneOf: ['auto', 'always', 'never'], doc: '`auto`: load demo data when the embedded database is created' },
  poolSize: { env: 'THALAMUS_POOL_SIZE', kind: 'int', def: () => 10, doc: 'PostgreSQL connections per worker' },
  preparedStatements: { env: 'THALAMUS_PREPARED_STATEMENTS', kind: 'bool', def: () => true, doc: 'Named prepared statements; set false behind PgBouncer in transaction mode (always off on the embedded database)' },
  statementTimeoutMs: { env: 'THALAMUS_STATEMENT_TIMEOUT_MS', kind: 'int', def: () => 5000, doc: 'Server-side statement timeout' },
  connectionTimeoutMs: { env: 'THALAMUS_CONNECTION_TIMEOUT_MS', kind: 'int', def: () => 3000, doc: 'Wait for a pooled connection before answering 503' },
  collections: { env: 'THALAMUS_COLLECTIONS', kind: 'string', def: () => 'nested', oneOf: ['nested', 'flat'], doc: '`nested`: `[[{..}],[{..}]]` as Thalamus 0.9; `flat`: `[{..},{..}]`' },
  collectionBatchSize: { env: 'THALAMUS_COLLECTION_BATCH_SIZE', kind: 'int', def: () => 500, doc: 'Rows per cursor read when streaming collections' },
  collectionTimeoutMs: { env: 'THALAMUS_COLLECTION_TIMEOUT_MS', kind: 'int', def: () => 600000, doc: 'Longest a streamed collection may hold its cursor (slow readers included)' },
  maxBodyBytes: { env: 'THALAMUS_MAX_BODY_BYTES', kind: 'int', def: () => 1048576, doc: 'Request body limit' },
  maxDocumentBytes: { env: 'THALAMUS_MAX_DOCUMENT_BYTES', kind: 'int', def: () => 16777216, doc: 'Request body limit for personal documents' },
  authCacheSize: { env: 'THALAMUS_AUTH_CACHE_SIZE', kind: 'int', def: () => 10000, doc: 'Proven credentials kept per worker; 0 disables the cache' },
  authCacheTtlMs: { env: 'THALAMUS_AUTH_CACHE_TTL_MS', kind: 'int', def: () => 300000, doc: 'Lifetime of a cached credential' },
  authInvalidationPollMs: { env: 'THALAMUS_AUTH_INVALIDATION_POLL_MS', kind: 'int', def: () => 250, doc: 'How often workers read the account change log' },
  listenDatabaseUrl: { env: 'LISTEN_DATABASE_URL', kind: 'string', def: () => '', secret: true, doc: 'Direct PostgreSQL URL for the LISTEN connection (one per worker) when DATABASE_URL goes through a transaction-mode pooler; empty: DATABASE_URL' },
  authListen: { env: 'THALAMUS_AUTH_LISTEN', kind: 'bool', def: () => true, doc: 'Wake the cache invalidation at once on NOTIFY (never on the embedded database, where polling does it)' },
  throttleAccountFailures: { env: 'THALAMUS_THROTTLE_ACCOUNT_FAILURES', kind: 'int', def: () => 10, doc: 'Failed logins of one account within the window that lock it (429); 0 disables' },
  throttleAddressFailures: { env: 'THALAMUS_THROTTLE_ADDRESS_FAILURES', kind: 'int', def: () => 100, doc: 'Failed logins from one client address within the window that lock it out (429); 0 disables' },
  throttleWindowMs: { env: 'THALAMUS_THROTTLE_WINDOW_MS', kind: 'int', def: () => 900000, doc: 'Failure counting window, and how long a lock lasts' },
  trustedProxies: { env: 'THALAMUS_TRUSTED_PROXIES', kind: 'string', def: () => '', doc: 'Reverse proxies (addresses or CIDR, comma separated) whose `X-Forwarded-For`/`-Proto` are believed; empty: none' },
  auditEnabled: { env: 'THALAMUS_AUDIT', kind: 'bool', def: () => true, doc: 'Append every access to person-linked data to the `audit` table' },
  auditFlushMs: { env: 'THALAMUS_AUDIT_FLUSH_MS', kind: 'int', def: () => 100, doc: 'Longest time an audit record waits in a worker before it is written' },
  auditBatchSize: { env: 'THALAMUS_AUDIT_BATCH_SIZE', kind: 'int', def: () => 1024, doc: 'Audit records that trigger a write at once (1-1024: they make one row)' },
  auditIndexMs: { env: 'THALAMUS_AUDIT_INDEX_MS', kind: 'int', def: () => 60000, doc: 'How often the person index of the audit trail takes in new batches (0: never; `GET /audit` then scans them all)' },
  hashConcurrency: { env: 'THALAMUS_HASH_CONCURRENCY', kind: 'int', def: () => 2, doc: 'Slow hash computations in flight per worker; libuv\'s threadpool gets this many threads plus 2 unless `UV_THREADPOOL_SIZE` is set' },
  hashNice: { env: 'THALAMUS_HASH_NICE', kind: 'int', def: () => 10, doc: 'Nice value of the threads that hash passwords (Linux; 0 leaves them at the worker\'s priority), so cold logins cannot take the CPU from cached requests' },
  rolesFile: { env: 'THALAMUS_ROLES_FILE', kind: 'string', def: () => 'etc/roles.json', doc: 'Role ACL (JSON list; a Thalamus 0.9 roles.cfg loads unchanged)' },
  corsOrigins: { env: 'THALAMUS_CORS_ORIGINS', kind: 'string', def: () => '*', doc: 'Allowed browser origins, comma separated; `*` any' },
  logLevel: { env: 'LOG_LEVEL', kind: 'string', def: () => 'info', doc: 'pino level (`silent` to turn off)' },
  logSampleRate: { env: 'THALAMUS_LOG_SAMPLE_RATE', kind: 'number', def: () => 1, doc: 'Share of successful requests logged (errors always are)' },
  shutdownTimeoutMs: { env: 'THALAMUS_SHUTDOWN_TIMEOUT_MS', kind: 'int', def: () => 10000, doc: 'Longest wait for in-flight requests on stop' },
  eventsOutbox: { env: 'THALAMUS_EVENTS_OUTBOX', kind: 'bool', def: () => true, doc: 'Append a feed event for every change (false only to measure its cost)' },
  eventsRetentionMs: { env: 'THALAMUS_EVENTS_RETENTION_MS', kind: 'int', def: () => 7 * 24 * 3600 * 1000, doc: 'Feed events older than this are pruned; older `after` → 410' },
  eventsPruneIntervalMs: { env: 'THALAMUS_EVENTS_PRUNE_INTERVAL_MS', kind: 'int', def: () => 60000, doc: 'How often one worker prunes a bounded batch of old events' },
  eventsPollMs: { env: 'THALAMUS_EVENTS_POLL_MS', kind: 'int', def: () => 1000, doc: 'Safety-net poll of the event table when LISTEN/NOTIFY works' },
  eventsFastPollMs: { env: 'THALAMUS_EVENTS_FAST_POLL_MS', kind: 'int', def: () => 50, doc: 'Poll of the event table where notifications do not arrive (embedded database, poolers)' },
  eventsWsBufferBytes: { env: 'THALAMUS_EVENTS_WS_BUFFER_BYTES', kind: 'int', def: () => 1048576, doc: 'Bytes buffered for a slow WebSocket subscriber before it is disconnected' },
  metricsAllow: { env: 'THALAMUS_METRICS_ALLOW', kind: 'string', def: () => '127.0.0.1,::1', doc: 'Client addresses (or CIDR) allowed to read `GET /metrics`; empty: /metrics off' },
  maxConnections: { env: 'THALAMUS_MAX_CONNECTIONS', kind: 'int', def: () => 10000, doc: 'Open connections per worker (node:http transport; for uWS limit them in the reverse proxy)' },
  headersTimeoutMs: { env: 'THALAMUS_HEADERS_TIMEOUT_MS', kind: 'int', def: () => 10000, doc: 'Time a client has to send the request headers (node:http; uWS closes connections idle for 10 s)' },
  requestTimeoutMs: { env: 'THALAMUS_REQUEST_TIMEOUT_MS', kind: 'int', def: () => 30000, doc: 'Time a client has to send the whole request, body included (node:http)' },
  readDatabaseUrl: { env: 'READ_DATABASE_URL', kind: 'string', def: () => '', secret: true, doc: 'Optional streaming replica for collection reads (single records and writes stay on DATABASE_URL)' },
  spareWorker: { env: 'THALAMUS_SPARE_WORKER', kind: 'bool', def: () => true, doc: 'Keep one started, connected, not-listening worker to replace a crashed one at once' },
  maxHeaderBytes: { env: 'THALAMUS_MAX_HEADER_BYTES', kind: 'int', def: () => 16384, doc: 'Request line + headers size limit (node:http; uWS has its own fixed limit)' },
};

export class ConfigError extends Error {}

function coerce(key: string, spec: Spec, raw: unknown): string | number | boolean {
  if (spec.kind === 'string') {
    if (typeof raw !== 'string') throw new ConfigError(`${key} must be a string`);
    if (spec.oneOf && !spec.oneOf.includes(raw)) throw new ConfigError(`${key} must be one of ${spec.oneOf.join(', ')}, got "${raw}"`);
    return raw;
  }
  if (spec.kind === 'bool') {
    if (typeof raw === 'boolean') return raw;
    if (typeof raw === 'string' && /^(true|1|yes|on)$/i.test(raw)) return true;
    if (typeof raw === 'string' && /^(false|0|no|off)$/i.test(raw)) return false;
    throw new ConfigError(`${key} must be true or false`);
  }
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (!Number.isFinite(n) || (spec.kind === 'int' && !Number.isInteger(n)) || n < 0) {
    throw new ConfigError(`${key} must be a non-negative ${spec.kind === 'int' ? 'integer' : 'number'}`);
  }
  return n;
}

/** Reads etc/thalamus.json (or THALAMUS_CONFIG), then lets each environment variable override its key. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const file = env.THALAMUS_CONFIG ?? 'etc/thalamus.json';
  let fromFile: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(`${file} must hold a JSON object`);
    fromFile = parsed as Record<string, unknown>;
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT' && env.THALAMUS_CONFIG === undefined;
    if (!missing) throw new ConfigError(`cannot read config ${file}: ${(err as Error).message}`);
  }
  const out: Record<string, string | number | boolean> = {};
  for (const [key, spec] of Object.entries(CONFIG_SPEC)) {
    const raw = env[spec.env] !== undefined ? env[spec.env] : fromFile[key] !== undefined ? fromFile[key] : spec.def();
    out[key] = coerce(key, spec, raw);
  }
  for (const key of Object.keys(fromFile)) {
    if (!(key in CONFIG_SPEC) && !key.startsWith('_')) throw new ConfigError(`unknown key "${key}" in ${file}`);
  }
  const config = out as unknown as Config;
  if (config.workers < 1) config.workers = 1;
  if (config.auditBatchSize < 1 || config.auditBatchSize > MAX_AUDIT_BATCH) {
    throw new ConfigError(`auditBatchSize must be 1-${MAX_AUDIT_BATCH}: a batch is one row of at most ${MAX_AUDIT_BATCH} records`);
  }
  config.rolesFile = resolve(config.rolesFile);
  config.dataDir = resolve(config.dataDir);
  return config;
}

/** A database URL with the password replaced, for logs and the start-up line. */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}
