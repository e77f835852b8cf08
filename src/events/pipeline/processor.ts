// Raw events → normalizer (per-source-IP override, else the collector's default catalogue source)
// → stored in batches → Sigma and correlation per tenant → alerts. Never throws per event: a bad
// line is a counted parse error, a failing alert write is logged and counted.
import type { Logger } from '../../platform/log/index.ts';
import { newId } from '../../platform/ids.ts';
import type { AlertInput } from '../../alerts/types.ts';
import type { AlertsService } from '../../alerts/alerts.ts';
import { findSource } from '../catalogue/index.ts';
import { normalize } from '../normalize/normalizer.ts';
import type { EngineCache } from '../rules/engines.ts';
import type { Collector } from '../store/collectors.ts';
import type { EventStore } from '../store/events.ts';
import type { EventRow } from '../store/tables.ts';
import type { Match } from '../sigma/index.ts';
import { alertFromCorrelation, alertFromMatch } from './alert-mapping.ts';
import { logSourceFor } from './logsource.ts';
import type { PipelineMetrics } from './metrics.ts';
import type { RawEvent } from './queue.ts';

export const SIGMA_ACTOR = { kind: 'system' as const, id: null, name: 'sigma detection' };
const TIME_FIELDS = ['DeviceReceiptTime', 'StartTime', 'Timestamp', 'EndTime'];
/** Raw text kept with each event, bounded so one huge line cannot bloat the table. */
const MAX_RAW_CHARS = 65_536;

export interface ProcessorDeps {
  store: EventStore;
  engines: EngineCache;
  alerts: AlertsService;
  metrics: PipelineMetrics;
  logger: Logger;
  /** Collector definitions by id (the listener's copy; changes replace it). */
  collector(id: string): Collector | undefined;
  /**
   * Bus workers: matches of rules a correlation references are handed here (resolving once they
   * are safely on the bus) instead of this process's own correlation windows, because one process
   * (the correlator) must see all of a tenant's matches. A rejection fails the batch so it is retried.
   */
  forwardCorrelation?(feeds: CorrelationFeed[]): Promise<void>;
}

/** A base-rule match that feeds a correlation, with what the correlator needs to raise its alert. */
export interface CorrelationFeed {
  tenantId: string;
  /** The stored event's id: with the rule id, the match's identity (redeliveries count once). */
  eventId: string;
  time: number;
  match: Match;
  /** The normalized event (the alert's observables and events come from it). */
  normalized: Record<string, unknown>;
}

export interface BatchResult {
  accepted: number;
  stored: number;
  parseErrors: number;
  alerts: number;
}

