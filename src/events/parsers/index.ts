// One entry point for every parser kind: parse(kind, raw, options).
import { fail, type ParseResult } from '../types.ts';
import { parseSyslog, type SyslogOptions } from './syslog.ts';
import { parseCef, type CefOptions } from './cef.ts';
import { parseLeef, type LeefOptions } from './leef.ts';
import { parseJson, type JsonOptions } from './json.ts';
import { parseKv, type KvOptions } from './kv.ts';
import { parseCsv, type CsvOptions } from './csv.ts';
import { parseXml } from './xml.ts';
import { parseRegexp, type RegexpOptions } from './regexp.ts';

export type ParserKind = 'syslog' | 'cef' | 'leef' | 'json' | 'kv' | 'csv' | 'xml' | 'regexp';
export const PARSER_KINDS: readonly ParserKind[] = ['syslog', 'cef', 'leef', 'json', 'kv', 'csv', 'xml', 'regexp'];

export interface ParserOptionsByKind {
  syslog: SyslogOptions;
  cef: CefOptions;
  leef: LeefOptions;
  json: JsonOptions;
  kv: KvOptions;
  csv: CsvOptions;
  xml: Record<string, never>;
  regexp: RegexpOptions;
}

export function parse(kind: ParserKind, raw: string, options: Record<string, unknown> = {}): ParseResult {
  if (typeof raw !== 'string') return fail('raw event must be a string');
  switch (kind) {
    case 'syslog':
      return parseSyslog(raw, options as SyslogOptions);
    case 'cef':
      return parseCef(raw, options as CefOptions);
    case 'leef':
      return parseLeef(raw, options as LeefOptions);
    case 'json':
      return parseJson(raw, options as JsonOptions);
    case 'kv':
      return parseKv(raw, options as KvOptions);
    case 'csv':
      return parseCsv(raw, options as CsvOptions);
    case 'xml':
      return parseXml(raw);
    case 'regexp':
      if (typeof options.pattern !== 'string') return fail('regexp parser needs a pattern');
      return parseRegexp(raw, options as unknown as RegexpOptions);
    default:
      return fail(`unknown parser kind ${String(kind)}`);
  }
}

export { parseSyslog, parseCef, parseLeef, parseJson, parseKv, parseCsv, parseXml, parseRegexp };
