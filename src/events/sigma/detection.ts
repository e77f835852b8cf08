// Compiles a Sigma `detection` section (everything except `condition`) into named predicate nodes.
import { BlockList, isIP } from 'node:net';
import { compileUserRegexp, MAX_REGEXP_INPUT } from '../parsers/regexp.ts';
import { base64, base64offset, utf16be, utf16bom, utf16le, windash } from './modifiers.ts';
import type { EvalContext, Node } from './types.ts';
import { compileTokens, literalTokens, longestLiteral, tokenize, type StringMatcher, type Token } from './wildcard.ts';

/** A compile error carrying the YAML path that caused it (so the loader can name the line). */
export class DetectionError extends Error {
  constructor(
    message: string,
    readonly path: Array<string | number>,
  ) {
    super(message);
  }
}

const KNOWN = new Set([
  'contains', 'startswith', 'endswith', 'all', 're', 'i', 'm', 's', 'ignorecase', 'multiline', 'dotall', 'windash', 'cidr', 'base64', 'base64offset',
  'utf16le', 'wide', 'utf16be', 'utf16', 'exists', 'cased', 'neq', 'lt', 'lte', 'gt', 'gte', 'fieldref', 'expand',
]);
const TIME_PARTS = new Set(['minute', 'hour', 'day', 'week', 'month', 'year']);
const MIN_WITNESS = 3;

function toText(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}

/** The event value(s) of a field as strings; arrays match element-wise. */
export function eventStrings(v: unknown): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) return v.map((x) => toText(x)).filter((x): x is string => x !== undefined);
  const s = toText(v);
  return s === undefined ? undefined : [s];
}

/** Any (or, with `all`, every) value's alternatives match one of the event strings. Plain loops: hot path. */
function matchValues(matchers: StringMatcher[][], vals: readonly string[], all: boolean): boolean {
  for (let i = 0; i < matchers.length; i++) {
    const alts = matchers[i];
    let hit = false;
    for (let a = 0; a < alts.length && !hit; a++) {
      const m = alts[a];
      for (let k = 0; k < vals.length; k++) {
        if (m(vals[k])) {
          hit = true;
          break;
        }
      }
    }
    if (hit && !all) return true;
    if (!hit && all) return false;
  }
  return all;
}

interface ValueSpec {
  /** Alternatives for one Sigma value (windash / base64offset variants); any may match. */
  variants: Token[][];
}

function applyMatchType(tokens: Token[], type: 'eq' | 'contains' | 'startswith' | 'endswith'): Token[] {
  const star: Token = { w: '*' };
  if (type === 'contains') return [star, ...tokens, star];
  if (type === 'startswith') return [...tokens, star];
  if (type === 'endswith') return [star, ...tokens];
  return tokens;
}

function witnessOf(values: ValueSpec[], all: boolean): string[] | null {
  const perValue = values.map((v) => {
    const lits = v.variants.map((t) => longestLiteral(t));
    return lits.every((l) => l.length >= MIN_WITNESS) ? lits : null;
  });
  if (all) {
    const usable = perValue.filter((x): x is string[] => x !== null);
    if (usable.length === 0) return null;
    return usable.reduce((best, cur) => (Math.min(...cur.map((s) => s.length)) > Math.min(...best.map((s) => s.length)) ? cur : best));
  }
  if (perValue.some((x) => x === null) || perValue.length === 0) return null;
  return [...new Set(perValue.flat() as string[])];
}