function eventTime(event: Record<string, unknown>, fallback: number): number {
  for (const f of TIME_FIELDS) {
    const v = event[f];
    if (typeof v === 'string') {
      const t = Date.parse(v);
      if (Number.isFinite(t)) return t;
    } else if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return fallback;
}

export class Processor {
  constructor(private readonly deps: ProcessorDeps) {}

  /** Processes one batch to the end: when this resolves the events are stored and evaluated. */
  async process(batch: RawEvent[]): Promise<BatchResult> {
    const { metrics } = this.deps;
    const rows: EventRow[] = [];
    const evaluated: Array<{ row: EventRow; event: Record<string, unknown>; original: Record<string, unknown>; sourceId: string; collectorId: string; tenantId: string; receivedAt: number }> = [];
    let parseErrors = 0;
    for (const raw of batch) {
      const collector = this.deps.collector(raw.collectorId);
      if (!collector) continue; // deleted while queued
      const sourceId = collector.sourceOverrides[raw.sourceIp] ?? collector.defaultSource;
      const source = findSource(sourceId);
      const result = source ? normalize(source.normalizer, raw.raw) : ({ ok: false, error: `unknown source ${sourceId}` } as const);
      if (!result.ok) {
        parseErrors++;
        metrics.countParseError(raw.collectorId);
        continue;
      }
      const event = result.event as Record<string, unknown>;
      const row: EventRow = {
        id: raw.id ?? newId(),
        tenant_id: raw.tenantId,
        collector_id: raw.collectorId,
        source_id: sourceId,
        time: eventTime(event, raw.receivedAt),
        received_at: raw.receivedAt,
        fields: JSON.stringify(event),
        original: JSON.stringify(result.original),
        raw: raw.raw.length > MAX_RAW_CHARS ? raw.raw.slice(0, MAX_RAW_CHARS) : raw.raw,
      };
      rows.push(row);
      evaluated.push({ row, event, original: result.original, sourceId, collectorId: raw.collectorId, tenantId: raw.tenantId, receivedAt: raw.receivedAt });
    }
    // Stored first: detection reads nothing from the table, but an alert must never point at an event that was lost.
    await this.deps.store.insert(rows);
    const storedPer = new Map<string, number>();
    for (const e of evaluated) storedPer.set(e.collectorId, (storedPer.get(e.collectorId) ?? 0) + 1);
    for (const [id, n] of storedPer) metrics.countStored(id, n);

    const alerts = await this.detect(evaluated);
    const done = Date.now();
    for (const e of evaluated) metrics.observeLatency(e.collectorId, done - e.receivedAt);
    return { accepted: batch.length, stored: rows.length, parseErrors, alerts };
  }

  private async detect(items: Array<{ row: EventRow; event: Record<string, unknown>; original: Record<string, unknown>; sourceId: string; collectorId: string; tenantId: string }>): Promise<number> {
    const { metrics } = this.deps;
    const perTenant = new Map<string, Map<string, { input: AlertInput; collectorId: string }>>();
    const normalizedOf = new WeakMap<object, Record<string, unknown>>();
    const forward = this.deps.forwardCorrelation;
    const feeds: CorrelationFeed[] = [];
    const add = (tenantId: string, collectorId: string, input: AlertInput) => {
      let m = perTenant.get(tenantId);
      if (!m) perTenant.set(tenantId, (m = new Map()));
      // One alert per sourceId per batch; the rest of the batch's matches count as deduplicated.
      if (m.has(input.sourceId!)) metrics.of(collectorId).alertsDeduped++;
      else m.set(input.sourceId!, { input, collectorId });
    };
    for (const it of items) {
      let detection;
      try {
        detection = await this.deps.engines.get(it.tenantId);
      } catch (err) {
        this.deps.logger.error({ err, tenantId: it.tenantId }, 'detection rules could not be compiled');
        continue;
      }
      if (detection.ruleCount === 0) continue;
      normalizedOf.set(it.original, it.event);
      const matches = detection.sigma.evaluate(it.original, logSourceFor(it.sourceId, it.original));
      for (const m of matches) {
        metrics.of(it.collectorId).matches++;
        const silent = detection.silent.has(m.ruleId) || (m.ruleName !== undefined && detection.silent.has(m.ruleName));
        if (!silent) add(it.tenantId, it.collectorId, alertFromMatch(m, { event: it.event, time: it.row.time, collectorId: it.collectorId, sourceId: it.sourceId }));
        if (forward) {
          if (detection.correlated.has(m.ruleId) || (m.ruleName !== undefined && detection.correlated.has(m.ruleName))) feeds.push({ tenantId: it.tenantId, eventId: it.row.id, time: it.row.time, match: m, normalized: it.event });
        } else for (const c of detection.correlation?.push(m, it.row.time) ?? []) add(it.tenantId, it.collectorId, alertFromCorrelation(c, (o) => normalizedOf.get(o)));
      }
    }
    // Before the base alerts: a failure here must fail the batch (redelivered, republished under the same ids).
    if (feeds.length) await forward!(feeds);
    let created = 0;
    for (const [tenantId, inputs] of perTenant) {
      const list = [...inputs.values()];
      try {
        const res = await this.deps.alerts.createAlerts(tenantId, list.map((l) => l.input), SIGMA_ACTOR);
        res.forEach((r, i) => {
          const m = metrics.of(list[i].collectorId);
          if (r.created) (m.alertsCreated++, created++);
          else m.alertsDeduped++;
        });
      } catch (err) {
        for (const l of list) metrics.of(l.collectorId).alertErrors++;
        this.deps.logger.error({ err, tenantId, count: list.length }, 'alerts from Sigma matches could not be written');
      }
    }
    return created;
  }
}
