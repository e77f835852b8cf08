// Runs a normalizer: parse → extra sub-rules → constants, auto-map, mapping table with conversions
// → typed, validated normalized event, plus the original fields (the view Sigma rules evaluate).
// A definition is compiled once (cached per object) so the per-event path does no set-up work.
import { parse } from '../parsers/index.ts';
import { compileUserRegexp, matchRegexp } from '../parsers/regexp.ts';
import { getPath, type Fields, type ParseResult } from '../types.ts';
import { CEF_HEADER_TO_SCHEMA, CEF_TO_SCHEMA, LEEF_TO_SCHEMA } from './cef-dictionary.ts';
import { coerce } from './coerce.ts';
import { convert, type Conversion } from './conversions.ts';
import type { Condition, MappingRule, NormalizerDef, ParserSpec } from './definition.ts';
import { SCHEMA, STRING_LIMITS, type FieldType, type NormalizedEvent } from './schema.ts';

export type NormalizeResult =
  | { ok: true; event: NormalizedEvent; original: Record<string, unknown>; warnings: string[] }
  | { ok: false; error: string };

interface Target {
  name: string;
  type: FieldType;
  max: number;
}
interface CompiledMapping {
  sources: string[];
  target: Target;
  conversions: Conversion[];
}
interface CompiledExtra {
  name: string;
  when: Array<(f: Fields) => boolean>;
  field: string | undefined;
  parse: (raw: string) => ParseResult;
  prefix: string;
  constants: Array<[Target, unknown]>;
  mapping: CompiledMapping[];
}
interface Compiled {
  id: string;
  parse: (raw: string) => ParseResult;
  extra: CompiledExtra[];
  constants: Array<[Target, unknown]>;
  autoMap: ((key: string) => Target | undefined) | null;
  mapping: CompiledMapping[];
  keepRaw: NormalizerDef['keepRaw'];
  keepExtra: boolean;
}

function str(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

function target(name: string): Target {
  return { name, type: SCHEMA[name], max: STRING_LIMITS[name] ?? 4096 };
}

function compileParser(p: ParserSpec): (raw: string) => ParseResult {
  const options = p.options ?? {};
  if (p.kind === 'regexp' && typeof options.pattern === 'string') {
    // Resolve the pattern once instead of per event.
    const re = compileUserRegexp(options.pattern, typeof options.flags === 'string' ? options.flags : '');
    if (typeof re !== 'string') return (raw) => matchRegexp(re, raw);
  }
  return (raw) => parse(p.kind, raw, options);
}

function compileCondition(c: Condition): (f: Fields) => boolean {
  const val = (f: Fields) => str(getPath(f, c.field));
  switch (c.op) {
    case 'exists':
      return (f) => {
        const v = val(f);
        return v !== undefined && v !== '';
      };
    case 'equals':
      return (f) => val(f) === c.value;
    case 'in':
      return (f) => {
        const v = val(f);
        return v !== undefined && Array.isArray(c.value) && c.value.includes(v);
      };
    case 'prefix':
      return (f) => {
        const v = val(f);
        return v !== undefined && typeof c.value === 'string' && v.startsWith(c.value);
      };
    case 'contains':
      return (f) => {
        const v = val(f);
        return v !== undefined && typeof c.value === 'string' && v.includes(c.value);
      };
    case 'regexp': {
      const re = typeof c.value === 'string' ? compileUserRegexp(c.value) : 'no pattern';
      return (f) => {
        const v = val(f);
        return v !== undefined && typeof re !== 'string' && re.test(v);
      };
    }
  }
}

function compileMapping(rules: MappingRule[] | undefined): CompiledMapping[] {
  return (rules ?? []).map((r) => ({ sources: Array.isArray(r.source) ? r.source : [r.source], target: target(r.target), conversions: r.conversions ?? [] }));
}

const compiledCache = new WeakMap<NormalizerDef, Compiled>();

function compile(def: NormalizerDef): Compiled {
  let c = compiledCache.get(def);
  if (c) return c;
  const dict = def.autoMap === 'cef' ? (k: string) => CEF_HEADER_TO_SCHEMA[k] ?? CEF_TO_SCHEMA.get(k) : def.autoMap === 'leef' ? (k: string) => LEEF_TO_SCHEMA.get(k) : null;
  const targets = new Map<string, Target>();
  c = {
    id: def.id,
    parse: compileParser(def.parser),
    extra: (def.extra ?? []).map((x) => ({
      name: x.name ?? x.parser.kind,
      when: (x.when ?? []).map(compileCondition),
      field: x.field,
      parse: compileParser(x.parser),
      prefix: x.prefix ?? '',
      constants: Object.entries(x.constants ?? {}).map(([k, v]): [Target, unknown] => [target(k), v]),
      mapping: compileMapping(x.mapping),
    })),
    constants: Object.entries(def.constants ?? {}).map(([k, v]): [Target, unknown] => [target(k), v]),
    autoMap: dict
      ? (k) => {
          let t = targets.get(k);
          if (t === undefined && !targets.has(k)) {
            const name = dict(k);
            t = name ? target(name) : undefined;
            targets.set(k, t as Target);
          }
          return t;
        }
      : null,
    mapping: compileMapping(def.mapping),
    keepRaw: def.keepRaw,
    keepExtra: def.keepExtra !== false,
  };
  compiledCache.set(def, c);
  return c;
}

function assign(event: NormalizedEvent, t: Target, value: unknown, warnings: string[]): boolean {
  if (t.type === undefined) return false;
  const v = t.type === 'string' && typeof value === 'string' && value.length <= t.max ? value : coerce(t.type, value, t.max);
  if (v === undefined) {
    warnings.push(`${t.name}: dropped invalid ${t.type} ${JSON.stringify(String(value)).slice(0, 80)}`);
    return false;
  }
  event[t.name] = v;
  return true;
}

function applyMapping(rules: CompiledMapping[], f: Fields, event: NormalizedEvent, used: Set<string>, warnings: string[]): void {
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i];
    let value: string | undefined;
    for (let s = 0; s < r.sources.length; s++) {
      const v = str(getPath(f, r.sources[s]));
      if (v !== undefined && v !== '') {
        value = v;
        used.add(r.sources[s]);
        break;
      }
    }
    if (value === undefined) continue;
    for (let k = 0; k < r.conversions.length && value !== undefined; k++) value = convert(value, r.conversions[k]);
    if (value !== undefined && value !== '') assign(event, r.target, value, warnings);
  }
}

