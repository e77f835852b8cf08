// Regular expressions with named groups. RE2/Python `(?P<name>…)` is rewritten to JS `(?<name>…)`
// so KUMA-style content ports. Patterns come from users: input length is bounded (MAX_REGEXP_INPUT)
// and patterns with nested unbounded quantifiers are rejected to avoid catastrophic backtracking.
import { fail, type ParseResult, type Fields } from '../types.ts';

export interface RegexpOptions {
  pattern: string;
  flags?: string;
}

export const MAX_REGEXP_INPUT = 64 * 1024;

/** `(?P<name>` → `(?<name>`; `(?P=name)` → `\k<name>`. */
export function rewriteRe2(pattern: string): string {
  return pattern.replace(/\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/g, '(?<$1>').replace(/\(\?P=([A-Za-z_][A-Za-z0-9_]*)\)/g, '\\k<$1>');
}

/** Crude guard against exponential patterns such as `(a+)+`, `(.*)*`, `(\w+\s?)*`. */
export function looksCatastrophic(pattern: string): boolean {
  return /\((?:[^()\\]|\\.)*[+*](?:[^()\\]|\\.)*\)[+*{]/.test(pattern);
}

const cache = new Map<string, RegExp | string>();

export function compileUserRegexp(pattern: string, flags = ''): RegExp | string {
  const key = `${flags}/${pattern}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  let out: RegExp | string;
  if (pattern.length > 8192) out = 'pattern longer than 8192 characters';
  else if (looksCatastrophic(pattern)) out = 'pattern has a nested unbounded quantifier (catastrophic backtracking risk)';
  else {
    try {
      // Leading inline flags (`(?i)`, `(?is)`) are common in RE2/PCRE content; JS wants them as flags.
      let body = pattern;
      let f = flags.replace(/[gy]/g, '');
      const inline = /^\(\?([ims]+)\)/.exec(body);
      if (inline) {
        body = body.slice(inline[0].length);
        for (const c of inline[1]) if (!f.includes(c)) f += c;
      }
      out = new RegExp(rewriteRe2(body), f);
    } catch (err) {
      out = `invalid regular expression: ${(err as Error).message}`;
    }
  }
  if (cache.size > 10000) cache.clear();
  cache.set(key, out);
  return out;
}

export function parseRegexp(raw: string, opts: RegexpOptions): ParseResult {
  const re = compileUserRegexp(opts.pattern, opts.flags);
  if (typeof re === 'string') return fail(re);
  return matchRegexp(re, raw);
}

/** Runs an already compiled pattern (normalizers compile theirs once). */
export function matchRegexp(re: RegExp, raw: string): ParseResult {
  if (raw.length > MAX_REGEXP_INPUT) return fail(`input longer than ${MAX_REGEXP_INPUT} characters for a regexp parser`);
  const m = re.exec(raw);
  if (!m) return fail('pattern did not match');
  const fields: Fields = {};
  if (m.groups) for (const [k, v] of Object.entries(m.groups)) if (v !== undefined) fields[k] = v;
  return { ok: true, fields };
}
