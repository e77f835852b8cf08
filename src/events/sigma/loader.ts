// Loads Sigma YAML (one or many documents): detection rules, correlation rules and filters.
// Every problem is reported as {rule, line, message} and the faulty document is skipped.
import { LineCounter, parseAllDocuments, isMap, type Document } from 'yaml';
import { compileSearch, DetectionError } from './detection.ts';
import { parseCondition } from './condition.ts';
import type { LoadError, LogSource, Node, SigmaCorrelation, SigmaFilter, SigmaRule } from './types.ts';

export interface LoadResult {
  rules: SigmaRule[];
  correlations: SigmaCorrelation[];
  filters: SigmaFilter[];
  errors: LoadError[];
}

const LEVELS = new Set(['informational', 'low', 'medium', 'high', 'critical']);
const MAX_YAML = 2 * 1024 * 1024;

function lineOf(doc: Document, lc: LineCounter, path: Array<string | number>): number {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    const pair = n > 0 ? findKeyNode(doc, path.slice(0, n)) : undefined;
    const off = pair ?? node?.range?.[0];
    if (off !== undefined) return lc.linePos(off).line;
  }
  return 1;
}

/** Offset of the key of the last path element (more useful than the value's position). */
function findKeyNode(doc: Document, path: Array<string | number>): number | undefined {
  const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
  if (!isMap(parent)) return undefined;
  const last = path[path.length - 1];
  for (const item of parent.items) {
    const k = item.key as { value?: unknown; range?: [number, number, number] } | null;
    if (k && k.value === last && k.range) return k.range[0];
  }
  return undefined;
}

function logsourceOf(v: unknown): LogSource {
  const ls = (v ?? {}) as Record<string, unknown>;
  const out: LogSource = {};
  for (const k of ['product', 'category', 'service'] as const) if (typeof ls[k] === 'string') out[k] = (ls[k] as string).toLowerCase();
  return out;
}

function parseTimespan(v: unknown): number | null {
  const m = /^(\d+)\s*([smhdw])$/.exec(String(v ?? '').trim());
  if (!m) return null;
  return Number(m[1]) * { s: 1000, m: 60000, h: 3600000, d: 86400000, w: 604800000 }[m[2] as 's' | 'm' | 'h' | 'd' | 'w'];
}

/** Compiles `detection` (selections + condition) into one node. */
function compileDetection(det: Record<string, unknown>, path: Array<string | number>): Node {
  const searches = new Map<string, Node>();
  for (const [name, def] of Object.entries(det)) {
    if (name === 'condition' || name === 'timeframe' || (path[0] === 'filter' && name === 'rules')) continue;
    searches.set(name, compileSearch(def, [...path, name]));
  }
  const cond = det.condition;
  const conds = Array.isArray(cond) ? cond : [cond];
  if (cond === undefined || conds.some((c) => typeof c !== 'string')) throw new DetectionError('detection.condition must be a string or a list of strings', [...path, 'condition']);
  const nodes: Node[] = [];
  for (const c of conds as string[]) {
    try {
      nodes.push(parseCondition(c, searches));
    } catch (err) {
      throw new DetectionError(`condition: ${(err as Error).message}`, [...path, 'condition']);
    }
  }
  return nodes.length === 1 ? nodes[0] : { t: 'or', c: nodes };
}

