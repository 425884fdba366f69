/**
 * A small segment-trie router: static segments and `{param}` captures. It decides 404, 405
 * (with the methods to put in `Allow`) and 400 for malformed IDs before any authentication.
 */

const ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

export function isValidId(id: string): boolean {
  return ID_RE.test(id) && id !== '.' && id !== '..';
}

interface Node<T> {
  statics: Map<string, Node<T>>;
  param: { name: string; node: Node<T> } | null;
  route: RouteEntry<T> | null;
}

interface RouteEntry<T> {
  pattern: string;
  methods: Map<string, T>;
  allow: string;
}

export type Match<T> =
  | { kind: 'found'; op: T; params: Record<string, string>; pattern: string }
  | { kind: 'not_found' }
  | { kind: 'method_not_allowed'; allow: string; pattern: string }
  | { kind: 'options'; allow: string; pattern: string }
  | { kind: 'bad_id'; message: string };

function newNode<T>(): Node<T> {
  return { statics: new Map(), param: null, route: null };
}

export class Router<T> {
  private readonly _root: Node<T> = newNode();
  private readonly _patterns: string[] = [];

  /** Registers `op` for `method` on `pattern`, e.g. `/pols/{person}/{page}`. */
  add(method: string, pattern: string, op: T): void {
    let node = this._root;
    for (const seg of splitPath(pattern)) {
      const m = /^\{(\w+)\}$/.exec(seg);
      if (m) {
        if (node.param && node.param.name !== m[1]) throw new Error(`conflicting parameter names at ${pattern}`);
        node.param ??= { name: m[1], node: newNode() };
        node = node.param.node;
      } else {
        let next = node.statics.get(seg);
        if (!next) node.statics.set(seg, (next = newNode()));
        node = next;
      }
    }
    if (!node.route) {
      node.route = { pattern, methods: new Map(), allow: '' };
      this._patterns.push(pattern);
    }
    if (node.route.methods.has(method)) throw new Error(`duplicate route ${method} ${pattern}`);
    node.route.methods.set(method, op);
    node.route.allow = [...node.route.methods.keys(), 'OPTIONS'].join(', ');
  }

  patterns(): readonly string[] {
    return this._patterns;
  }

  match(method: string, path: string): Match<T> {
    const segs = splitPath(path);
    let node: Node<T> | undefined = this._root;
    let params: Record<string, string> | null = null;
    for (const seg of segs) {
      const next: Node<T> | undefined = node.statics.get(seg);
      if (next) {
        node = next;
        continue;
      }
      if (!node.param) return { kind: 'not_found' };
      let value: string;
      try {
        value = seg.includes('%') ? decodeURIComponent(seg) : seg;
      } catch {
        return { kind: 'bad_id', message: `malformed percent-encoding in ${node.param.name}` };
      }
      if (!isValidId(value)) {
        return { kind: 'bad_id', message: `${node.param.name} must be 1-128 characters from A-Z a-z 0-9 . _ : -` };
      }
      (params ??= {})[node.param.name] = value;
      node = node.param.node;
    }
    const route = node.route;
    if (!route) return { kind: 'not_found' };
    const op = route.methods.get(method);
    if (op !== undefined) return { kind: 'found', op, params: params ?? {}, pattern: route.pattern };
    if (method === 'OPTIONS') return { kind: 'options', allow: route.allow, pattern: route.pattern };
    return { kind: 'method_not_allowed', allow: route.allow, pattern: route.pattern };
  }
}

/** `/a/b/` → ['a', 'b']; `/` → []. One trailing slash is tolerated; empty inner segments are not. */
function splitPath(path: string): string[] {
  if (path === '/' || path === '') return [];
  const trimmed = path.endsWith('/') ? path.slice(1, -1) : path.slice(1);
  return trimmed.split('/');
}