/** Builds the leaf for `field|modifiers: values`. `field` is '' for keyword lists. */
export function compileFieldItem(field: string, modifiers: string[], rawValue: unknown, path: Array<string | number>): Node {
  for (const mod of modifiers) {
    if (TIME_PARTS.has(mod)) throw new DetectionError(`time modifier |${mod} is not supported`, path);
    if (!KNOWN.has(mod)) throw new DetectionError(`unknown modifier |${mod}`, path);
  }
  const has = (m: string) => modifiers.includes(m);
  const values = Array.isArray(rawValue) ? rawValue : [rawValue];
  if (values.length === 0) throw new DetectionError('empty value list', path);
  const all = has('all');
  const cased = has('cased');
  const neq = has('neq');
  const get = (ctx: EvalContext) => (field === '' ? undefined : ctx.get(field));

  if (has('exists')) {
    if (typeof rawValue !== 'boolean') throw new DetectionError('|exists needs true or false', path);
    return { t: 'leaf', witness: null, test: (ctx) => { const v = get(ctx); return (v !== undefined && v !== null) === rawValue; } };
  }

  const numericOp = ['lt', 'lte', 'gt', 'gte'].find((m) => has(m));
  if (numericOp) {
    const nums = values.map((v) => Number(v));
    if (nums.some((n) => Number.isNaN(n))) throw new DetectionError(`|${numericOp} needs numbers`, path);
    const cmp = (a: number, b: number) => (numericOp === 'lt' ? a < b : numericOp === 'lte' ? a <= b : numericOp === 'gt' ? a > b : a >= b);
    return {
      t: 'leaf', witness: null, test: (ctx) => {
        const ev = eventStrings(get(ctx));
        if (!ev) return false;
        const hit = (n: number) => ev.some((s) => s.trim() !== '' && cmp(Number(s), n));
        return all ? nums.every(hit) : nums.some(hit);
      },
    };
  }

  if (has('cidr')) {
    const lists: BlockList[] = values.map((v) => {
      const s = String(v);
      const [addr, bits] = s.split('/');
      const fam = isIP(addr);
      if (fam === 0) throw new DetectionError(`invalid CIDR ${JSON.stringify(s)}`, path);
      const bl = new BlockList();
      bl.addSubnet(addr, bits === undefined ? (fam === 4 ? 32 : 128) : Number(bits), fam === 4 ? 'ipv4' : 'ipv6');
      return bl;
    });
    const inNet = (ip: string, bl: BlockList) => {
      const fam = isIP(ip);
      return fam !== 0 && bl.check(ip, fam === 4 ? 'ipv4' : 'ipv6');
    };
    const test = (ctx: EvalContext) => {
      const ev = eventStrings(get(ctx));
      if (!ev) return false;
      const hit = (bl: BlockList) => ev.some((s) => inNet(s.trim(), bl));
      return all ? lists.every(hit) : lists.some(hit);
    };
    return { t: 'leaf', witness: null, test: neq ? (ctx) => !test(ctx) : test };
  }

  if (has('re')) {
    let flags = '';
    if (has('i') || has('ignorecase')) flags += 'i';
    if (has('m') || has('multiline')) flags += 'm';
    if (has('s') || has('dotall')) flags += 's';
    const res = values.map((v) => {
      const re = compileUserRegexp(String(v), flags);
      if (typeof re === 'string') throw new DetectionError(`${re}: ${String(v)}`, path);
      return re;
    });
    const test = (ctx: EvalContext) => {
      const ev = ctx.strings(field, false);
      if (!ev) return false;
      // Bounded input: a regex never sees more than MAX_REGEXP_INPUT characters of one value.
      for (let i = 0; i < res.length; i++) {
        let hit = false;
        for (let k = 0; k < ev.length && !hit; k++) hit = res[i].test(ev[k].length > MAX_REGEXP_INPUT ? ev[k].slice(0, MAX_REGEXP_INPUT) : ev[k]);
        if (hit && !all) return true;
        if (!hit && all) return false;
      }
      return all;
    };
    return { t: 'leaf', witness: null, test: neq ? (ctx) => !test(ctx) : test };
  }

  const matchType = has('contains') ? 'contains' : has('startswith') ? 'startswith' : has('endswith') ? 'endswith' : 'eq';

  if (has('fieldref')) {
    const refs = values.map(String);
    const test = (ctx: EvalContext) => {
      const ev = eventStrings(get(ctx));
      if (!ev) return false;
      const hit = (ref: string) => {
        const other = eventStrings(ctx.get(ref));
        if (!other) return false;
        return other.some((o) => ev.some((s) => {
          const a = cased ? s : s.toLowerCase();
          const b = cased ? o : o.toLowerCase();
          return matchType === 'contains' ? a.includes(b) : matchType === 'startswith' ? a.startsWith(b) : matchType === 'endswith' ? a.endsWith(b) : a === b;
        }));
      };
      return all ? refs.every(hit) : refs.some(hit);
    };
    return { t: 'leaf', witness: null, test: neq ? (ctx) => !test(ctx) : test };
  }

  const hasNull = values.some((v) => v === null);
  const encodings = modifiers.filter((m) => ['base64', 'base64offset', 'utf16le', 'wide', 'utf16be', 'utf16'].includes(m));
  if (has('expand')) {
    // Placeholders (`%Admins%`) are resolved at evaluation time from the engine configuration.
    const templates = values.map((v) => toText(v) ?? '');
    const cache = new WeakMap<object, StringMatcher[]>();
    const matchersFor = (ph: EvalContext['placeholders']) => {
      let ms = cache.get(ph);
      if (!ms) {
        ms = templates.flatMap((t) => {
          const m = /^%([^%]+)%$/.exec(t);
          const expanded = m ? ph[m[1]] ?? [] : [t];
          return expanded.map((e) => compileTokens(applyMatchType(tokenize(e), matchType), cased));
        });
        cache.set(ph, ms);
      }
      return ms;
    };
    const test = (ctx: EvalContext) => {
      const ev = eventStrings(get(ctx));
      if (!ev) return false;
      const norm = cased ? ev : ev.map((s) => s.toLowerCase());
      return matchersFor(ctx.placeholders).some((m) => norm.some(m));
    };
    return { t: 'leaf', witness: null, test: neq ? (ctx) => !test(ctx) : test };
  }

  const specs: ValueSpec[] = [];
  for (const v of values) {
    if (v === null) continue;
    if (typeof v === 'object') throw new DetectionError('a value must be a string, number or boolean', path);
    const text = String(v);
    const strings = has('windash') ? windash(text) : [text];
    let variants: Token[][];
    if (encodings.length > 0) {
      // Encoded values are literal bytes: wildcards are not interpreted (as in pySigma).
      let cur: { text: string[] } | { bytes: Buffer[] } = { text: strings };
      const asBytes = (c: typeof cur) => ('bytes' in c ? c.bytes : c.text.map((t) => Buffer.from(t, 'utf8')));
      const asText = (c: typeof cur) => ('text' in c ? c.text : c.bytes.map((b) => b.toString('latin1')));
      for (const e of encodings) {
        if (e === 'utf16le' || e === 'wide') cur = { bytes: asText(cur).map(utf16le) };
        else if (e === 'utf16be') cur = { bytes: asText(cur).map(utf16be) };
        else if (e === 'utf16') cur = { bytes: asText(cur).map(utf16bom) };
        else if (e === 'base64') cur = { text: asBytes(cur).map(base64) };
        else cur = { text: asBytes(cur).flatMap(base64offset) };
      }
      variants = asText(cur).map((s) => applyMatchType(literalTokens(s), matchType));
    } else variants = strings.map((s) => applyMatchType(tokenize(s), matchType));
    specs.push({ variants });
  }
  const matchers = specs.map((s) => s.variants.map((t) => compileTokens(t, cased)));

  if (field === '') {
    // Keyword search: any string value of the event contains the keyword.
    const kw = specs.map((s) => s.variants.map((t) => compileTokens([{ w: '*' }, ...t, { w: '*' }], cased)));
    const test = (ctx: EvalContext) => matchValues(kw, ctx.values(), all);
    return { t: 'leaf', witness: neq ? null : witnessOf(specs, all), test: neq ? (ctx) => !test(ctx) : test };
  }

  const test = (ctx: EvalContext) => {
    if (hasNull) {
      const raw = ctx.get(field);
      if (raw === undefined || raw === null || raw === '') return true;
    }
    const vals = ctx.strings(field, !cased);
    if (vals === undefined || matchers.length === 0) return false;
    return matchValues(matchers, vals, all);
  };
  const witness = neq || hasNull ? null : witnessOf(specs, all);
  return { t: 'leaf', witness, test: neq ? (ctx) => !test(ctx) : test };
}

