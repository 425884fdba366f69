import { esc, page } from './html.js';

/** An error for a person in a browser: what happened, and a way back. No data, no script. */
export function errorPage(status: number, title: string, message: string): string {
  return page(
    `${status} ${title} — Thalamus`,
    `<h1>${esc(title)}</h1>
<p class="error" role="alert">${esc(message)}</p>
<p>Status ${status}. Go to <a href="/">the welcome page</a> or read <a href="/docs">the API reference</a>.</p>`,
  );
}

/** True when the client asked for HTML by name (browsers do; API clients send JSON or any). */
export function wantsHtml(accept: string): boolean {
  return /\btext\/html\b/i.test(accept);
}