export function loadSigmaRules(yamlText: string, fileName: string): LoadResult {
  const out: LoadResult = { rules: [], correlations: [], filters: [], errors: [] };
  if (yamlText.length > MAX_YAML) {
    out.errors.push({ rule: fileName, line: 1, message: `file larger than ${MAX_YAML} bytes` });
    return out;
  }
  const lc = new LineCounter();
  let docs: Document[];
  try {
    docs = parseAllDocuments(yamlText, { lineCounter: lc, uniqueKeys: true, prettyErrors: false }) as Document[];
  } catch (err) {
    out.errors.push({ rule: fileName, line: 1, message: `YAML: ${(err as Error).message}` });
    return out;
  }
  if (!Array.isArray(docs)) docs = [docs as unknown as Document];
  docs.forEach((doc, index) => {
    let name = `${fileName}#${index + 1}`;
    const docLine = doc.contents?.range ? lc.linePos(doc.contents.range[0]).line : 1;
    if (doc.errors.length > 0) {
      for (const e of doc.errors) out.errors.push({ rule: name, line: e.linePos?.[0]?.line ?? docLine, message: `YAML: ${e.message.split('\n')[0]}` });
      return;
    }
    let y: Record<string, unknown> | null;
    try {
      y = doc.toJS({ maxAliasCount: 100 }) as Record<string, unknown> | null;
    } catch (e) {
      // e.g. an alias without its anchor, or an alias bomb beyond maxAliasCount
      out.errors.push({ rule: name, line: docLine, message: `YAML: ${(e as Error).message}` });
      return;
    }
    if (y === null || typeof y !== 'object' || Array.isArray(y)) {
      if (y !== null) out.errors.push({ rule: name, line: docLine, message: 'a Sigma document must be a map' });
      return;
    }
    const title = typeof y.title === 'string' ? y.title : undefined;
    const id = typeof y.id === 'string' ? y.id : typeof y.name === 'string' ? y.name : undefined;
    name = title ?? id ?? name;
    const err = (message: string, path: Array<string | number>) => out.errors.push({ rule: name, line: lineOf(doc, lc, path), message });
    if (!title) return void err('missing title', []);
    const level = typeof y.level === 'string' ? y.level.toLowerCase() : 'medium';
    if (!LEVELS.has(level)) return void err(`invalid level ${JSON.stringify(y.level)}`, ['level']);
    const tags = Array.isArray(y.tags) ? y.tags.map(String) : [];
    const common = { id: id ?? title, title, level, tags, fileName, line: docLine };
    try {
      if (y.correlation !== undefined) {
        const c = y.correlation as Record<string, unknown>;
        if (!c || typeof c !== 'object') return void err('correlation must be a map', ['correlation']);
        const type = String(c.type);
        if (!['event_count', 'value_count', 'temporal', 'temporal_ordered'].includes(type)) return void err(`unsupported correlation type ${JSON.stringify(c.type)}`, ['correlation', 'type']);
        const rules = Array.isArray(c.rules) ? c.rules.map(String) : typeof c.rules === 'string' ? [c.rules] : [];
        if (rules.length === 0) return void err('correlation.rules must list rule ids or names', ['correlation', 'rules']);
        const timespanMs = parseTimespan(c.timespan ?? c.timeframe);
        if (timespanMs === null) return void err(`invalid correlation.timespan ${JSON.stringify(c.timespan)}`, ['correlation', 'timespan']);
        let condition: SigmaCorrelation['condition'] = null;
        if (type === 'event_count' || type === 'value_count') {
          const cond = (c.condition ?? {}) as Record<string, unknown>;
          const op = Object.keys(cond).find((k) => ['gt', 'gte', 'lt', 'lte', 'eq', 'neq'].includes(k)) as NonNullable<SigmaCorrelation['condition']>['op'] | undefined;
          if (!op || typeof cond[op] !== 'number') return void err('correlation.condition needs one of gt/gte/lt/lte/eq/neq with a number', ['correlation', 'condition']);
          condition = { op, value: cond[op] as number };
          if (type === 'value_count' && typeof cond.field !== 'string' && typeof c.field !== 'string') return void err('value_count needs condition.field', ['correlation', 'condition']);
        }
        const cond = (c.condition ?? {}) as Record<string, unknown>;
        out.correlations.push({
          kind: 'correlation', ...common, name: typeof y.name === 'string' ? y.name : undefined,
          type: type as SigmaCorrelation['type'], rules,
          groupBy: Array.isArray(c['group-by']) ? (c['group-by'] as unknown[]).map(String) : typeof c['group-by'] === 'string' ? [c['group-by'] as string] : [],
          timespanMs, condition, field: typeof cond.field === 'string' ? cond.field : typeof c.field === 'string' ? c.field : undefined,
          aliases: (c.aliases ?? {}) as Record<string, Record<string, string>>, generate: c.generate === true,
        });
        return;
      }
      if (y.filter !== undefined) {
        const f = y.filter as Record<string, unknown>;
        if (!f || typeof f !== 'object') return void err('filter must be a map', ['filter']);
        const condition = compileDetection(f, ['filter']);
        out.filters.push({ kind: 'filter', ...common, logsource: logsourceOf(y.logsource), rules: Array.isArray(f.rules) ? f.rules.map(String) : typeof f.rules === 'string' ? [f.rules] : [], condition });
        return;
      }
      if (!y.detection || typeof y.detection !== 'object') return void err('missing detection', []);
      if (!y.logsource || typeof y.logsource !== 'object') return void err('missing logsource', []);
      const condition = compileDetection(y.detection as Record<string, unknown>, ['detection']);
      out.rules.push({
        kind: 'rule', ...common, name: typeof y.name === 'string' ? y.name : undefined, status: typeof y.status === 'string' ? y.status : undefined,
        logsource: logsourceOf(y.logsource), condition, falsepositives: Array.isArray(y.falsepositives) ? y.falsepositives.map(String) : undefined,
      });
    } catch (e) {
      if (e instanceof DetectionError) err(e.message, e.path);
      else err((e as Error).message, []);
    }
  });
  return out;
}
