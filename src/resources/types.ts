import type { AuditLog } from '../audit/audit-log.js';
import type { Acl, Endpoint } from '../auth/acl.js';
import type { Authenticator } from '../auth/authenticator.js';
import type { Principal } from '../auth/principal.js';
import type { Config } from '../config.js';
import type { Db } from '../db/db.js';
import type { EventHub } from '../events/hub.js';
import type { Reply, Request } from '../http/types.js';
import type { Logger } from '../log.js';

/** What handlers may use; built once per worker. */
export interface Services {
  config: Config;
  db: Db;
  auth: Authenticator;
  acl: Acl;
  log: Logger;
  /** Key for CSRF tokens, shared by every worker of every instance through the database. */
  csrfKey: Buffer;
  version: string;
  transport: string;
  /** The change feed of this worker; absent where it is not started. */
  events?: EventHub;
  /** Null when the audit trail is switched off. */
  audit: AuditLog | null;
  /** Prometheus text for the whole server (every worker); absent outside a worker. */
  metricsText?: () => Promise<string>;
  /** A streaming replica for collection reads (READ_DATABASE_URL); absent: `db`. */
  readDb?: Db;
}

export interface Ctx {
  req: Request;
  params: Record<string, string>;
  /** Null only on public routes. */
  principal: Principal | null;
  query: URLSearchParams;
  svc: Services;
}

export interface Operation {
  /** ACL endpoint name; null for public routes (no authentication). */
  endpoint: Endpoint | null;
  /** Whose record this is, for non-global roles; default: the `{person}` path parameter. */
  owner?: (ctx: Ctx) => string | null;
  /** Body limit: personal documents get the larger one. */
  largeBody?: boolean;
  handler: (ctx: Ctx) => Promise<Reply>;
  /** API documentation; what is absent is derived from the path (src/openapi/spec.ts). */
  doc?: OpDoc;
}

/** What OpenAPI says about an operation. Schema names are keys of src/openapi/schemas.ts. */
export interface OpDoc {
  summary?: string;
  /** JSON request body schema. */
  request?: string;
  /** Success body: a schema name, `[Name]` for a collection, `html`, `binary`, or none. */
  response?: string;
  /** Statuses this operation answers with, success first; the error ones get the Error body. */
  statuses?: number[];
}

export interface RouteDef {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  op: Operation;
}
