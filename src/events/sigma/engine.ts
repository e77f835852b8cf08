// Evaluates compiled Sigma rules against events. Rules are routed by log source, and a literal
// pre-filter (Aho-Corasick over each rule's witnesses) skips rules that cannot match.
import { getPath } from '../types.ts';
import { evaluate, witnesses } from './condition.ts';
import { AhoCorasick } from './aho-corasick.ts';
import { mitreFromTags } from './mitre.ts';
import type { EvalContext, LogSource, Match, Node, SigmaFilter, SigmaRule } from './types.ts';

export interface FieldMapping {
  /** Applies when every key given here equals the event's log source. */
  logsource: LogSource;
  /** Sigma field name → event field path(s); the first present one is used. */
  map: Record<string, string | string[]>;
}

export interface SigmaEngineOptions {
  fieldMappings?: FieldMapping[];
  /** Values for `|expand` placeholders, e.g. { Admins: ['admin', 'root'] }. */
  placeholders?: Record<string, string[]>;
  filters?: SigmaFilter[];
  /** false = evaluate every rule against every event (the naive baseline; for benchmarks). */
  routing?: boolean;
  prefilter?: boolean;
}

interface CompiledRule {
  rule: SigmaRule;
  node: Node;
  techniques: string[];
  tactics: string[];
}

interface Route {
  rules: CompiledRule[];
  /** Rules without witnesses: always evaluated. */
  always: CompiledRule[];
  ac: AhoCorasick | null;
  /** literal index → rules that list it. */
  literalRules: CompiledRule[][];
  resolve: (field: string) => string[];
}

function lsMatches(want: LogSource, have: LogSource): boolean {
  for (const k of ['product', 'category', 'service'] as const) if (want[k] !== undefined && want[k] !== have[k]) return false;
  return true;
}

function collectStrings(v: unknown, out: string[], depth: number): void {
  if (v === null || v === undefined || depth > 16) return;
  if (typeof v === 'string') out.push(v.toLowerCase());
  else if (typeof v === 'number' || typeof v === 'boolean') out.push(String(v));
  else if (Array.isArray(v)) for (const x of v) collectStrings(x, out, depth + 1);
  else if (typeof v === 'object' && !(v instanceof Uint8Array)) for (const x of Object.values(v)) collectStrings(x, out, depth + 1);
}

export class SigmaEngine {
  private readonly compiled: CompiledRule[];
  private readonly routes = new Map<string, Route>();
  private readonly opts: SigmaEngineOptions;
  private readonly placeholders: Readonly<Record<string, readonly string[]>>;

  constructor(rules: SigmaRule[], opts: SigmaEngineOptions = {}) {
    this.opts = opts;
    this.placeholders = Object.freeze({ ...(opts.placeholders ?? {}) });
    const filters = opts.filters ?? [];
    this.compiled = rules.map((rule) => {
      // Meta filters: `rule and not filter` for every filter that names the rule (or all, if none named).
      const applicable = filters.filter((f) => lsMatches(f.logsource, rule.logsource) && (f.rules.length === 0 || f.rules.includes(rule.id) || (rule.name !== undefined && f.rules.includes(rule.name))));
      const node: Node = applicable.length === 0 ? rule.condition : { t: 'and', c: [rule.condition, ...applicable.map((f): Node => ({ t: 'not', c: f.condition }))] };
      return { rule, node, ...mitreFromTags(rule.tags) };
    });
  }

  get size(): number {
    return this.compiled.length;
  }

  private route(ls: LogSource): Route {
    const key = `${ls.product ?? ''}|${ls.category ?? ''}|${ls.service ?? ''}`;
    let r = this.routes.get(key);
    if (r) return r;
    const rules = this.opts.routing === false ? this.compiled : this.compiled.filter((c) => lsMatches(c.rule.logsource, ls));
    const map: Record<string, string[]> = {};
    for (const fm of this.opts.fieldMappings ?? []) {
      if (!lsMatches(fm.logsource, ls)) continue;
      for (const [k, v] of Object.entries(fm.map)) map[k] = Array.isArray(v) ? v : [v];
    }
    const resolve = (field: string) => map[field] ?? [field];
    const always: CompiledRule[] = [];
    const literals: string[] = [];
    const literalRules: CompiledRule[][] = [];
    const index = new Map<string, number>();
    const usePrefilter = this.opts.prefilter !== false && this.opts.routing !== false;
    for (const c of rules) {
      const w = usePrefilter ? witnesses(c.node) : null;
      if (w === null) {
        always.push(c);
        continue;
      }
      for (const lit of w) {
        let i = index.get(lit);
        if (i === undefined) {
          i = literals.length;
          index.set(lit, i);
          literals.push(lit);
          literalRules.push([]);
        }
        literalRules[i].push(c);
      }
    }
    r = { rules, always, ac: literals.length ? new AhoCorasick(literals) : null, literalRules, resolve };
    if (this.routes.size > 1000) this.routes.clear();
    this.routes.set(key, r);
    return r;
  }

  /** Every rule that matches `event` (the original/source fields) for its log source. */
  evaluate(event: Record<string, unknown>, logsource: LogSource = {}): Match[] {
    const ls: LogSource = {
      product: logsource.product?.toLowerCase(),
      category: logsource.category?.toLowerCase(),
      service: logsource.service?.toLowerCase(),
    };
    const route = this.route(ls);
    if (route.rules.length === 0) return [];
    let lowered: string[] | null = null;
    const values = () => {
      if (lowered === null) {
        lowered = [];
        collectStrings(event, lowered, 0);
      }
      return lowered;
    };
    const ctx: EvalContext = {
      get: (field) => {
        for (const p of route.resolve(field)) {
          const v = getPath(event, p);
          if (v !== undefined) return v;
        }
        return undefined;
      },
      values,
      placeholders: this.placeholders,
    };
    let candidates: Iterable<CompiledRule>;
    if (route.ac) {
      const set = new Set<CompiledRule>(route.always);
      const hay = values().join('\n');
      route.ac.scan(hay, (i) => {
        for (const c of route.literalRules[i]) set.add(c);
      });
      candidates = set;
    } else candidates = route.always;
    const out: Match[] = [];
    for (const c of candidates) {
      if (!evaluate(c.node, ctx)) continue;
      out.push({
        ruleId: c.rule.id, ruleName: c.rule.name, title: c.rule.title, level: c.rule.level, tags: c.rule.tags,
        techniques: c.techniques, tactics: c.tactics, logsource: ls, event,
      });
    }
    return out;
  }
}
