import { STATUS_CODES } from 'node:http';
import { auditRequest } from '../audit/audit-request.js';
import type { Principal } from '../auth/principal.js';
import { dbErrorToHttp } from '../db/errors.js';
import { errorBody, httpError, HttpError } from '../errors.js';
import type { Ctx, Operation, RouteDef, Services } from '../resources/types.js';
import { requestLogger, type Logger } from '../log.js';
import { Metrics } from '../metrics/metrics.js';
import { errorPage, wantsHtml } from '../pages/error-page.js';
import { normalise, TrustedProxies } from './client-address.js';
import { html, json } from './reply.js';
import { Router } from './router.js';
import type { Reply, Request } from './types.js';

// Most requests carry no query string; handlers only read ctx.query, so they can share one.
const NO_QUERY = new URLSearchParams();

const UNAUTHORIZED_HEADERS = { 'WWW-Authenticate': 'Basic realm="Thalamus", charset="UTF-8"' };

function errorReply(err: HttpError): Reply {
  return json(err.status, errorBody(err), err.headers);
}

/** `200 OK` status lines, computed once (uWS wants the whole line). */
export const STATUS_LINES: Record<number, string> = Object.fromEntries(
  Object.entries(STATUS_CODES).map(([code, text]) => [code, `${code} ${text}`]),
);

/**
 * Transport-independent request handling: route, CORS, authenticate, authorise, run the
 * handler, turn errors into `{"error": ...}`, log one line. Transports only move bytes.
 */
export class App {
  readonly router = new Router<Operation>();
  private readonly _anyOrigin: boolean;
  private readonly _origins: Set<string>;
  /** Counters for /metrics: plain numbers, summed over workers by the primary on scrape. */
  readonly metrics = new Metrics();
  private readonly _trusted: TrustedProxies;
  private readonly _requestLog: Logger;

  constructor(
    private readonly _svc: Services,
    routes: RouteDef[],
  ) {
    for (const r of routes) this.router.add(r.method, r.path, r.op);
    const origins = _svc.config.corsOrigins.split(',').map((s) => s.trim()).filter(Boolean);
    this._anyOrigin = origins.includes('*');
    this._origins = new Set(origins);
    this._trusted = new TrustedProxies(_svc.config.trustedProxies ?? '');
    this._requestLog = requestLogger(_svc.log);
  }

  /** Body limit for a path, known before the body is read. */
  bodyLimit(path: string): number {
    return path.startsWith('/personal_docs/') ? this._svc.config.maxDocumentBytes : this._svc.config.maxBodyBytes;
  }

  async handle(req: Request): Promise<Reply> {
    const started = process.hrtime.bigint();
    let principal: Principal | null = null;
    let pattern = '-';
    let audited: { endpoint: string; params: Record<string, string>; owner: string | null } | null = null;
    let reply: Reply;
    // The client's address, once, for throttling, audit and logs: the peer (uWS spells IPv4
    // peers as long IPv6), or X-Forwarded-For when the peer is a trusted proxy.
    req.remoteAddress = this._trusted.empty ? normalise(req.remoteAddress) : this._trusted.clientAddress(req.remoteAddress, req.headers.xForwardedFor);
    try {
      const m = this.router.match(req.method, req.path);
      switch (m.kind) {
        case 'not_found':
          // A person who typed a wrong address gets a page; API clients get the JSON error.
          if (wantsHtml(req.headers.accept ?? '')) {
            reply = html(404, errorPage(404, 'Not found', `There is nothing at ${req.path}.`));
            break;
          }
          throw httpError('NOT_FOUND', `no resource at ${req.path}`);
        case 'bad_id':
          throw httpError('BAD_ID', m.message);
        case 'method_not_allowed':
          pattern = m.pattern;
          throw httpError('METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${m.pattern}`, { Allow: m.allow });
        case 'options':
          pattern = m.pattern;
          reply = this._preflight(req, m.allow);
          break;
        case 'found': {
          pattern = m.pattern;
          const op = m.op;
          if (m.params.person !== undefined) m.params.person = m.params.person.toUpperCase();
          const ctx: Ctx = { req, params: m.params, principal: null, query: req.query ? new URLSearchParams(req.query) : NO_QUERY, svc: this._svc };
          if (op.endpoint !== null) {
            principal = this._svc.auth.cached(req.headers.authorization);
            if (principal) this.metrics.authCacheHits++;
            else {
              this.metrics.authCacheMisses++;
              principal = await this._svc.auth.authenticate(req.headers.authorization, req.remoteAddress);
            }
            if (!principal) {
              this.metrics.authFailures++;
              throw httpError('UNAUTHENTICATED', 'authentication required: HTTP Basic with your federation ID and password', UNAUTHORIZED_HEADERS);
            }
            ctx.principal = principal;
            const owner = op.owner ? op.owner(ctx) : (m.params.person ?? null);
            if (this._svc.audit) audited = { endpoint: op.endpoint, params: m.params, owner };
            if (!this._svc.acl.allows(principal, req.method, op.endpoint, owner)) {
              throw httpError('FORBIDDEN', `your roles do not allow ${req.method} ${op.endpoint}${owner && owner !== principal.id ? ' on another person\'s records' : ''}`);
            }
          }
          reply = await op.handler(ctx);
          break;
        }
      }
    } catch (err) {
      reply = this._fail(err, req, pattern);
    }
    if (audited && principal) auditRequest(this._svc, req, principal, audited, reply.status);
    this._cors(req, reply);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.metrics.observe(req.method, pattern, reply.status, seconds);
    this._logLine(req, reply.status, pattern, principal, seconds);
    return reply;
  }

  private _fail(err: unknown, req: Request, pattern: string): Reply {
    const mapped = dbErrorToHttp(err);
    if (mapped) return errorReply(mapped);
    this._svc.log.error({ err, method: req.method, route: pattern }, 'unhandled error');
    return errorReply(httpError('INTERNAL', 'internal error; it has been logged'));
  }

  private _preflight(req: Request, allow: string): Reply {
    const headers: Record<string, string> = { Allow: allow };
    if (req.headers.origin && req.headers.accessControlRequestMethod) {
      headers['Access-Control-Allow-Methods'] = allow;
      headers['Access-Control-Allow-Headers'] = 'Authorization, Content-Type';
      headers['Access-Control-Max-Age'] = '600';
    }
    return { status: 204, headers };
  }

  /** Adds CORS headers for allowed origins. Credentials are allowed, so the origin is echoed, never `*`. */
  private _cors(req: Request, reply: Reply): void {
    const origin = req.headers.origin;
    if (!origin || !(this._anyOrigin || this._origins.has(origin))) return;
    reply.headers = {
      ...reply.headers,
      'Access-Control-Allow-Origin': origin,
      'Access-Control-Allow-Credentials': 'true',
      'Access-Control-Expose-Headers': 'Location, Link, ETag, WWW-Authenticate, Retry-After',
      Vary: 'Origin',
    };
  }

  private _logLine(req: Request, status: number, route: string, p: Principal | null, seconds: number): void {
    const log = this._requestLog;
    if (status < 400 && this._svc.config.logSampleRate < 1 && Math.random() >= this._svc.config.logSampleRate) return;
    if (!log.isLevelEnabled('info')) return;
    const ms = seconds * 1000;
    log.info({ method: req.method, route, status, ms: Math.round(ms * 100) / 100, user: p?.id, remote: req.remoteAddress }, 'request');
  }
}

export function statusLine(status: number): string {
  return STATUS_LINES[status] ?? `${status} Unknown`;
}
