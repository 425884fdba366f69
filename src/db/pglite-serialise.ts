/** The parts of the embedded server's query queue this module reaches into. */
interface QueueDb {
  isInTransaction(): boolean;
  execProtocolRawStream(message: Uint8Array, options: unknown): Promise<unknown>;
}

/** Extended-protocol messages that leave a query half done until the connection's Sync. */
const OPENS = new Set(['P', 'B', 'D', 'E', 'C', 'H'].map((c) => c.charCodeAt(0)));

/**
 * pglite-socket queues protocol messages one at a time and keeps one connection's messages
 * together only inside a transaction. Outside one, two connections' Parse/Bind/Execute
 * interleave on the single backend session and clobber each other's unnamed statement
 * ("bind message supplies 1 parameters, but prepared statement "" requires 4"). Frequent
 * background readers (the event feed's fast poll, the auth invalidator) make that common.
 * This keeps a connection's messages together until its Sync, as a transaction already is.
 */
export function keepExtendedQueriesWhole(server: object): void {
  const db = (server as { queryQueue?: { db?: QueueDb } }).queryQueue?.db;
  if (!db || typeof db.execProtocolRawStream !== 'function' || typeof db.isInTransaction !== 'function') return;
  let open = false;
  const exec = db.execProtocolRawStream.bind(db);
  const inTransaction = db.isInTransaction.bind(db);
  db.execProtocolRawStream = (message: Uint8Array, options: unknown) => {
    open = OPENS.has(message[0]);
    return exec(message, options);
  };
  db.isInTransaction = () => open || inTransaction();
}
