// ArcSight CEF (versions 0 and 1). Header: `CEF:Version|Vendor|Product|Version|SignatureID|Name|Severity|`
// with `\|` and `\\` escapes; extension: `key=value` pairs separated by spaces, `\=`, `\\`, `\n`, `\r` escapes.
// Decisions where reference parsers disagree are documented in docs/events.md.
import { fail, tooLarge, type ParseResult, type Fields } from '../types.ts';

export interface CefOptions {
  /** Separator between extension pairs (default space; AxoSyslog `pair_separator`). */
  pairSeparator?: string;
  /** Separator between key and value (default `=`; AxoSyslog `value_separator`). */
  valueSeparator?: string;
  /** Re-key custom slots (cs1, cn1, cfp1, c6a1, flexString1, …) by their `…Label` values (VRL option). */
  translateCustomFields?: boolean;
}

export const CEF_HEADER_KEYS = ['cefVersion', 'deviceVendor', 'deviceProduct', 'deviceVersion', 'deviceEventClassId', 'name', 'severity'] as const;
const HEADER_SET: ReadonlySet<string> = new Set(CEF_HEADER_KEYS);

const CUSTOM_SLOT = /^(cs\d+|cn\d+|cfp\d+|c6a\d+|deviceCustom(?:String|Number|FloatingPoint|IPv6Address|Date)\d+|flexString\d+|flexNumber\d+|flexDate\d+)$/;

function unescapeHeader(v: string): string {
  return v.indexOf('\\') === -1 ? v : v.replace(/\\([|\\])/g, '$1');
}

/** Splits the 7 header fields; returns them and the extension offset, or an error. */
function readHeader(s: string, start: number): { fields: string[]; ext: number } | string {
  const fields: string[] = [];
  let from = start;
  let i = start;
  while (fields.length < 7) {
    const p = s.indexOf('|', i);
    if (p === -1) return `CEF header has ${fields.length} of 7 fields`;
    // A pipe preceded by an odd number of backslashes is escaped.
    let b = 0;
    while (p - 1 - b >= from && s.charCodeAt(p - 1 - b) === 92) b++;
    if (b % 2 === 1) {
      i = p + 1;
      continue;
    }
    fields.push(unescapeHeader(s.slice(from, p)));
    from = i = p + 1;
  }
  return { fields, ext: from };
}

/** `\n` and `\r` are line breaks; `\\`, `\=` (and a custom separator) are literal; any other backslash stays. */
function unescapeValue(v: string, valueSep: string): string {
  let i = v.indexOf('\\');
  if (i === -1) return v;
  let out = '';
  let run = 0;
  while (i !== -1 && i < v.length - 1) {
    const n = v[i + 1];
    const rep = n === '\\' || n === '=' || n === valueSep ? n : n === 'n' ? '\n' : n === 'r' ? '\r' : null;
    if (rep === null) {
      i = v.indexOf('\\', i + 1);
      continue;
    }
    out += v.slice(run, i) + rep;
    run = i + 2;
    i = v.indexOf('\\', run);
  }
  return out + v.slice(run);
}

function isKeyChar(c: number): boolean {
  // [A-Za-z0-9_.\-\[\],]
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 46 || c === 45 || c === 91 || c === 93 || c === 44;
}

/**
 * Scans the extension that starts at `from` in `s`: a key starts after a pair separator (or at the
 * start) and ends at an unescaped value separator; a value runs to the separator before the next key.
 */
