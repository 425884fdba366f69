/**
 * Deepest nesting we accept in a JSON body. V8 parses any depth, but JSON.stringify and
 * PostgreSQL's jsonb recurse, so a body nested 50 000 deep would end as a stack overflow (a 500)
 * instead of a clear 422. No record of the federation comes near this.
 */
export const MAX_JSON_DEPTH = 64;

/** Nesting depth of JSON text, strings skipped; stops counting once over `limit`. */
export function jsonDepth(text: string, limit = MAX_JSON_DEPTH): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 125 || c === 93) depth--;
  }
  return max;
}
