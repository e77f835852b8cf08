// A normalizer is data: a parser, optional extra sub-rules, a mapping table and conversions.
// `validateNormalizer` checks a definition (e.g. loaded from JSON) and names the failing path.
import { PARSER_KINDS, type ParserKind } from '../parsers/index.ts';
import { compileUserRegexp } from '../parsers/regexp.ts';
import { CONVERSION_OPS, type Conversion } from './conversions.ts';
import { isSchemaField } from './schema.ts';

export interface ParserSpec {
  kind: ParserKind;
  options?: Record<string, unknown>;
}

/** A field condition that selects an extra rule. */
export interface Condition {
  field: string;
  op: 'equals' | 'in' | 'prefix' | 'contains' | 'regexp' | 'exists';
  value?: string | string[];
}

export interface MappingRule {
  /** Source field path (dots reach into nested objects); a list means the first non-empty one. */
  source: string | string[];
  /** Normalized field name (must exist in the schema). */
  target: string;
  conversions?: Conversion[];
}

export interface ExtraRule {
  /** For documentation and error messages. */
  name?: string;
  /** All conditions must hold (on the fields parsed so far). */
  when?: Condition[];
  /** Which field to parse further (default: the raw event). */
  field?: string;
  parser: ParserSpec;
  /** Prefix for the sub-parser's fields (default none: merged into the original view). */
  prefix?: string;
  mapping?: MappingRule[];
  constants?: Record<string, string | number>;
}

export interface NormalizerDef {
  id: string;
  name?: string;
  parser: ParserSpec;
  extra?: ExtraRule[];
  /** Fill normalized fields automatically from CEF or LEEF keys (KUMA "use CEF syntax"). */
  autoMap?: 'cef' | 'leef';
  mapping?: MappingRule[];
  constants?: Record<string, string | number>;
  /** Keep the raw event in `Raw`: never (default), only when a field was dropped, or always. */
  keepRaw?: 'never' | 'errors' | 'always';
  /** Keep unmapped original fields in `Extra` (default true). */
  keepExtra?: boolean;
}

export type ValidationResult = { ok: true; normalizer: NormalizerDef } | { ok: false; errors: string[] };

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function checkParser(p: unknown, path: string, errors: string[]): void {
  if (!isObj(p)) return void errors.push(`${path}: must be an object {kind, options}`);
  if (!PARSER_KINDS.includes(p.kind as ParserKind)) errors.push(`${path}.kind: must be one of ${PARSER_KINDS.join(', ')}, got ${JSON.stringify(p.kind)}`);
  if (p.options !== undefined && !isObj(p.options)) errors.push(`${path}.options: must be an object`);
  if (p.kind === 'regexp') {
    const pat = isObj(p.options) ? p.options.pattern : undefined;
    if (typeof pat !== 'string') errors.push(`${path}.options.pattern: a regexp parser needs a pattern string`);
    else {
      const re = compileUserRegexp(pat);
      if (typeof re === 'string') errors.push(`${path}.options.pattern: ${re}`);
    }
  }
}

function checkConversion(c: unknown, path: string, errors: string[]): void {
  if (!isObj(c) || !CONVERSION_OPS.includes(c.op as (typeof CONVERSION_OPS)[number])) return void errors.push(`${path}.op: must be one of ${CONVERSION_OPS.join(', ')}`);
  const need = (k: string, type: string) => {
    if (typeof c[k] !== type) errors.push(`${path}.${k}: must be a ${type}`);
  };
  if (c.op === 'regexp') {
    need('pattern', 'string');
    if (typeof c.pattern === 'string') {
      const re = compileUserRegexp(c.pattern);
      if (typeof re === 'string') errors.push(`${path}.pattern: ${re}`);
    }
  }
  if (c.op === 'substring') need('start', 'number');
  if (c.op === 'replace') (need('from', 'string'), need('to', 'string'));
  if (c.op === 'append' || c.op === 'prepend') need('value', 'string');
  if (c.op === 'hash' && c.algorithm !== undefined && !['sha256', 'sha1', 'md5'].includes(String(c.algorithm))) errors.push(`${path}.algorithm: sha256, sha1 or md5`);
  if (c.op === 'map' && !isObj(c.values)) errors.push(`${path}.values: must be an object`);
}

