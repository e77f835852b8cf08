export { loadSigmaRules, type LoadResult } from './loader.ts';
export { SigmaEngine, WINDOWS_FIELD_MAPPING, type SigmaEngineOptions, type FieldMapping } from './engine.ts';
export { CorrelationEngine, type CorrelationAlert, type CorrelationOptions, type CorrelationSnapshot } from './correlation.ts';
export { mitreFromTags } from './mitre.ts';
export type { SigmaRule, SigmaCorrelation, SigmaFilter, LoadError, Match, LogSource } from './types.ts';
