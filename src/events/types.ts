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

/** Reads a dotted path (`a.b.0.c`) from nested objects/arrays; an exact flat key wins over nesting. */
export function getPath(obj: unknown, path: string): unknown {
  if (obj === null || typeof obj !== 'object') return undefined;
  const rec = obj as Record<string, unknown>;
  if (Object.prototype.hasOwnProperty.call(rec, path)) return rec[path];
  let cur: unknown = obj;
  let start = 0;
  while (start <= path.length) {
    if (cur === null || typeof cur !== 'object') return undefined;
    const c = cur as Record<string, unknown>;
    // Try the longest remaining key first so keys containing dots still resolve.
    let dot = path.indexOf('.', start);
    if (dot === -1) return Object.prototype.hasOwnProperty.call(c, path.slice(start)) ? c[path.slice(start)] : undefined;
    const rest = path.slice(start);
    if (Object.prototype.hasOwnProperty.call(c, rest)) return c[rest];
    let found = false;
    while (dot !== -1) {
      const key = path.slice(start, dot);
      if (Object.prototype.hasOwnProperty.call(c, key)) {
        cur = c[key];
        start = dot + 1;
        found = true;
        break;
      }
      dot = path.indexOf('.', dot + 1);
    }
    if (!found) return undefined;
  }
  return undefined;
}
