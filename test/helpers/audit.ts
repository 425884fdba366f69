/** One record as `GET /audit` returns it. */
export interface AuditRow {
  seq: number;
  at: string;
  actor: string;
  roles: string[];
  method: string;
  endpoint: string;
  person: string | null;
  record: string | null;
  client: string;
  status: number;
}

/** The path of the next page from a `Link: <…>; rel="next"` header, or null on the last page. */
export function nextPage(link: unknown): string | null {
  return link ? /<([^>]+)>; rel="next"/.exec(String(link))?.[1] ?? null : null;
}