function readExtension(s: string, from: number, pairSep: string, valueSep: string, emit: (k: string, v: string) => void): string | null {
  let prevKey = -1;
  let prevSep = -1;
  let i = s.indexOf(valueSep, from);
  while (i !== -1) {
    let b = 0;
    while (i - 1 - b >= from && s.charCodeAt(i - 1 - b) === 92) b++;
    if (b % 2 === 0) {
      let k = i;
      while (k > from && isKeyChar(s.charCodeAt(k - 1))) k--;
      if (k < i && (k === from || s.startsWith(pairSep, k - pairSep.length))) {
        if (prevKey === -1) {
          if (s.slice(from, k).trim() !== '') return 'CEF extension does not start with key=value';
        } else emit(s.slice(prevKey, prevSep), value(s, prevSep + 1, k - pairSep.length, pairSep, valueSep));
        prevKey = k;
        prevSep = i;
      }
    }
    i = s.indexOf(valueSep, i + 1);
  }
  if (prevKey === -1) return s.slice(from).trim() === '' ? null : 'CEF extension does not start with key=value';
  emit(s.slice(prevKey, prevSep), value(s, prevSep + 1, s.length, pairSep, valueSep));
  return null;
}

function value(s: string, start: number, end: number, pairSep: string, valueSep: string): string {
  if (end < start) end = start;
  if (pairSep === ' ') while (end > start && (s.charCodeAt(end - 1) === 32 || s.charCodeAt(end - 1) === 9)) end--;
  return unescapeValue(s.slice(start, end), valueSep);
}

/** Parses an extension string into ordered pairs. */
export function parseCefExtension(ext: string, pairSep = ' ', valueSep = '='): Array<[string, string]> | string {
  const pairs: Array<[string, string]> = [];
  const err = readExtension(ext, 0, pairSep, valueSep, (k, v) => pairs.push([k, v]));
  return err ?? pairs;
}

function translateCustom(pairs: Array<[string, string]>): Array<[string, string]> | string {
  const map = new Map<string, string>();
  for (const [k, v] of pairs) {
    if (CUSTOM_SLOT.test(k) && map.has(k)) return `custom field ${k} occurs twice`;
    map.set(k, v);
  }
  const out: Array<[string, string]> = [];
  for (const [k, v] of pairs) {
    if (k.endsWith('Label') && CUSTOM_SLOT.test(k.slice(0, -5))) continue;
    if (CUSTOM_SLOT.test(k)) {
      const label = map.get(`${k}Label`);
      if (label === undefined) return `custom field ${k} has no ${k}Label`;
      out.push([label, v]);
    } else out.push([k, v]);
  }
  return out;
}

export function parseCef(raw: string, opts: CefOptions = {}): ParseResult {
  try {
    const big = tooLarge(raw);
    if (big) return big;
    const at = raw.indexOf('CEF:');
    if (at === -1) return fail('no CEF: signature');
    // A raw line break means several events were glued together (decision: reject, like logstash).
    if (raw.indexOf('\n') !== -1 || raw.indexOf('\r') !== -1) return fail('raw line break inside a CEF event (split lines first)');
    const h = readHeader(raw, at + 4);
    if (typeof h === 'string') return fail(h);
    const [version] = h.fields;
    if (!/^\d+(\.\d+)?$/.test(version)) return fail(`invalid CEF version ${JSON.stringify(version)}`);
    const fields: Fields = {};
    for (let idx = 0; idx < 7; idx++) fields[CEF_HEADER_KEYS[idx]] = h.fields[idx];
    const pairSep = opts.pairSeparator ?? ' ';
    const valueSep = opts.valueSeparator ?? '=';
    if (opts.translateCustomFields) {
      const parsed = parseCefExtension(raw.slice(h.ext), pairSep, valueSep);
      if (typeof parsed === 'string') return fail(parsed);
      const pairs = translateCustom(parsed);
      if (typeof pairs === 'string') return fail(pairs);
      for (const [k, v] of pairs) fields[HEADER_SET.has(k) ? `ext.${k}` : k] = v;
    } else {
      const err = readExtension(raw, h.ext, pairSep, valueSep, (k, v) => {
        // Extension keys never overwrite the header (a Check Point `version=5` stays separate).
        fields[HEADER_SET.has(k) ? `ext.${k}` : k] = v;
      });
      if (err !== null) return fail(err);
    }
    const prefix = raw.slice(0, at).trim();
    if (prefix) fields.syslogPrefix = prefix;
    return { ok: true, fields };
  } catch (err) {
    return fail(`CEF parser error: ${(err as Error).message}`);
  }
}
