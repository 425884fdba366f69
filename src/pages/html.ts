/** Escapes text for HTML element content and attribute values. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a;background:#fff}
h1{font-size:1.6rem;color:#0b5394}a{color:#0b5394}label{display:block;margin-top:1rem;font-weight:600}
input{font-size:1rem;padding:.4rem;width:100%;max-width:20rem;border:1px solid #555;border-radius:3px}
button{display:block;margin-top:1.5rem;font-size:1rem;padding:.5rem 1.2rem;background:#0b5394;color:#fff;border:0;border-radius:3px}
.error{color:#a00000;font-weight:600;border-left:4px solid #a00000;padding-left:.5rem}code{background:#f2f2f2;padding:0 .2rem}`;

/** A small accessible page that works without JavaScript. */
export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><style>${STYLE}</style></head>
<body><main>${body}</main></body></html>
`;
}
