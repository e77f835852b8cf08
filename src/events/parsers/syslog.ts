// Syslog envelope parsers: a strict RFC 5424 scanner (go-syslog semantics) and a lenient
// parser that accepts RFC 5424 and RFC 3164 with the usual real-world deviations.
import { isIP } from 'node:net';
import { fail, tooLarge, type ParseResult, type Fields } from '../types.ts';

export interface SyslogOptions {
  /** Only RFC 5424, with every limit of the RFC enforced. */
  strict?: boolean;
  /** RFC 3164: a HOSTNAME follows the timestamp (default true). */
  expectHostname?: boolean;
  /** Strict mode: a MSG that starts with a BOM must be valid UTF-8 (go-syslog WithCompliantMsg). */
  compliantMsg?: boolean;
  /** Reference time for year-less RFC 3164 timestamps (default: now). */
  now?: Date;
  /** Minutes east of UTC for timestamps without a zone (default 0 = UTC). */
  defaultOffsetMinutes?: number;
  /** RFC 3164: a would-be hostname matching this is taken as the program instead (syslog-ng `bad-hostname`). */
  badHostname?: RegExp;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

function daysInMonth(y: number, m: number): number {
  return [31, y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
}

function isoFrom(y: number, mo: number, d: number, h: number, mi: number, s: number, micros: number, offsetMin: number): string {
  const ms = Date.UTC(y, mo - 1, d, h, mi, s) - offsetMin * 60000;
  const base = new Date(ms).toISOString().slice(0, 19);
  return `${base}.${String(micros).padStart(6, '0')}Z`;
}

function isPrintUsAscii(c: number): boolean {
  return c >= 33 && c <= 126;
}

/** Parses `<PRI>`; returns the value and the index after `>`. */
function readPri(s: string, strict: boolean): { pri: number; end: number } | string {
  if (s[0] !== '<') return 'expecting a priority value within angle brackets';
  let i = 1;
  while (i < s.length && i <= 4 && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
  const digits = s.slice(1, i);
  if (s[i] !== '>' || digits.length === 0 || digits.length > 3) return 'expecting a priority value in the range 1-191 or equal to 0';
  if (strict && digits.length > 1 && digits[0] === '0') return 'expecting a priority value in the range 1-191 or equal to 0';
  const pri = Number(digits);
  if (pri > 191) return 'expecting a priority value in the range 1-191 or equal to 0';
  return { pri, end: i + 1 };
}

interface Ts {
  iso: string;
  end: number;
}

// Sticky: matches exactly at lastIndex without slicing the input.
const RFC3339 = /(\d{4})-(\d{2})-(\d{2})([T ])(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,64}))?(Z|z|[+-]\d{2}:?\d{2})?/y;

/** RFC 3339 timestamp at `i`. Strict: ≤6 fraction digits, upper-case T/Z, zone required, real calendar date. */
function readRfc3339(s: string, i: number, strict: boolean, defaultOffset: number): Ts | null {
  RFC3339.lastIndex = i;
  const m = RFC3339.exec(s);
  if (!m) return null;
  if (strict && (m[4] !== 'T' || !m[9] || m[9] === 'z' || (m[8] !== undefined && m[8].length > 6) || !/^(Z|[+-]\d{2}:\d{2})$/.test(m[9]))) return null;
  const [y, mo, d, h, mi, sec] = [m[1], m[2], m[3], m[5], m[6], m[7]].map(Number);
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || sec > 60) return null;
  let offset = defaultOffset;
  if (m[9] && m[9].toUpperCase() !== 'Z') {
    const z = m[9].replace(':', '');
    const oh = Number(z.slice(1, 3));
    const om = Number(z.slice(3, 5));
    if (oh > 23 || om > 59) return null;
    offset = (z[0] === '-' ? -1 : 1) * (oh * 60 + om);
  } else if (m[9]) offset = 0;
  const frac = (m[8] ?? '').slice(0, 6).padEnd(6, '0');
  return { iso: isoFrom(y, mo, d, h, mi, Math.min(sec, 59), Number(frac), offset), end: RFC3339.lastIndex };
}

// ---------------------------------------------------------------- RFC 5424

/** End of an SD-NAME: printable US-ASCII except `=`, `]`, `"` and space. */
function sdNameEnd(s: string, i: number): number {
  const n = s.length;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c < 33 || c > 126 || c === 61 || c === 93 || c === 34) break;
    i++;
  }
  return i;
}

