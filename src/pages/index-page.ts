import { esc, page } from './html.js';

export function indexPage(version: string): string {
  return page(
    'Thalamus — GNU Health Federation',
    `<h1>Thalamus</h1>
<p>The message and authentication server of the <strong>GNU Health Federation</strong>. Hospital systems,
MyGNUHealth, laboratories, civil offices and the Federation Portal exchange the Person Master Index and
the Book of Life here, over REST with HTTP Basic authentication.</p>
<p>This page holds no data. Resources: <code>/people</code>, <code>/pols</code>, <code>/personal_docs</code>,
<code>/domiciliary-units</code>, <code>/institutions</code>; readiness at <a href="/readyz">/readyz</a>.</p>
<p>Integrating a hospital system, a PHR app or a portal? Read <a href="/docs">the API reference</a>
(also as <a href="/openapi.json">OpenAPI 3.1</a>).</p>
<p>Server version ${esc(version)}.</p>`,
  );
}
