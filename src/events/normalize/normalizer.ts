// Runs a normalizer: parse → extra sub-rules → constants, auto-map, mapping table with conversions
// → typed, validated normalized event, plus the original fields (the view Sigma rules evaluate).
import { parse } from '../parsers/index.ts';
import { compileUserRegexp } from '../parsers/regexp.ts';
import { getPath, type Fields } from '../types.ts';
import { CEF_HEADER_TO_SCHEMA, CEF_TO_SCHEMA, LEEF_TO_SCHEMA } from './cef-dictionary.ts';
import { coerce } from './coerce.ts';
import { convert } from './conversions.ts';
import type { Condition, MappingRule, NormalizerDef } from './definition.ts';
import { SCHEMA, STRING_LIMITS, type NormalizedEvent } from './schema.ts';

export type NormalizeResult =
  | { ok: true; event: NormalizedEvent; original: Record<string, unknown>; warnings: string[] }
  | { ok: false; error: string };

function str(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

function holds(c: Condition, f: Fields): boolean {
  const v = str(getPath(f, c.field));
  switch (c.op) {
    case 'exists':
      return v !== undefined && v !== '';
    case 'equals':
      return v === c.value;
    case 'in':
      return v !== undefined && Array.isArray(c.value) && c.value.includes(v);
    case 'prefix':
      return v !== undefined && typeof c.value === 'string' && v.startsWith(c.value);
    case 'contains':
      return v !== undefined && typeof c.value === 'string' && v.includes(c.value);
    case 'regexp': {
      if (v === undefined || typeof c.value !== 'string') return false;
      const re = compileUserRegexp(c.value);
      return typeof re !== 'string' && re.test(v);
    }
  }
}

function assign(event: NormalizedEvent, target: string, value: unknown, warnings: string[]): boolean {
  const type = SCHEMA[target];
  if (!type) return false;
  const v = coerce(type, value, STRING_LIMITS[target] ?? 4096);
  if (v === undefined) {
    warnings.push(`${target}: dropped invalid ${type} ${JSON.stringify(String(value)).slice(0, 80)}`);
    return false;
  }
  event[target] = v;
  return true;
}

function applyMapping(rules: MappingRule[], f: Fields, event: NormalizedEvent, used: Set<string>, warnings: string[]): void {
  for (const r of rules) {
    const sources = Array.isArray(r.source) ? r.source : [r.source];
    let value: string | undefined;
    for (const s of sources) {
      const v = str(getPath(f, s));
      if (v !== undefined && v !== '') {
        value = v;
        used.add(s);
        break;
      }
    }
    if (value === undefined) continue;
    for (const c of r.conversions ?? []) {
      value = convert(value, c);
      if (value === undefined) break;
    }
    if (value !== undefined && value !== '') assign(event, r.target, value, warnings);
  }
}

/** Normalizes one raw event. Never throws: a failure is `{ok:false}` (a counted parse error). */
export function normalize(def: NormalizerDef, raw: string): NormalizeResult {
  try {
    const main = parse(def.parser.kind, raw, def.parser.options ?? {});
    if (!main.ok) return { ok: false, error: `${def.id}: ${main.error}` };
    const original: Fields = main.fields;
    const warnings: string[] = [];
    const event: NormalizedEvent = {};
    const used = new Set<string>();
    const extraMappings: MappingRule[] = [];
    for (const x of def.extra ?? []) {
      if (!(x.when ?? []).every((c) => holds(c, original))) continue;
      const input = x.field === undefined ? raw : str(getPath(original, x.field));
      if (input === undefined) continue;
      const sub = parse(x.parser.kind, input, x.parser.options ?? {});
      if (!sub.ok) {
        warnings.push(`extra rule ${x.name ?? x.parser.kind}: ${sub.error}`);
        continue;
      }
      for (const [k, v] of Object.entries(sub.fields)) original[x.prefix ? `${x.prefix}${k}` : k] = v;
      for (const [k, v] of Object.entries(x.constants ?? {})) assign(event, k, v, warnings);
      extraMappings.push(...(x.mapping ?? []));
    }
    for (const [k, v] of Object.entries(def.constants ?? {})) assign(event, k, v, warnings);
    if (def.autoMap === 'cef') {
      for (const [k, v] of Object.entries(original)) {
        const target = CEF_HEADER_TO_SCHEMA[k] ?? CEF_TO_SCHEMA.get(k);
        if (target && str(v) !== '' && assign(event, target, v, warnings)) used.add(k);
      }
    } else if (def.autoMap === 'leef') {
      for (const [k, v] of Object.entries(original)) {
        const target = LEEF_TO_SCHEMA.get(k);
        if (target && str(v) !== '' && assign(event, target, v, warnings)) used.add(k);
      }
    }
    applyMapping(def.mapping ?? [], original, event, used, warnings);
    applyMapping(extraMappings, original, event, used, warnings);
    if (def.keepExtra !== false) {
      const extra: Record<string, string> = {};
      for (const [k, v] of Object.entries(original)) {
        if (used.has(k) || v === null || v === undefined || v instanceof Uint8Array) continue;
        const s = str(v);
        if (s !== undefined && s !== '') extra[k] = s;
      }
      if (Object.keys(extra).length > 0) event.Extra = extra;
    }
    if (def.keepRaw === 'always' || (def.keepRaw === 'errors' && warnings.length > 0)) event.Raw = raw;
    return { ok: true, event, original, warnings };
  } catch (err) {
    return { ok: false, error: `${def.id}: normalizer error: ${(err as Error).message}` };
  }
}