function compileMap(map: Record<string, unknown>, path: Array<string | number>): Node {
  const c: Node[] = [];
  for (const [key, value] of Object.entries(map)) {
    const [field, ...mods] = key.split('|');
    c.push(compileFieldItem(field, mods, value, [...path, key]));
  }
  if (c.length === 0) throw new DetectionError('empty selection', path);
  return c.length === 1 ? c[0] : { t: 'and', c };
}

/** A search identifier: a map (AND), a list of maps (OR of ANDs) or a list of keywords (OR). */
export function compileSearch(def: unknown, path: Array<string | number>): Node {
  if (def !== null && typeof def === 'object' && !Array.isArray(def)) return compileMap(def as Record<string, unknown>, path);
  if (Array.isArray(def)) {
    if (def.length > 0 && def.every((x) => x !== null && typeof x === 'object' && !Array.isArray(x))) {
      const c = def.map((x, i) => compileMap(x as Record<string, unknown>, [...path, i]));
      return c.length === 1 ? c[0] : { t: 'or', c };
    }
    if (def.every((x) => x === null || typeof x !== 'object')) return compileFieldItem('', [], def, path);
    throw new DetectionError('a search identifier list must hold only maps or only keywords', path);
  }
  if (typeof def === 'string' || typeof def === 'number') return compileFieldItem('', [], [def], path);
  throw new DetectionError('a search identifier must be a map or a list', path);
}
