// One CSV record (RFC 4180 quoting: `"a ""b"""`). Columns get names from `columns`, or `c0`, `c1`, …
import { fail, tooLarge, type ParseResult, type Fields } from '../types.ts';

export interface CsvOptions {
  delimiter?: string;
  columns?: string[];
}

export function splitCsv(raw: string, delimiter = ','): string[] | string {
  const out: string[] = [];
  let i = 0;
  const n = raw.length;
  for (;;) {
    let value = '';
    if (raw[i] === '"') {
      i++;
      let closed = false;
      while (i < n) {
        if (raw[i] === '"') {
          if (raw[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          closed = true;
          break;
        }
        value += raw[i++];
      }
      if (!closed) return 'unterminated quoted CSV field';
      if (i < n && !raw.startsWith(delimiter, i)) return `unexpected character after quoted field at ${i}`;
    } else {
      const end = raw.indexOf(delimiter, i);
      value = raw.slice(i, end === -1 ? n : end);
      i = end === -1 ? n : end;
    }
    out.push(value);
    if (i >= n) break;
    i += delimiter.length;
    if (i === n) {
      out.push('');
      break;
    }
  }
  return out;
}

export function parseCsv(raw: string, opts: CsvOptions = {}): ParseResult {
  const big = tooLarge(raw);
  if (big) return big;
  const line = raw.replace(/\r?\n$/, '');
  if (line === '') return fail('empty CSV record');
  const cells = splitCsv(line, opts.delimiter ?? ',');
  if (typeof cells === 'string') return fail(cells);
  const fields: Fields = {};
  cells.forEach((v, idx) => {
    fields[opts.columns?.[idx] ?? `c${idx}`] = v;
  });
  return { ok: true, fields };
}
