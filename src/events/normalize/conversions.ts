// Value conversions applied before a mapped value is assigned (KUMA: lower, upper, regexp,
// substring, replace, trim, append, prepend, hash).
import { createHash } from 'node:crypto';
import { compileUserRegexp, MAX_REGEXP_INPUT } from '../parsers/regexp.ts';

export type Conversion =
  | { op: 'lower' }
  | { op: 'upper' }
  | { op: 'trim'; chars?: string }
  | { op: 'regexp'; pattern: string }
  | { op: 'substring'; start: number; end?: number }
  | { op: 'replace'; from: string; to: string; regexp?: boolean }
  | { op: 'append'; value: string }
  | { op: 'prepend'; value: string }
  | { op: 'hash'; algorithm?: 'sha256' | 'sha1' | 'md5' }
  | { op: 'map'; values: Record<string, string>; default?: string };

export const CONVERSION_OPS = ['lower', 'upper', 'trim', 'regexp', 'substring', 'replace', 'append', 'prepend', 'hash', 'map'] as const;

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// Compiled patterns per conversion object, so the per-event path does no cache-key building.
const patterns = new WeakMap<object, RegExp | string>();
function patternOf(c: { pattern?: string; from?: string }, source: string, global: boolean): RegExp | string {
  let re = patterns.get(c);
  if (re === undefined) {
    const base = compileUserRegexp(source);
    re = typeof base === 'string' || !global ? base : new RegExp(base.source, base.flags + 'g');
    patterns.set(c, re);
  }
  return re;
}

/** Applies one conversion; returns undefined when the value disappears (e.g. regexp did not match). */
export function convert(value: string, c: Conversion): string | undefined {
  switch (c.op) {
    case 'lower':
      return value.toLowerCase();
    case 'upper':
      return value.toUpperCase();
    case 'trim': {
      if (!c.chars) return value.trim();
      const set = escapeRe(c.chars);
      return value.replace(new RegExp(`^[${set}]+|[${set}]+$`, 'g'), '');
    }
    case 'regexp': {
      // The first capture group (or the named group `value`, or the whole match) becomes the value.
      const re = patternOf(c, c.pattern, false);
      if (typeof re === 'string' || value.length > MAX_REGEXP_INPUT) return undefined;
      const m = re.exec(value);
      if (!m) return undefined;
      return m.groups?.value ?? m[1] ?? m[0];
    }
    case 'substring':
      return value.substring(c.start, c.end);
    case 'replace': {
      if (!c.regexp) return value.split(c.from).join(c.to);
      const re = patternOf(c, c.from, true);
      if (typeof re === 'string' || value.length > MAX_REGEXP_INPUT) return value;
      return value.replace(re, c.to);
    }
    case 'append':
      return value + c.value;
    case 'prepend':
      return c.value + value;
    case 'hash':
      return createHash(c.algorithm ?? 'sha256').update(value).digest('hex');
    case 'map':
      return Object.prototype.hasOwnProperty.call(c.values, value) ? c.values[value] : c.default ?? value;
  }
}
