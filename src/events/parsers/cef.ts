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

const KEY_CHAR = /[A-Za-z0-9_.\-\[\],]/;
const CUSTOM_SLOT = /^(cs\d+|cn\d+|cfp\d+|c6a\d+|deviceCustom(?:String|Number|FloatingPoint|IPv6Address|Date)\d+|flexString\d+|flexNumber\d+|flexDate\d+)$/;

/** Splits the 7 header fields; returns them and the extension offset, or an error. */
function readHeader(s: string, start: number): { fields: string[]; ext: number } | string {
  const fields: string[] = [];
  let cur = '';
  let i = start;
  while (i < s.length && fields.length < 7) {
    const c = s[i];
    if (c === '\\' && (s[i + 1] === '|' || s[i + 1] === '\\')) {
      cur += s[i + 1];
      i += 2;
    } else if (c === '|') {
      fields.push(cur);
      cur = '';
      i++;
    } else {
      cur += c;
      i++;
    }
  }
  if (fields.length < 7) return `CEF header has ${fields.length} of 7 fields`;
  return { fields, ext: i };
}

function unescapeValue(v: string, valueSep: string): string {
  if (v.indexOf('\\') === -1) return v;
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const c = v[i];
    if (c !== '\\' || i === v.length - 1) {
      out += c;
      continue;
    }
    const n = v[i + 1];
    if (n === '\\' || n === valueSep || n === '=') out += n;
    else if (n === 'n') out += '\n';
    else if (n === 'r') out += '\r';
    else {
      out += c; // unknown escape: keep the backslash literally
      continue;
    }
    i++;
  }
  return out;
}

/** Parses the extension into ordered pairs. */
export function parseCefExtension(ext: string, pairSep = ' ', valueSep = '='): Array<[string, string]> | string {
  // Positions of unescaped value separators that are preceded by a key that starts after a pair separator.
  const bounds: Array<{ keyStart: number; sep: number }> = [];
  for (let i = 0; i < ext.length; i++) {
    const c = ext[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c !== valueSep) continue;
    let k = i;
    while (k > 0 && KEY_CHAR.test(ext[k - 1])) k--;
    if (k === i) continue; // no key before `=`: the `=` belongs to a value
    if (k > 0 && ext.slice(k - pairSep.length, k) !== pairSep) continue;
    bounds.push({ keyStart: k, sep: i });
  }
  const lead = bounds.length > 0 ? ext.slice(0, bounds[0].keyStart) : ext;
  if (lead.trim() !== '') return 'CEF extension does not start with key=value';
  const pairs: Array<[string, string]> = [];
  for (let b = 0; b < bounds.length; b++) {
    const key = ext.slice(bounds[b].keyStart, bounds[b].sep);
    const end = b + 1 < bounds.length ? bounds[b + 1].keyStart - pairSep.length : ext.length;
    let raw = ext.slice(bounds[b].sep + 1, Math.max(end, bounds[b].sep + 1));
    if (pairSep === ' ') raw = raw.replace(/[ \t]+$/, '');
    pairs.push([key, unescapeValue(raw, valueSep)]);
  }
  return pairs;
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
    if (/[\r\n]/.test(raw)) return fail('raw line break inside a CEF event (split lines first)');
    const h = readHeader(raw, at + 4);
    if (typeof h === 'string') return fail(h);
    const [version] = h.fields;
    if (!/^\d+(\.\d+)?$/.test(version)) return fail(`invalid CEF version ${JSON.stringify(version)}`);
    let pairs = parseCefExtension(raw.slice(h.ext), opts.pairSeparator ?? ' ', opts.valueSeparator ?? '=');
    if (typeof pairs === 'string') return fail(pairs);
    if (opts.translateCustomFields) {
      pairs = translateCustom(pairs);
      if (typeof pairs === 'string') return fail(pairs);
    }
    const fields: Fields = {};
    CEF_HEADER_KEYS.forEach((k, idx) => (fields[k] = h.fields[idx]));
    for (const [k, v] of pairs) {
      // Extension keys never overwrite the header (a Check Point `version=5` stays separate).
      fields[(CEF_HEADER_KEYS as readonly string[]).includes(k) ? `ext.${k}` : k] = v;
    }
    const prefix = raw.slice(0, at).trim();
    if (prefix) fields.syslogPrefix = prefix;
    return { ok: true, fields };
  } catch (err) {
    return fail(`CEF parser error: ${(err as Error).message}`);
  }
}