interface Sd {
  sd: Record<string, Record<string, string>> | null;
  end: number;
}

function readStructuredData(s: string, i: number, strict: boolean): Sd | string {
  if (s[i] === '-') return { sd: null, end: i + 1 };
  if (s[i] !== '[') return 'expecting a structured data section containing one or more elements or a nil value';
  const sd: Record<string, Record<string, string>> = {};
  while (s[i] === '[') {
    i++;
    let j = sdNameEnd(s, i);
    const id = s.slice(i, j);
    if (id.length === 0 || id.length > (strict ? 32 : 255)) return 'expecting a structured data element id';
    if (Object.prototype.hasOwnProperty.call(sd, id)) {
      if (strict) return 'duplicate structured data element id';
    }
    const params: Record<string, string> = sd[id] ?? {};
    i = j;
    for (;;) {
      if (s[i] === ']') {
        i++;
        break;
      }
      if (s[i] !== ' ') return 'expecting a structured data parameter';
      i++;
      while (!strict && s[i] === ' ') i++;
      if (!strict && s[i] === ']') {
        i++;
        break;
      }
      j = sdNameEnd(s, i);
      const name = s.slice(i, j);
      if (name.length === 0 || (strict && name.length > 32) || s[j] !== '=') return 'expecting a structured data parameter (`key="value"`)';
      j++;
      if (!strict) while (s[j] === ' ') j++; // VRL accepts `key= "value"`
      if (s[j] !== '"') return 'expecting a structured data parameter (`key="value"`)';
      j++;
      let value = '';
      // Copy runs between escapes in one slice instead of character by character.
      let run = j;
      for (;;) {
        if (j >= s.length) return 'unterminated structured data parameter value';
        const c = s.charCodeAt(j);
        if (c === 92) {
          const n = s[j + 1];
          if (n === '"' || n === '\\' || n === ']') {
            value += s.slice(run, j) + n;
            j += 2;
            run = j;
            continue;
          }
          if (strict) return 'expecting chars `]`, `"`, and `\\` to be escaped within param value';
          j++;
          continue;
        }
        if (c === 34) break;
        if (c === 93 && strict) return 'expecting chars `]`, `"`, and `\\` to be escaped within param value';
        j++;
      }
      value += s.slice(run, j);
      params[name] = value;
      i = j + 1;
      if (strict && s[i] !== ' ' && s[i] !== ']') return 'expecting a structured data parameter (`key="value"`)';
    }
    sd[id] = params;
  }
  return { sd, end: i };
}

/** Token of 1..max PRINTUSASCII characters or `-` (null). */
function readHeaderField(s: string, i: number, max: number, strict: boolean, what: string): { v: string | null; end: number } | string {
  let j = i;
  while (j < s.length && isPrintUsAscii(s.charCodeAt(j))) j++;
  const tok = s.slice(i, j);
  if (tok.length === 0 || (strict && tok.length > max) || (max === 255 && tok.length > 255)) return `expecting ${what} (from 1 to max ${max} US-ASCII characters) or a nil value`;
  if (s[j] !== ' ') return `expecting ${what} (from 1 to max ${max} US-ASCII characters) or a nil value`;
  return { v: tok === '-' ? null : tok, end: j + 1 };
}

