import { DEMO, req, type TestServer } from './server.js';

export interface FeedEvent {
  seq: number;
  resource: string;
  id: string;
  person: string | null;
  op: string;
  actor: string | null;
  path: string;
  at: string;
  changed: Record<string, unknown> | null;
}

/** All events after `after` that `auth` may see, through GET /events pages. */
export async function readAll(server: TestServer, after: number, auth = DEMO.root): Promise<{ events: FeedEvent[]; last: number }> {
  const events: FeedEvent[] = [];
  let cursor = after;
  for (;;) {
    const r = await req(server, 'GET', `/events?after=${cursor}&limit=1000`, { auth });
    if (r.status !== 200) throw new Error(`GET /events: ${r.status} ${r.text}`);
    const body = r.json as { events: FeedEvent[]; last: number };
    events.push(...body.events);
    if (body.last === cursor) return { events, last: cursor };
    cursor = body.last;
  }
}

/** The feed's current head as root sees it. */
export async function head(server: TestServer): Promise<number> {
  return (await readAll(server, 0)).last;
}
