// Sigma correlation rules (event_count, value_count, temporal, temporal_ordered) over sliding
// windows, grouped by `group-by` fields (with per-rule aliases), with bounded state.
import { getPath } from '../types.ts';
import { mitreFromTags } from './mitre.ts';
import type { Match, SigmaCorrelation } from './types.ts';

export interface CorrelationAlert {
  correlationId: string;
  title: string;
  level: string;
  type: SigmaCorrelation['type'];
  tags: string[];
  techniques: string[];
  tactics: string[];
  groupBy: Record<string, string>;
  /** Events counted (event_count), distinct values (value_count) or rules seen (temporal). */
  value: number;
  startTime: number;
  endTime: number;
  /** The base matches in the window (the most recent ones, bounded). */
  matches: Match[];
}

export interface CorrelationOptions {
  /** Most groups kept per correlation rule; the least recently updated group is evicted. */
  maxGroups?: number;
  /** Most events kept per group; the oldest are dropped. */
  maxEventsPerGroup?: number;
  /** Most base matches attached to an alert. */
  maxMatchesPerAlert?: number;
}

interface Entry {
  time: number;
  rule: string;
  value?: string;
  match: Match;
  /** Identity of the base match (event id + rule) when the caller has one: a repeat is not counted twice. */
  id?: string;
}

/** One window entry in a snapshot: [time, rule, value, id, encoded match or null]. */
export type SnapshotEntry = [number, string, string | null, string | null, unknown];
/**
 * The windows of a CorrelationEngine as plain JSON, per correlation id, groups in least recently
 * updated order (so a restore keeps the eviction order). Restoring keeps only the correlations the
 * restoring engine still has.
 */
export interface CorrelationSnapshot {
  v: 1;
  c: Record<string, Array<[string, SnapshotEntry[]]>>;
}

export class CorrelationEngine {
  private readonly state = new Map<SigmaCorrelation, Map<string, Entry[]>>();
  private readonly maxGroups: number;
  private readonly maxEvents: number;
  private readonly maxMatches: number;
  /** Groups evicted because of the bounds (a metric for operators). */
  evicted = 0;

  constructor(
    private readonly correlations: SigmaCorrelation[],
    opts: CorrelationOptions = {},
  ) {
    this.maxGroups = opts.maxGroups ?? 100_000;
    this.maxEvents = opts.maxEventsPerGroup ?? 10_000;
    this.maxMatches = opts.maxMatchesPerAlert ?? 100;
    for (const c of correlations) this.state.set(c, new Map());
  }

