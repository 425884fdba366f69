export interface Credentials {
  /** Federation ID, upper-cased (IDs of people are stored and compared upper-case). */
  id: string;
  password: string;
}

/** Parses `Authorization: Basic base64(id:password)`; null when absent or malformed. */
export function parseBasic(header: string): Credentials | null {
  if (header.length < 7 || header.slice(0, 6).toLowerCase() !== 'basic ') return null;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return null;
  const id = decoded.slice(0, colon).toUpperCase();
  const password = decoded.slice(colon + 1);
  if (id.length > 128 || password.length > 1024) return null;
  return { id, password };
}
