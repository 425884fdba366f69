import type { Ctx } from '../resources/types.js';

/** What a feed event says about a record; `resource` is the record's URL collection. */
export type EventResource = 'people' | 'pols' | 'personal_docs' | 'domiciliary-units' | 'institutions';
export type EventOp = 'create' | 'update' | 'delete';

export interface Change {
  resource: EventResource;
  op: EventOp;
  id: string;
  /** The person the record concerns (its owner for the ACL), or null. */
  person: string | null;
  /** Where the record is read through the REST API. */
  path: string;
  /** PATCH body; `password` is dropped by the database function, never stored. */
  changed?: Record<string, unknown>;
}

export interface Statement {
  name: string;
  text: string;
  values: unknown[];
}

/**
 * Adds the event to a write statement, so change and event commit or roll back together in one
 * round trip. `text` must end in a RETURNING clause: one event per row it returns, so a write
 * that touched nothing (ON CONFLICT DO NOTHING, no such row) emits none. The actor is the
 * authenticated principal, which a trigger could not know; hence explicit SQL, not a trigger.
 * With the outbox switched off (`eventsOutbox: false`, for benchmarks) the statement is unchanged.
 */
export function withEvent(ctx: Ctx, stmt: Statement, change: Change): Statement {
  if (!ctx.svc.config.eventsOutbox) return stmt;
  const n = stmt.values.length;
  const changed = change.changed ? JSON.stringify(stripSecrets(change.changed)) : null;
  return {
    name: `${stmt.name}_ev`,
    text: `WITH w AS (${stmt.text})
      SELECT w.*, thalamus_emit_event($${n + 1}, $${n + 2}, $${n + 3}, $${n + 4}, $${n + 5}, $${n + 6}, $${n + 7}::jsonb) AS event_seq FROM w`,
    values: [...stmt.values, change.resource, change.id, change.person, change.op, ctx.principal?.id ?? null, change.path, changed],
  };
}

function stripSecrets(patch: Record<string, unknown>): Record<string, unknown> {
  if (!('password' in patch)) return patch;
  const copy = { ...patch };
  delete copy.password;
  return copy;
}
