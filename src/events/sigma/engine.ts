// Evaluates compiled Sigma rules against events. Rules are routed by log source, and a literal
// pre-filter (Aho-Corasick over each rule's witnesses) skips rules that cannot match.
import { getPath } from '../types.ts';
import { evaluate, witnesses } from './condition.ts';
import { AhoCorasick } from './aho-corasick.ts';
import { mitreFromTags } from './mitre.ts';
import { eventStrings } from './detection.ts';
import type { EvalContext, LogSource, Match, Node, SigmaFilter, SigmaRule } from './types.ts';

export interface FieldMapping {
  /** Applies when every key given here equals the event's log source. */
  logsource: LogSource;
  /** Sigma field name → event field path(s); the first present one is used. */
  map?: Record<string, string | string[]>;
  /** For fields without an explicit map: also try `prefix + field` (e.g. `EventData.`). */
  prefixes?: string[];
}

/**
 * Sigma's Windows field names over the fields our XML parser produces (`System.*`, `EventData.*`)
 * and over Winlogbeat JSON (`winlog.event_data.*`).
 */
export const WINDOWS_FIELD_MAPPING: FieldMapping = {
  logsource: { product: 'windows' },
  map: {
    EventID: ['EventID', 'System.EventID', 'winlog.event_id'],
    Channel: ['Channel', 'System.Channel', 'winlog.channel'],
    Computer: ['Computer', 'System.Computer', 'winlog.computer_name'],
    Provider_Name: ['Provider_Name', 'System.Provider.Name', 'winlog.provider_name'],
    Security_UserID: ['Security_UserID', 'System.Security.UserID'],
  },
  prefixes: ['EventData.', 'UserData.', 'winlog.event_data.'],
};

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

/** Per-route pre-filter state of one rule (mutable scratch fields avoid allocations per event). */
interface Candidate {
  c: CompiledRule;
  /** Bit mask with one bit per witness group; the rule is a candidate when all bits are set. */
  full: number;
  mask: number;
  stamp: number;
  queued: number;
}

interface Route {
  rules: CompiledRule[];
  /** Rules without witnesses: always evaluated. */
  always: CompiledRule[];
  ac: AhoCorasick | null;
  /** literal index → (candidate, group bit) pairs. */
  literalRules: Array<Array<{ k: Candidate; bit: number }>>;
  resolve: FieldResolver;
}

/** Sigma field name → event paths for one route: explicit maps, then prefix fallbacks (cached). */
class FieldResolver {
  private readonly cache = new Map<string, string[] | null>();
  constructor(
    private readonly map: Record<string, string[]>,
    private readonly prefixes: string[],
  ) {}

  /** null = read the field name itself as a (dotted) path. */
  paths(field: string): string[] | null {
    let p = this.cache.get(field);
    if (p === undefined) {
      p = Object.prototype.hasOwnProperty.call(this.map, field) ? this.map[field] : this.prefixes.length ? [field, ...this.prefixes.map((x) => x + field)] : null;
      if (this.cache.size < 10000) this.cache.set(field, p);
    }
    return p;
  }
}

/** Evaluation context of one event: field lookups through the route's mapping, cached strings. */
class Ctx implements EvalContext {
  private cache: Map<string, readonly string[] | undefined> | null = null;
  private lowered: string[] | null = null;
  constructor(
    private readonly event: Record<string, unknown>,
    private readonly resolve: FieldResolver,
    readonly placeholders: Readonly<Record<string, readonly string[]>>,
  ) {}

  get(field: string): unknown {
    const paths = this.resolve.paths(field);
    if (paths === null) return getPath(this.event, field);
    for (let i = 0; i < paths.length; i++) {
      const v = getPath(this.event, paths[i]);
      if (v !== undefined) return v;
    }
    return undefined;
  }

  strings(field: string, lower: boolean): readonly string[] | undefined {
    const key = lower ? field : `\u0000${field}`;
    if (this.cache === null) this.cache = new Map();
    else if (this.cache.has(key)) return this.cache.get(key);
    let v = eventStrings(this.get(field));
    if (v !== undefined && lower) for (let i = 0; i < v.length; i++) v[i] = v[i].toLowerCase();
    this.cache.set(key, v);
    return v;
  }

  values(): string[] {
    if (this.lowered === null) {
      this.lowered = [];
      collectStrings(this.event, this.lowered, 0);
    }
    return this.lowered;
  }
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
  private stamp = 0;

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
    const prefixes: string[] = [];
    for (const fm of this.opts.fieldMappings ?? []) {
      if (!lsMatches(fm.logsource, ls)) continue;
      for (const [k, v] of Object.entries(fm.map ?? {})) map[k] = Array.isArray(v) ? v : [v];
      prefixes.push(...(fm.prefixes ?? []));
    }
    const resolve = new FieldResolver(map, prefixes);
    const always: CompiledRule[] = [];
    const literals: string[] = [];
    const literalRules: Route['literalRules'] = [];
    const index = new Map<string, number>();
    const usePrefilter = this.opts.prefilter !== false && this.opts.routing !== false;
    for (const c of rules) {
      const w = usePrefilter ? witnesses(c.node) : null;
      if (w === null || w.length === 0 || w.some((g) => g.length === 0)) {
        always.push(c);
        continue;
      }
      const k: Candidate = { c, full: (1 << w.length) - 1, mask: 0, stamp: 0, queued: 0 };
      w.forEach((group, gi) => {
        for (const lit of group) {
          let i = index.get(lit);
          if (i === undefined) {
            i = literals.length;
            index.set(lit, i);
            literals.push(lit);
            literalRules.push([]);
          }
          literalRules[i].push({ k, bit: 1 << gi });
        }
      });
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
    const ctx = new Ctx(event, route.resolve, this.placeholders);
    let candidates: CompiledRule[];
    if (route.ac) {
      const stamp = ++this.stamp;
      candidates = route.always.slice();
      const lists = route.literalRules;
      const values = ctx.values();
      const hit = (i: number) => {
        const list = lists[i];
        for (let j = 0; j < list.length; j++) {
          const e = list[j];
          const k = e.k;
          if (k.stamp !== stamp) {
            k.stamp = stamp;
            k.mask = 0;
          }
          k.mask |= e.bit;
          if (k.mask === k.full && k.queued !== stamp) {
            k.queued = stamp;
            candidates.push(k.c);
          }
        }
      };
      // Literals never span two values, so each value is scanned on its own.
      for (let i = 0; i < values.length; i++) route.ac.scan(values[i], hit);
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
