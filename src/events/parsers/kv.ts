// Key-value lines such as FortiGate `date=2024-01-01 devname="FG" srcip=10.0.0.1`.
// Configurable pair and value delimiters; values may be quoted with `"` or `'` (with `\` escapes).
import { fail, tooLarge, type ParseResult, type Fields } from '../types.ts';

export interface KvOptions {
  /** Between pairs (default: any run of spaces). */
  pairDelimiter?: string;
  /** Between key and value (default `=`). */
  valueDelimiter?: string;
  /** Quote characters (default `"'`). */
  quotes?: string;
}

export function parseKv(raw: string, opts: KvOptions = {}): ParseResult {
  try {
    const big = tooLarge(raw);
    if (big) return big;
    const pd = opts.pairDelimiter ?? ' ';
    const vd = opts.valueDelimiter ?? '=';
    const quotes = opts.quotes ?? '"\'';
    const fields: Fields = {};
    let i = 0;
    let pairs = 0;
    const n = raw.length;
    const skipDelims = () => {
      while (i < n && (raw.startsWith(pd, i) || (pd === ' ' && raw[i] === '\t'))) i += pd.length;
    };
    skipDelims();
    while (i < n) {
      const sep = raw.indexOf(vd, i);
      const nextPair = raw.indexOf(pd, i);
      if (sep === -1 || (nextPair !== -1 && nextPair < sep)) {
        // A token without a value delimiter: skip it (lenient).
        if (nextPair === -1) break;
        i = nextPair;
        skipDelims();
        continue;
      }
      const key = raw.slice(i, sep).trim();
      i = sep + vd.length;
      let value = '';
      if (i < n && quotes.includes(raw[i])) {
        const q = raw[i++];
        let closed = false;
        // Copy runs between escapes in one slice.
        let run = i;
        while (i < n) {
          const c = raw[i];
          if (c === '\\' && i + 1 < n && (raw[i + 1] === q || raw[i + 1] === '\\')) {
            value += raw.slice(run, i) + raw[i + 1];
            i += 2;
            run = i;
          } else if (c === q) {
            value += raw.slice(run, i);
            i++;
            closed = true;
            break;
          } else i++;
        }
        if (!closed) return fail(`unterminated quoted value for key ${JSON.stringify(key)}`);
      } else {
        let end = raw.indexOf(pd, i);
        if (pd === ' ') {
          const tab = raw.indexOf('\t', i);
          if (tab !== -1 && (end === -1 || tab < end)) end = tab;
        }
        if (end === -1) end = n;
        value = raw.slice(i, end);
        i = end;
      }
      if (key !== '') {
        fields[key] = value;
        pairs++;
      }
      skipDelims();
    }
    if (pairs === 0) return fail('no key-value pairs found');
    return { ok: true, fields };
  } catch (err) {
    return fail(`kv parser error: ${(err as Error).message}`);
  }
}
