// Shared result types of the event library. Parsers never throw: every failure is a value.

export type Fields = Record<string, unknown>;

export type ParseResult = { ok: true; fields: Fields } | { ok: false; error: string };

export type Parser = (raw: string) => ParseResult;

/** Largest event we accept (KUMA uses 4 MB). Anything longer is a parse error, which also bounds regex work. */
export const MAX_EVENT_CHARS = 4 * 1024 * 1024;

export function fail(error: string): { ok: false; error: string } {
  return { ok: false, error };
}

export function tooLarge(raw: string): { ok: false; error: string } | null {
  return raw.length > MAX_EVENT_CHARS ? fail(`event larger than ${MAX_EVENT_CHARS} characters`) : null;
}

const hasOwn = Object.prototype.hasOwnProperty;

/** How a dotted path split into keys last time (keys may themselves contain dots). */
const plans = new Map<string, string[]>();

function walk(obj: unknown, keys: string[]): unknown {
  let cur: unknown = obj;
  for (let i = 0; i < keys.length; i++) {
    if (cur === null || typeof cur !== 'object' || !hasOwn.call(cur, keys[i])) return undefined;
    cur = (cur as Record<string, unknown>)[keys[i]];
  }
  return cur;
}

/** Finds a split of `path` into existing keys, trying the longest key first at each level. */
function search(obj: unknown, path: string, start: number, keys: string[]): unknown {
  if (obj === null || typeof obj !== 'object') return undefined;
  const rec = obj as Record<string, unknown>;
  const rest = path.slice(start);
  if (hasOwn.call(rec, rest)) {
    keys.push(rest);
    return rec[rest];
  }
  let dot = path.indexOf('.', start);
  while (dot !== -1) {
    const key = path.slice(start, dot);
    if (hasOwn.call(rec, key)) {
      keys.push(key);
      const v = search(rec[key], path, dot + 1, keys);
      if (v !== undefined) return v;
      keys.pop();
    }
    dot = path.indexOf('.', dot + 1);
  }
  return undefined;
}

/**
 * Reads a dotted path (`a.b.0.c`) from nested objects/arrays; an exact flat key wins, and keys
 * that contain dots (`junos@2636.1.1`) are found too. The split that worked is cached per path.
 */
export function getPath(obj: unknown, path: string): unknown {
  if (obj === null || typeof obj !== 'object') return undefined;
  if (hasOwn.call(obj, path)) return (obj as Record<string, unknown>)[path];
  if (path.indexOf('.') === -1) return undefined;
  const plan = plans.get(path);
  if (plan !== undefined) {
    const v = walk(obj, plan);
    if (v !== undefined) return v;
  }
  const keys: string[] = [];
  const v = search(obj, path, 0, keys);
  if (v !== undefined) {
    if (plans.size > 50000) plans.clear();
    plans.set(path, keys);
  }
  return v;
}
