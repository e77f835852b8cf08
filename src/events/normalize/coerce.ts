// Coercion of mapped values into the schema's types. Returns undefined when the value is invalid.
import { isIP } from 'node:net';
import type { FieldType } from './schema.ts';

const MONTHS: Record<string, number> = { jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11 };

/** Parses the timestamp shapes seen in logs; returns epoch milliseconds or undefined. */
export function parseTime(v: unknown, now: Date = new Date()): number | undefined {
  if (typeof v === 'number') return v > 1e11 ? v : v * 1000;
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  if (s === '') return undefined;
  if (/^\d{13}$/.test(s)) return Number(s);
  if (/^\d{10}(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  // ISO 8601 / RFC 3339, also with a space instead of T and without zone (taken as UTC).
  let m = /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:[.,](\d+))?\s*(Z|[+-]\d\d:?\d\d)?$/i.exec(s);
  if (m) {
    const ms = Number((m[7] ?? '').slice(0, 3).padEnd(3, '0'));
    let t = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], ms);
    if (m[8] && m[8].toUpperCase() !== 'Z') {
      const z = m[8].replace(':', '');
      t -= (z[0] === '-' ? -1 : 1) * (Number(z.slice(1, 3)) * 60 + Number(z.slice(3, 5))) * 60000;
    }
    return Number.isNaN(t) ? undefined : t;
  }
  // Apache/nginx: 10/Oct/2000:13:55:36 -0700
  m = /^(\d\d)\/([A-Za-z]{3})\/(\d{4}):(\d\d):(\d\d):(\d\d)(?:\s+([+-]\d{4}))?$/.exec(s);
  if (m && MONTHS[m[2].toLowerCase()] !== undefined) {
    let t = Date.UTC(+m[3], MONTHS[m[2].toLowerCase()], +m[1], +m[4], +m[5], +m[6]);
    if (m[7]) t -= (m[7][0] === '-' ? -1 : 1) * (Number(m[7].slice(1, 3)) * 60 + Number(m[7].slice(3, 5))) * 60000;
    return t;
  }
  // CEF / BSD: `Sep 07 2018 14:50:39(.123)( UTC)?` or `Sep  7 14:50:39`
  m = /^([A-Za-z]{3})\s+(\d{1,2})(?:\s+(\d{4}))?\s+(\d\d):(\d\d):(\d\d)(?:\.(\d{1,3}))?(?:\s+(?:UTC|GMT|Z))?$/.exec(s);
  if (m && MONTHS[m[1].toLowerCase()] !== undefined) {
    return Date.UTC(m[3] ? +m[3] : now.getUTCFullYear(), MONTHS[m[1].toLowerCase()], +m[2], +m[4], +m[5], +m[6], Number((m[7] ?? '0').padEnd(3, '0')));
  }
  // US style: 11/28/2026 10:00:00 and dotted European 28.11.2026 10:00:00
  m = /^(\d{1,2})([./])(\d{1,2})\2(\d{4})[ T](\d\d):(\d\d):(\d\d)$/.exec(s);
  if (m) {
    const [d, mo] = m[2] === '.' ? [+m[1], +m[3]] : [+m[3], +m[1]];
    return Date.UTC(+m[4], mo - 1, d, +m[5], +m[6], +m[7]);
  }
  return undefined;
}

function toInt(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : undefined;
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  if (/^[+-]?\d+$/.test(s)) return Number(s);
  if (/^0x[0-9a-f]+$/i.test(s)) return parseInt(s, 16);
  return undefined;
}

export function coerce(type: FieldType, v: unknown, maxLen = 4096): string | number | undefined {
  if (v === undefined || v === null) return undefined;
  switch (type) {
    case 'string': {
      const s = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
      return s.length > maxLen ? s.slice(0, maxLen) : s;
    }
    case 'int':
      return toInt(v);
    case 'float': {
      const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
      return Number.isFinite(n) ? n : undefined;
    }
    case 'port': {
      const n = toInt(v);
      return n !== undefined && n >= 0 && n <= 65535 ? n : undefined;
    }
    case 'address': {
      let s = String(v).trim();
      if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
      s = s.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');
      return s.length <= 45 && isIP(s) !== 0 ? s.toLowerCase() : undefined;
    }
    case 'mac': {
      const s = String(v).trim().toLowerCase().replace(/-/g, ':');
      return /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(s) ? s : undefined;
    }
    case 'time': {
      const t = parseTime(v);
      return t === undefined || Number.isNaN(t) ? undefined : new Date(t).toISOString();
    }
  }
}
