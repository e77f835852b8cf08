// IBM LEEF 1.0 / 2.0. Header `LEEF:Version|Vendor|Product|Version|EventID|[Delimiter|]`, attributes
// `key=value` separated by TAB (1.0) or by the header's delimiter (2.0: a character or hex `0x5E`/`x5E`).
import { fail, tooLarge, type ParseResult, type Fields } from '../types.ts';

export interface LeefOptions {
  /** Overrides the attribute delimiter (AxoSyslog `pair_separator`). */
  pairSeparator?: string;
  /** Separator between key and value (default `=`). */
  valueSeparator?: string;
}

export const LEEF_HEADER_KEYS = ['leefVersion', 'vendor', 'product', 'productVersion', 'eventId'] as const;

/** Reads one header field up to an unescaped `|`; null when there is no closing pipe. */
function readField(s: string, i: number): { v: string; end: number } | null {
  let v = '';
  while (i < s.length) {
    const c = s[i];
    if (c === '\\' && s[i + 1] === '|') {
      v += '|';
      i += 2;
    } else if (c === '|') return { v, end: i + 1 };
    else {
      v += c;
      i++;
    }
  }
  return null;
}

/** `^` → `^`; `x5E`, `0x5e` → `^`; anything else → null (invalid). */
export function leefDelimiter(text: string): string | null {
  if (text.length === 1) return text;
  const m = /^(?:0?[xX])([0-9a-fA-F]{1,4})$/.exec(text);
  return m ? String.fromCharCode(parseInt(m[1], 16)) : null;
}

function unescape(v: string, valueSep: string): string {
  if (v.indexOf('\\') === -1) return v;
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const n = v[i + 1];
    if (v[i] === '\\' && (n === '\\' || n === '=' || n === '|' || n === valueSep)) {
      out += n;
      i++;
    } else out += v[i];
  }
  return out;
}

function parseAttributes(s: string, delim: string, valueSep: string, fields: Fields): void {
  let i = 0;
  while (i < s.length) {
    let end = s.indexOf(delim, i);
    if (end === -1) end = s.length;
    const sep = s.indexOf(valueSep, i);
    if (sep === -1 || sep > end) {
      i = end + delim.length; // a segment without `=`: nothing to keep
      continue;
    }
    const key = s.slice(i, sep);
    let value: string;
    if (s[sep + 1] === '"') {
      // Quoted value (Tenzir): may contain the delimiter.
      const close = s.indexOf('"', sep + 2);
      if (close !== -1 && (close + 1 === s.length || s.startsWith(delim, close + 1))) {
        value = s.slice(sep + 2, close);
        end = close + 1;
      } else value = s.slice(sep + 1, end);
    } else value = s.slice(sep + 1, end);
    value = unescape(value, valueSep);
    if (key !== '') {
      const name = (LEEF_HEADER_KEYS as readonly string[]).includes(key) || key === 'delimiter' ? `attr.${key}` : key;
      const prev = fields[name];
      if (prev === undefined) fields[name] = value;
      else fields[name] = Array.isArray(prev) ? [...prev, value] : [prev, value]; // repeated key → list
    }
    i = end + delim.length;
  }
}

export function parseLeef(raw: string, opts: LeefOptions = {}): ParseResult {
  try {
    const big = tooLarge(raw);
    if (big) return big;
    const at = raw.indexOf('LEEF:');
    if (at === -1) return fail('no LEEF: signature');
    const header: string[] = [];
    let i = at + 5;
    for (let n = 0; n < 5; n++) {
      const f = readField(raw, i);
      if (!f) return fail(`LEEF header has ${n} of 5 fields`);
      header.push(f.v);
      i = f.end;
    }
    if (!/^[12](\.0)?$/.test(header[0])) return fail(`unsupported LEEF version ${JSON.stringify(header[0])}`);
    const fields: Fields = {};
    LEEF_HEADER_KEYS.forEach((k, idx) => (fields[k] = header[idx]));
    let delim = '\t';
    if (header[0].startsWith('2')) {
      const f = readField(raw, i);
      // A 6th field that contains `=` is really the first attribute: the delimiter field was omitted.
      if (f && !f.v.includes('=')) {
        i = f.end;
        const d = leefDelimiter(f.v);
        if (d !== null) {
          delim = d;
          fields.delimiter = d;
        } else if (f.v === '') fields.delimiter = '';
      }
    }
    if (opts.pairSeparator) delim = opts.pairSeparator;
    parseAttributes(raw.slice(i), delim, opts.valueSeparator ?? '=', fields);
    const prefix = raw.slice(0, at).trim();
    if (prefix) fields.syslogPrefix = prefix;
    return { ok: true, fields };
  } catch (err) {
    return fail(`LEEF parser error: ${(err as Error).message}`);
  }
}