  /**
   * Feeds one rule match observed at `time` (epoch ms); returns the correlation alerts it completes.
   * `id` identifies the base match (event + rule): a match whose id is already in its group's window
   * is ignored, so a redelivered match does not count twice.
   */
  push(match: Match, time: number, id?: string, depth = 0): CorrelationAlert[] {
    const alerts: CorrelationAlert[] = [];
    for (const corr of this.correlations) {
      const ref = corr.rules.find((r) => r === match.ruleId || (match.ruleName !== undefined && r === match.ruleName));
      if (!ref) continue;
      const group: Record<string, string> = {};
      let complete = true;
      for (const g of corr.groupBy) {
        // An alias maps the group-by name to each referenced rule's own field.
        const field = corr.aliases[g]?.[ref] ?? g;
        const v = getPath(match.event, field);
        if (v === undefined || v === null) {
          complete = false;
          break;
        }
        group[g] = String(v);
      }
      if (!complete) continue;
      const key = JSON.stringify(corr.groupBy.map((g) => group[g]));
      const groups = this.state.get(corr)!;
      let entries = groups.get(key);
      if (id !== undefined && entries?.some((e) => e.id === id)) continue;
      if (entries) groups.delete(key); // re-insert: Map order = least recently updated first
      else {
        entries = [];
        if (groups.size >= this.maxGroups) {
          const oldest = groups.keys().next().value as string;
          groups.delete(oldest);
          this.evicted++;
        }
      }
      groups.set(key, entries);
      const value = corr.field !== undefined ? getPath(match.event, corr.aliases[corr.field]?.[ref] ?? corr.field) : undefined;
      const entry: Entry = { time, rule: ref, value: value === undefined || value === null ? undefined : String(value), match, id };
      // Keep entries ordered by time; events mostly arrive in order, so this is usually a push.
      if (entries.length === 0 || entries[entries.length - 1].time <= time) entries.push(entry);
      else {
        let lo = 0;
        let hi = entries.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (entries[mid].time <= time) lo = mid + 1;
          else hi = mid;
        }
        entries.splice(lo, 0, entry);
      }
      // Sliding window: keep what is within timespan of the newest event.
      const newest = entries[entries.length - 1].time;
      let drop = 0;
      while (drop < entries.length && entries[drop].time < newest - corr.timespanMs) drop++;
      if (drop) entries.splice(0, drop);
      if (entries.length > this.maxEvents) entries.splice(0, entries.length - this.maxEvents);
      const result = this.check(corr, entries);
      if (result === null) continue;
      const alert: CorrelationAlert = {
        correlationId: corr.id, title: corr.title, level: corr.level, type: corr.type, tags: corr.tags, ...mitreFromTags(corr.tags),
        groupBy: group, value: result, startTime: entries[0].time, endTime: entries[entries.length - 1].time,
        matches: entries.slice(-this.maxMatches).map((e) => e.match),
      };
      alerts.push(alert);
      // The window starts afresh after an alert, so one burst yields one alert.
      groups.delete(key);
      // Chained correlations: a correlation can reference another one by id or name.
      if (depth < 3) {
        const asMatch: Match = { ruleId: corr.id, ruleName: corr.name, title: corr.title, level: corr.level, tags: corr.tags, techniques: alert.techniques, tactics: alert.tactics, logsource: match.logsource, event: { ...group } };
        alerts.push(...this.push(asMatch, time, undefined, depth + 1));
      }
    }
    return alerts;
  }

  private check(corr: SigmaCorrelation, entries: Entry[]): number | null {
    const cmp = (n: number) => {
      const c = corr.condition!;
      switch (c.op) {
        case 'gt': return n > c.value;
        case 'gte': return n >= c.value;
        case 'lt': return n < c.value;
        case 'lte': return n <= c.value;
        case 'eq': return n === c.value;
        case 'neq': return n !== c.value;
      }
    };
    switch (corr.type) {
      case 'event_count':
        return cmp(entries.length) ? entries.length : null;
      case 'value_count': {
        const n = new Set(entries.map((e) => e.value).filter((v) => v !== undefined)).size;
        return cmp(n) ? n : null;
      }
      case 'temporal': {
        const seen = new Set(entries.map((e) => e.rule));
        return corr.rules.every((r) => seen.has(r)) ? seen.size : null;
      }
      case 'temporal_ordered': {
        let i = 0;
        for (const e of entries) if (e.rule === corr.rules[i]) i++;
        return i >= corr.rules.length ? corr.rules.length : null;
      }
    }
  }

  /**
   * The windows as JSON-able data. `encode` turns a stored match into what the snapshot keeps; it is
   * told whether the entry is among the group's `recent` newest ones (the only ones an alert shows),
   * so older entries can be kept as bare counts. `maxGroups` keeps only the most recently updated
   * groups of each correlation (to fit a size limit).
   */
  snapshot(encode: (m: Match, recent: boolean) => unknown, recent = 20, maxGroups = Infinity): CorrelationSnapshot {
    const c: CorrelationSnapshot['c'] = {};
    for (const [corr, groups] of this.state) {
      if (groups.size === 0) continue;
      const list: Array<[string, SnapshotEntry[]]> = [];
      let skip = groups.size - maxGroups;
      for (const [key, entries] of groups) {
        if (skip-- > 0) continue;
        list.push([key, entries.map((e, i) => [e.time, e.rule, e.value ?? null, e.id ?? null, encode(e.match, i >= entries.length - recent)])]);
      }
      c[corr.id] = list;
    }
    return { v: 1, c };
  }

  /**
   * Replaces every window with those in `snap`: correlations it does not name start empty, unknown
   * ids and malformed parts are skipped. Returns the groups restored.
   */
  restore(snap: CorrelationSnapshot, decode: (x: unknown, rule: string) => Match): number {
    let n = 0;
    for (const groups of this.state.values()) groups.clear();
    if (!snap || snap.v !== 1 || typeof snap.c !== 'object' || snap.c === null) return 0;
    for (const [corr, groups] of this.state) {
      const list = snap.c[corr.id];
      if (!Array.isArray(list)) continue;
      for (const g of list.slice(-this.maxGroups)) {
        if (!Array.isArray(g) || typeof g[0] !== 'string' || !Array.isArray(g[1])) continue;
        const entries: Entry[] = [];
        for (const e of g[1].slice(-this.maxEvents)) {
          if (!Array.isArray(e) || typeof e[0] !== 'number' || typeof e[1] !== 'string') continue;
          entries.push({ time: e[0], rule: e[1], value: typeof e[2] === 'string' ? e[2] : undefined, id: typeof e[3] === 'string' ? e[3] : undefined, match: decode(e[4], e[1]) });
        }
        if (entries.length) (groups.set(g[0], entries), n++);
      }
    }
    return n;
  }

  /** Number of live groups (for metrics and tests of the bounds). */
  groupCount(): number {
    let n = 0;
    for (const g of this.state.values()) n += g.size;
    return n;
  }
}