function parse5424(s: string, opts: SyslogOptions, bytes?: Uint8Array): ParseResult {
  const strict = opts.strict ?? false;
  const pri = readPri(s, strict);
  if (typeof pri === 'string') return fail(pri);
  let i = pri.end;
  let j = i;
  while (j < s.length && j - i < 4 && s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57) j++;
  const vtxt = s.slice(i, j);
  if (vtxt.length === 0 || vtxt.length > 3 || vtxt[0] === '0') return fail('expecting a version value in the range 1-999');
  if (s[j] !== ' ') return fail('parsing error: expecting a space after the version');
  i = j + 1;
  let timestamp: string | null = null;
  if (s[i] === '-') {
    i++;
  } else {
    const ts = readRfc3339(s, i, strict, opts.defaultOffsetMinutes ?? 0);
    if (!ts) return fail('expecting a RFC3339MICRO timestamp or a nil value');
    timestamp = ts.iso;
    i = ts.end;
  }
  if (s[i] !== ' ') return fail('parsing error: expecting a space after the timestamp');
  i++;
  const host = readHeaderField(s, i, 255, strict, 'an hostname');
  if (typeof host === 'string') return fail(host);
  const app = readHeaderField(s, host.end, 48, strict, 'an app-name');
  if (typeof app === 'string') return fail(app);
  const proc = readHeaderField(s, app.end, 128, strict, 'a procid');
  if (typeof proc === 'string') return fail(proc);
  const msgid = readHeaderField(s, proc.end, 32, strict, 'a msgid');
  if (typeof msgid === 'string') return fail(msgid);
  let sd = readStructuredData(s, msgid.end, strict);
  // Lenient: a bracket block that is not shaped like SD (`[action:"Accept"; …]`) is message text.
  if (typeof sd === 'string' && !strict && s[msgid.end] === '[' && !/^\[[^\s="\]]+[ \]]/.test(s.slice(msgid.end, msgid.end + 300))) sd = { sd: null, end: msgid.end - 1 };
  if (typeof sd === 'string') return fail(sd);
  i = sd.end;
  let message: string | null = null;
  let messageBytes: Uint8Array | undefined;
  if (i < s.length) {
    if (s[i] !== ' ') return fail('parsing error: expecting a space before the message');
    i++;
    if (bytes) {
      const raw = bytes.subarray(i);
      const hasBom = raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf;
      try {
        message = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(raw);
      } catch {
        if (strict && opts.compliantMsg && hasBom) return fail('expecting a free-form optional message in UTF-8 (starting with or without BOM)');
        message = new TextDecoder('utf-8', { ignoreBOM: true }).decode(raw);
        messageBytes = raw;
      }
    } else message = s.slice(i);
    // Lenient mode drops the UTF-8 BOM that marks a UTF-8 MSG (syslog-ng); strict keeps it (go-syslog).
    if (!strict && message.charCodeAt(0) === 0xfeff) message = message.slice(1);
    if (message === '') message = null;
  }
  const f: Fields = {
    format: 'rfc5424',
    priority: pri.pri,
    facility: pri.pri >> 3,
    severity: pri.pri & 7,
    version: Number(vtxt),
    timestamp,
    hostname: host.v,
    appname: app.v,
    procid: proc.v,
    msgid: msgid.v,
    structuredData: sd.sd,
    message,
  };
  if (messageBytes) f.messageBytes = messageBytes;
  // The scanner ran over latin1 text (one char per byte); param values are UTF-8.
  if (bytes && sd.sd) for (const params of Object.values(sd.sd)) for (const k of Object.keys(params)) params[k] = Buffer.from(params[k], 'latin1').toString('utf8');
  return { ok: true, fields: f };
}

// ---------------------------------------------------------------- RFC 3164 (lenient)

const BSD_TS = /^([A-Za-z]{3}) +(\d{1,2})(?: +(\d{4}))? +(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d*))?(?: +(\d{4}))?:?(?= |$)/;

function readBsdTimestamp(s: string, i: number, opts: SyslogOptions): Ts | null {
  const m = BSD_TS.exec(s.slice(i, i + 48));
  if (!m) return null;
  const mo = MONTHS.indexOf(m[1].toLowerCase()) + 1;
  if (mo === 0) return null;
  const d = Number(m[2]);
  const [h, mi, sec] = [Number(m[4]), Number(m[5]), Number(m[6])];
  if (d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return null;
  const now = opts.now ?? new Date();
  let year = m[3] ? Number(m[3]) : m[8] ? Number(m[8]) : now.getUTCFullYear();
  // A December message read in January belongs to the previous year (VRL, syslog-ng).
  if (!m[3] && !m[8] && mo === 12 && now.getUTCMonth() === 0) year--;
  const micros = Number((m[7] ?? '').slice(0, 6).padEnd(6, '0'));
  return { iso: isoFrom(year, mo, Math.min(d, daysInMonth(year, mo)), h, mi, Math.min(sec, 59), micros, opts.defaultOffsetMinutes ?? 0), end: i + m[0].length };
}

const HOST_RE = /^[A-Za-z0-9._:\-]+$/;
const TAG_RE = /^([^\s\[:]+)(?:\[([^\]\s]*)\])?(:)?$/;

function parse3164(s: string, opts: SyslogOptions): ParseResult {
  let i = 0;
  let pri: number | null = null;
  if (s[0] === '<') {
    const p = readPri(s, false);
    if (typeof p === 'string') return fail(p);
    pri = p.pri;
    i = p.end;
  }
  while (s[i] === ' ') i++;
  // Cisco IOS prefixes: a sequence number `91: ` and `*` / `.` clock-sync markers.
  const seq = /^\d+: /.exec(s.slice(i, i + 16));
  if (seq) i += seq[0].length;
  if (s[i] === '*' || s[i] === '.') i++;
  let timestamp: string | null = null;
  const ts = readBsdTimestamp(s, i, opts) ?? readRfc3339(s, i, false, opts.defaultOffsetMinutes ?? 0);
  if (ts) {
    timestamp = ts.iso;
    i = ts.end;
    if (s[i] === ':') i++;
  }
  if (pri === null && timestamp === null) return fail('unable to parse input as valid syslog message: no PRI and no timestamp');
  while (s[i] === ' ') i++;
  const rest = s.slice(i);
  let hostname: string | null = null;
  let tagPart = rest;
  const sp1 = rest.indexOf(' ');
  const first = sp1 === -1 ? rest : rest.slice(0, sp1);
  const hostLike = first.length > 0 && ((!first.endsWith(':') && !first.includes('[') && HOST_RE.test(first) && !first.startsWith('%')) || isIP(first) !== 0);
  if ((opts.expectHostname ?? true) && sp1 !== -1 && hostLike && !(opts.badHostname && opts.badHostname.test(first))) {
    hostname = first;
    tagPart = rest.slice(sp1 + 1).replace(/^ +/, '');
  }
  // Cisco ASA with a hostname writes `host : %ASA-…`.
  if (tagPart.startsWith(': ')) tagPart = tagPart.slice(2);
  let appname: string | null = null;
  let procid: string | null = null;
  let message = tagPart;
  const sp2 = tagPart.indexOf(' ');
  const tagTok = sp2 === -1 ? tagPart : tagPart.slice(0, sp2);
  const tm0 = tagTok.length > 0 && tagTok.length <= 64 ? TAG_RE.exec(tagTok) : null;
  // After a hostname, a tag needs its `:` or `[pid]` (go-syslog); otherwise the word is message text.
  // Without a hostname the first word is the program (syslog-ng).
  const tm = tm0 && (tm0[2] !== undefined || tm0[3] !== undefined || sp2 === -1 || !(opts.expectHostname ?? true) || hostname === null) ? tm0 : null;
  if (tm) {
    appname = tm[1];
    procid = tm[2] ?? null;
    message = sp2 === -1 ? '' : tagPart.slice(sp2 + 1);
  } else if (tagTok.includes(':')) {
    // `prog:message` without a space after the colon.
    const c = tagTok.indexOf(':');
    const t2 = TAG_RE.exec(tagTok.slice(0, c + 1));
    if (t2) {
      appname = t2[1];
      procid = t2[2] ?? null;
      message = tagPart.slice(c + 1).replace(/^ /, '');
    }
  }
  return {
    ok: true,
    fields: {
      format: 'rfc3164',
      priority: pri,
      facility: pri === null ? null : pri >> 3,
      severity: pri === null ? null : pri & 7,
      timestamp,
      hostname,
      appname,
      procid,
      msgid: null,
      structuredData: null,
      message: message === '' ? null : message,
    },
  };
}

const RFC5424_START = /^<\d{1,3}>\d{1,3} /;

/**
 * Parses one syslog message. Lenient by default: RFC 5424 when the line looks like it
 * (`<PRI>VERSION `), falling back to RFC 3164 heuristics. `strict` enforces RFC 5424 only.
 * Accepts a Buffer so that non-UTF-8 message bytes can be checked (compliantMsg).
 */
export function parseSyslog(input: string | Uint8Array, opts: SyslogOptions = {}): ParseResult {
  try {
    let s: string;
    let bytes: Uint8Array | undefined;
    if (typeof input === 'string') s = input;
    else {
      bytes = input;
      s = Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('latin1');
    }
    const big = tooLarge(s);
    if (big) return big;
    if (opts.strict) return parse5424(s, opts, bytes);
    if (bytes) s = Buffer.from(bytes).toString('utf8');
    if (RFC5424_START.test(s)) {
      const r = parse5424(s, opts);
      if (r.ok) return r;
    }
    return parse3164(s, opts);
  } catch (err) {
    return fail(`syslog parser error: ${(err as Error).message}`);
  }
}

export const FACILITY_NAMES = ['kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp', 'ntp', 'security', 'console', 'solaris-cron', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7'];
export const SEVERITY_NAMES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];
