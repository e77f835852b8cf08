/**
 * Returns a deep copy of `value` where every property named in `secretFieldNames`, at any depth,
 * says only that it is set ("[set]"), so a change can be audited without its secret. null and
 * undefined stay as they are: they reveal nothing and show that a secret was cleared.
 */
export function redactSecrets<T>(value: T, secretFieldNames: Iterable<string>): T {
  const names = new Set(secretFieldNames);
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object' && !(v instanceof Date)) {
      const out: Record<string, unknown> = {};
      for (const [k, inner] of Object.entries(v)) out[k] = names.has(k) && inner != null ? '[set]' : walk(inner);
      return out;
    }
    return v;
  };
  return walk(value) as T;
}