function checkMapping(m: unknown, path: string, errors: string[]): void {
  if (m === undefined) return;
  if (!Array.isArray(m)) return void errors.push(`${path}: must be a list`);
  m.forEach((r, i) => {
    const p = `${path}[${i}]`;
    if (!isObj(r)) return void errors.push(`${p}: must be an object {source, target}`);
    const srcOk = typeof r.source === 'string' || (Array.isArray(r.source) && r.source.length > 0 && r.source.every((s) => typeof s === 'string'));
    if (!srcOk) errors.push(`${p}.source: must be a field path or a non-empty list of paths`);
    if (typeof r.target !== 'string' || !isSchemaField(r.target)) errors.push(`${p}.target: unknown normalized field ${JSON.stringify(r.target)}`);
    if (r.conversions !== undefined) {
      if (!Array.isArray(r.conversions)) errors.push(`${p}.conversions: must be a list`);
      else r.conversions.forEach((c, j) => checkConversion(c, `${p}.conversions[${j}]`, errors));
    }
  });
}

function checkConstants(c: unknown, path: string, errors: string[]): void {
  if (c === undefined) return;
  if (!isObj(c)) return void errors.push(`${path}: must be an object`);
  for (const [k, v] of Object.entries(c)) {
    if (!isSchemaField(k)) errors.push(`${path}.${k}: unknown normalized field`);
    if (typeof v !== 'string' && typeof v !== 'number') errors.push(`${path}.${k}: must be a string or number`);
  }
}

export function validateNormalizer(def: unknown): ValidationResult {
  const errors: string[] = [];
  if (!isObj(def)) return { ok: false, errors: ['normalizer: must be an object'] };
  if (typeof def.id !== 'string' || def.id === '') errors.push('id: must be a non-empty string');
  checkParser(def.parser, 'parser', errors);
  if (def.autoMap !== undefined && def.autoMap !== 'cef' && def.autoMap !== 'leef') errors.push('autoMap: must be "cef" or "leef"');
  checkMapping(def.mapping, 'mapping', errors);
  checkConstants(def.constants, 'constants', errors);
  if (def.keepRaw !== undefined && !['never', 'errors', 'always'].includes(String(def.keepRaw))) errors.push('keepRaw: must be never, errors or always');
  if (def.keepExtra !== undefined && typeof def.keepExtra !== 'boolean') errors.push('keepExtra: must be a boolean');
  if (def.extra !== undefined) {
    if (!Array.isArray(def.extra)) errors.push('extra: must be a list');
    else
      def.extra.forEach((x, i) => {
        const p = `extra[${i}]`;
        if (!isObj(x)) return void errors.push(`${p}: must be an object`);
        checkParser(x.parser, `${p}.parser`, errors);
        if (x.field !== undefined && typeof x.field !== 'string') errors.push(`${p}.field: must be a string`);
        if (x.when !== undefined) {
          if (!Array.isArray(x.when)) errors.push(`${p}.when: must be a list`);
          else
            x.when.forEach((c, j) => {
              if (!isObj(c) || typeof c.field !== 'string') return void errors.push(`${p}.when[${j}].field: must be a string`);
              if (!['equals', 'in', 'prefix', 'contains', 'regexp', 'exists'].includes(String(c.op))) errors.push(`${p}.when[${j}].op: must be equals, in, prefix, contains, regexp or exists`);
              if (c.op === 'regexp' && typeof c.value === 'string' && typeof compileUserRegexp(c.value) === 'string') errors.push(`${p}.when[${j}].value: invalid regexp`);
            });
        }
        checkMapping(x.mapping, `${p}.mapping`, errors);
        checkConstants(x.constants, `${p}.constants`, errors);
      });
  }
  return errors.length ? { ok: false, errors } : { ok: true, normalizer: def as unknown as NormalizerDef };
}