/** Normalizes one raw event. Never throws: a failure is `{ok:false}` (a counted parse error). */
export function normalize(def: NormalizerDef, raw: string): NormalizeResult {
  let c: Compiled | undefined;
  try {
    c = compile(def);
    const main = c.parse(raw);
    if (!main.ok) return { ok: false, error: `${c.id}: ${main.error}` };
    const original: Fields = main.fields;
    const warnings: string[] = [];
    const event: NormalizedEvent = {};
    const used = new Set<string>();
    let extraMappings: CompiledMapping[] | null = null;
    for (const x of c.extra) {
      let pass = true;
      for (let i = 0; i < x.when.length && pass; i++) pass = x.when[i](original);
      if (!pass) continue;
      const input = x.field === undefined ? raw : str(getPath(original, x.field));
      if (input === undefined) continue;
      const sub = x.parse(input);
      if (!sub.ok) {
        warnings.push(`extra rule ${x.name}: ${sub.error}`);
        continue;
      }
      for (const k in sub.fields) original[x.prefix + k] = sub.fields[k];
      for (const [t, v] of x.constants) assign(event, t, v, warnings);
      if (x.mapping.length) (extraMappings ??= []).push(...x.mapping);
    }
    for (const [t, v] of c.constants) assign(event, t, v, warnings);
    if (c.autoMap !== null) {
      for (const k in original) {
        const t = c.autoMap(k);
        if (t === undefined) continue;
        const v = original[k];
        if (v === undefined || v === null || v === '') continue;
        if (assign(event, t, v, warnings)) used.add(k);
      }
    }
    applyMapping(c.mapping, original, event, used, warnings);
    if (extraMappings) applyMapping(extraMappings, original, event, used, warnings);
    if (c.keepExtra) {
      let extra: Record<string, string> | undefined;
      for (const k in original) {
        const v = original[k];
        if (v === null || v === undefined || v === '' || used.has(k) || v instanceof Uint8Array) continue;
        const s = typeof v === 'string' ? v : str(v);
        if (s === undefined || s === '') continue;
        (extra ??= {})[k] = s;
      }
      if (extra) event.Extra = extra;
    }
    if (c.keepRaw === 'always' || (c.keepRaw === 'errors' && warnings.length > 0)) event.Raw = raw;
    return { ok: true, event, original, warnings };
  } catch (err) {
    return { ok: false, error: `${c?.id ?? def.id}: normalizer error: ${(err as Error).message}` };
  }
}
