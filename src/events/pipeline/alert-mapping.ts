// Sigma match (or correlation) + the normalized event(s) → an AlertInput for the alerts module.
import type { AlertInput, ObservableInput, Severity } from '../../alerts/types.ts';
import { normalizeObservable, type ObservableType } from '../../alerts/observables.ts';
import type { CorrelationAlert, Match } from '../sigma/index.ts';

/**
 * Deduplication window: every match of one rule for one group (the attacking address, else the
 * reporting host) within the same 5-minute slot maps to the same alert sourceId, so a noisy rule
 * yields one alert per group and slot instead of a flood. Later matches in the slot find the
 * alert existing (createAlerts is idempotent by source + sourceId) and are counted, not added.
 */
export const DEDUPE_WINDOW_MS = 5 * 60_000;
const MAX_EVENTS_PER_ALERT = 20;

export function severityOf(level: string): Severity {
  switch (level) {
    case 'critical':
      return 'critical';
    case 'high':
      return 'high';
    case 'medium':
      return 'medium';
    default:
      return 'low'; // informational, low
  }
}

const HASH_TYPES: Record<number, ObservableType> = { 32: 'md5', 40: 'sha1', 64: 'sha256' };

/** Observables a responder pivots on, taken from the normalized fields; invalid values are skipped, not fatal. */
export function observablesOf(event: Record<string, unknown>): ObservableInput[] {
  const out: ObservableInput[] = [];
  const seen = new Set<string>();
  const add = (type: ObservableType | undefined, v: unknown) => {
    if (!type || typeof v !== 'string' || v === '') return;
    let value: string;
    try {
      value = normalizeObservable(type, v);
    } catch {
      return;
    }
    const key = `${type}\u0000${value}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ type, value });
  };
  add('ip', event.SourceAddress);
  add('ip', event.DestinationAddress);
  add('domain', event.DestinationHostName);
  add('url', event.RequestUrl);
  if (typeof event.FileHash === 'string') add(HASH_TYPES[event.FileHash.length], event.FileHash);
  add('userName', event.SourceUserName);
  add('userName', event.DestinationUserName);
  return out;
}

/** Who the alert is about, for the dedupe key. */
export function groupOf(event: Record<string, unknown>): string {
  for (const k of ['SourceAddress', 'DeviceHostName', 'DeviceAddress']) if (typeof event[k] === 'string' && event[k]) return event[k] as string;
  return '-';
}

const slot = (time: number) => Math.floor(time / DEDUPE_WINDOW_MS) * DEDUPE_WINDOW_MS;

export interface MatchContext {
  /** The normalized event the match was evaluated on. */
  event: Record<string, unknown>;
  time: number;
  collectorId: string;
  sourceId: string;
}

export function alertFromMatch(m: Match, ctx: MatchContext): AlertInput {
  const window = slot(ctx.time);
  const group = groupOf(ctx.event);
  return {
    title: m.title,
    severity: severityOf(m.level),
    source: 'sigma',
    sourceId: `${m.ruleId}|${window}|${group}`,
    rules: [m.title, m.ruleId],
    techniques: m.techniques,
    tactics: m.tactics,
    firstEventAt: new Date(ctx.time).toISOString(),
    lastEventAt: new Date(ctx.time).toISOString(),
    observables: observablesOf(ctx.event),
    events: [ctx.event],
    additionalData: { sigma: { ruleId: m.ruleId, level: m.level, window: new Date(window).toISOString(), group, collectorId: ctx.collectorId, eventSource: ctx.sourceId } },
  };
}

/** `normalizedOf` maps a base match's original fields back to the normalized event. */
export function alertFromCorrelation(c: CorrelationAlert, normalizedOf: (original: Record<string, unknown>) => Record<string, unknown> | undefined): AlertInput {
  const events = c.matches.map((m) => normalizedOf(m.event) ?? m.event).slice(-MAX_EVENTS_PER_ALERT);
  const observables: ObservableInput[] = [];
  const seen = new Set<string>();
  for (const e of events) for (const o of observablesOf(e)) if (!seen.has(`${o.type}\u0000${o.value}`)) (seen.add(`${o.type}\u0000${o.value}`), observables.push(o));
  const group = JSON.stringify(c.groupBy);
  return {
    title: c.title,
    severity: severityOf(c.level),
    source: 'sigma',
    sourceId: `${c.correlationId}|${slot(c.startTime)}|${group}`,
    rules: [c.title, c.correlationId],
    techniques: c.techniques,
    tactics: c.tactics,
    firstEventAt: new Date(c.startTime).toISOString(),
    lastEventAt: new Date(c.endTime).toISOString(),
    observables,
    events,
    additionalData: { sigma: { correlationId: c.correlationId, type: c.type, level: c.level, groupBy: c.groupBy, value: c.value } },
  };
}
