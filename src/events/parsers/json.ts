// JSON objects. Nested fields stay nested; mappings address them with dot paths (`user.name`).
import { fail, tooLarge, type ParseResult } from '../types.ts';

export interface JsonOptions {
  /** Also add flattened `a.b.c` keys for every leaf (costs memory; default false). */
  flatten?: boolean;
}

export function flattenObject(obj: Record<string, unknown>, prefix = '', out: Record<string, unknown> = {}, depth = 0): Record<string, unknown> {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && depth < 32) flattenObject(v as Record<string, unknown>, key, out, depth + 1);
    else out[key] = v;
  }
  return out;
}

export function parseJson(raw: string, opts: JsonOptions = {}): ParseResult {
  const big = tooLarge(raw);
  if (big) return big;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (err) {
    return fail(`invalid JSON: ${(err as Error).message}`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return fail('JSON event must be an object');
  const obj = v as Record<string, unknown>;
  return { ok: true, fields: opts.flatten ? { ...obj, ...flattenObject(obj) } : obj };
}
