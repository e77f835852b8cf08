// Public API of the event library (pure: no I/O, no server, no database).
//
// Parsing:        parse(kind, raw, options) → {ok, fields} | {ok:false, error}; never throws.
//                 SyslogFrameSplitter splits RFC 6587 TCP streams (octet counting / newline).
// Normalizing:    normalize(normalizer, raw) → {ok, event, original, warnings} | {ok:false, error}.
//                 validateNormalizer(json) checks a definition and names the failing path.
// Catalogue:      catalogue (more than 100 sources, each with samples), findSource(id).
// Sigma:          loadSigmaRules(yamlText, fileName) → {rules, correlations, filters, errors:[{rule,line,message}]}
//                 new SigmaEngine(rules, {fieldMappings, placeholders, filters}).evaluate(event, logsource) → Match[]
//                 new CorrelationEngine(correlations).push(match, timeMs) → CorrelationAlert[]
// Formats and decisions: docs/events.md.

export type { Fields, ParseResult, Parser } from './types.ts';
export { MAX_EVENT_CHARS, getPath } from './types.ts';
export { parse, PARSER_KINDS, type ParserKind } from './parsers/index.ts';
export { parseSyslog, FACILITY_NAMES, SEVERITY_NAMES, type SyslogOptions } from './parsers/syslog.ts';
export { SyslogFrameSplitter, type FramingOptions } from './parsers/framing.ts';
export { normalize, type NormalizeResult } from './normalize/normalizer.ts';
export { validateNormalizer, type NormalizerDef, type MappingRule, type ExtraRule, type Condition, type ParserSpec } from './normalize/definition.ts';
export { SCHEMA, type NormalizedEvent, type FieldType } from './normalize/schema.ts';
export type { Conversion } from './normalize/conversions.ts';
export { catalogue, findSource, GENERIC_CEF, GENERIC_LEEF, type CatalogueEntry, type CatalogueSample } from './catalogue/index.ts';
export {
  loadSigmaRules,
  SigmaEngine,
  WINDOWS_FIELD_MAPPING,
  CorrelationEngine,
  mitreFromTags,
  type LoadResult,
  type SigmaEngineOptions,
  type FieldMapping,
  type CorrelationAlert,
  type CorrelationOptions,
  type SigmaRule,
  type SigmaCorrelation,
  type SigmaFilter,
  type LoadError,
  type Match,
  type LogSource,
} from './sigma/index.ts';
