import type { Principal } from '../auth/principal.js';
import type { Request } from '../http/types.js';
import type { Services } from '../resources/types.js';
import { AUDITED_ENDPOINTS } from './audit-log.js';

/**
 * Appends one audit record for an authenticated request on person-linked data, allowed or
 * not. Synchronous and allocation-light: the write happens later, in a batch.
 */
export function auditRequest(
  svc: Services,
  req: Request,
  principal: Principal,
  target: { endpoint: string; params: Record<string, string>; owner: string | null },
  status: number,
): void {
  if (!svc.audit || !AUDITED_ENDPOINTS.has(target.endpoint)) return;
  const p = target.params;
  svc.audit.record({
    at: Date.now(),
    actor: principal.id,
    roles: principal.roles,
    method: req.method,
    endpoint: target.endpoint,
    person: p.person ?? (target.owner || null),
    record: p.doc ?? p.page ?? p.pol ?? p.person ?? null,
    client: req.remoteAddress,
    status,
  });
}
