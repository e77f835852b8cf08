// Generic normalizers shared by many catalogue entries, and helpers that build entries from them.
import type { NormalizerDef, MappingRule, ExtraRule } from '../normalize/definition.ts';
import type { CatalogueEntry, CatalogueSample } from './types.ts';

/** CEF, with or without a syslog prefix: header and every dictionary key mapped automatically. */
export const GENERIC_CEF: NormalizerDef = { id: 'generic-cef', name: '[OOTB] Syslog-CEF', parser: { kind: 'cef' }, autoMap: 'cef' };

/** LEEF 1.0/2.0 with the predefined attributes mapped automatically. */
export const GENERIC_LEEF: NormalizerDef = { id: 'generic-leef', name: 'LEEF', parser: { kind: 'leef' }, autoMap: 'leef' };

/** Syslog envelope fields every syslog-based normalizer maps. */
export const SYSLOG_ENVELOPE: MappingRule[] = [
  { source: 'hostname', target: 'DeviceHostName' },
  { source: 'appname', target: 'DeviceProcessName' },
  { source: 'procid', target: 'DeviceProcessID' },
  { source: 'timestamp', target: 'DeviceReceiptTime' },
  { source: 'facility', target: 'DeviceFacility' },
];

export function cefEntry(id: string, vendor: string, product: string, samples: CatalogueSample[]): CatalogueEntry {
  return { id, vendor, product, format: 'syslog CEF', normalizer: { ...GENERIC_CEF, id: `${id}-cef` }, samples };
}

export function leefEntry(id: string, vendor: string, product: string, samples: CatalogueSample[]): CatalogueEntry {
  return { id, vendor, product, format: 'syslog LEEF', normalizer: { ...GENERIC_LEEF, id: `${id}-leef` }, samples };
}

/**
 * Syslog envelope + one or more sub-parsers over the MSG part (regexp, kv, csv, json), each selected
 * by conditions, followed by a mapping table.
 */
export function syslogEntry(
  id: string,
  vendor: string,
  product: string,
  extra: ExtraRule[],
  mapping: MappingRule[],
  samples: CatalogueSample[],
  format = 'syslog',
): CatalogueEntry {
  return {
    id,
    vendor,
    product,
    format,
    normalizer: {
      id,
      name: `${vendor} ${product}`,
      parser: { kind: 'syslog' },
      extra,
      constants: { DeviceVendor: vendor, DeviceProduct: product },
      mapping: [...SYSLOG_ENVELOPE, ...mapping],
    },
    samples,
  };
}

/** A whole-line parser (JSON, regexp, kv, csv, xml) with a mapping table. */
export function lineEntry(
  id: string,
  vendor: string,
  product: string,
  parser: NormalizerDef['parser'],
  mapping: MappingRule[],
  samples: CatalogueSample[],
  format: string,
  extra?: ExtraRule[],
): CatalogueEntry {
  return {
    id,
    vendor,
    product,
    format,
    normalizer: { id, name: `${vendor} ${product}`, parser, extra, constants: { DeviceVendor: vendor, DeviceProduct: product }, mapping },
    samples,
  };
}

/** Shorthand for a regexp sub-rule over the syslog MSG. */
export function msgRegexp(pattern: string, when?: ExtraRule['when'], name?: string): ExtraRule {
  return { name, when, field: 'message', parser: { kind: 'regexp', options: { pattern } } };
}

/** Shorthand for a key-value sub-rule over the syslog MSG. */
export function msgKv(options: Record<string, unknown> = {}, when?: ExtraRule['when']): ExtraRule {
  return { when, field: 'message', parser: { kind: 'kv', options } };
}

export const m = (source: string | string[], target: string, conversions?: MappingRule['conversions']): MappingRule => ({ source, target, conversions });
