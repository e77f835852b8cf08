import type { AlertsService } from '../alerts/alerts.ts';
import { enrichAndRecord } from '../alerts/enrich.ts';
import type { JobContext, JobQueue } from '../platform/jobs/index.ts';
import type { Logger } from '../platform/log/index.ts';
import type { EnrichmentService } from './service.ts';

export const AUTO_ENRICH_JOB = 'enrichment.auto-alerts';

/**
 * Automatic enrichment of new alerts: a tenant setting (the ktip integration's
 * `autoEnrichNewAlerts`, off by default because it spends quota). New alerts are gathered for a
 * few milliseconds; for each tenant with the setting on, one durable job enriches the
 * observables of the batch (cache, coalescing and quota rules as for "Enrich now") and records
 * the results on the observables. Tenants without the setting cost one cached lookup per batch
 * and no job.
 */
export class AutoEnrichment {
  private pending = new Map<string, string[]>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly deps: { alerts: AlertsService; enrichment: EnrichmentService; jobs: JobQueue; logger: Logger; batchDelayMs?: number; maxBatch?: number }) {
    deps.jobs.register(AUTO_ENRICH_JOB, (ctx) => this.run(ctx as JobContext<{ tenantId: string; alertIds: string[] }>), { concurrency: 4 });
  }

  attach(): void {
    this.deps.alerts.onChange((e) => {
      if (e.kind === 'alert' && e.change === 'created') this.push(e.tenantId, e.id);
    });
  }

  push(tenantId: string, alertId: string): void {
    if (this.stopped) return;
    const list = this.pending.get(tenantId) ?? [];
    list.push(alertId);
    this.pending.set(tenantId, list);
    if (this.timer) return;
    this.timer = setTimeout(() => this.flush(), this.deps.batchDelayMs ?? 20);
  }

  /** Waits until every alert pushed so far has been considered (its job enqueued or not). */
  async drain(): Promise<void> {
    if (this.timer) this.flush();
    await this.flushing;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.pending;
    this.pending = new Map();
    this.flushing = this.flushing.then(() => this.enqueue(batch)).catch((err) => this.deps.logger.error({ err: (err as Error).message }, 'automatic enrichment could not be queued'));
  }

  private async enqueue(batch: Map<string, string[]>): Promise<void> {
    const max = this.deps.maxBatch ?? 500;
    for (const [tenantId, ids] of batch) {
      try {
        if (!(await this.deps.enrichment.autoEnrichEnabled(tenantId))) continue;
        for (let i = 0; i < ids.length; i += max) {
          const alertIds = ids.slice(i, i + max);
          // An alert is created once, so its id names exactly one batch.
          await this.deps.jobs.enqueue(AUTO_ENRICH_JOB, { tenantId, alertIds }, { tenantId, idempotencyKey: `${AUTO_ENRICH_JOB}:${alertIds[0]}`, maxAttempts: 3 });
        }
      } catch (err) {
        // One tenant's trouble (deleted meanwhile, database hiccup) does not cost the others theirs.
        this.deps.logger.warn({ tenantId, alerts: ids.length, err: (err as Error).message }, 'automatic enrichment was not queued');
      }
    }
  }

  private async run(ctx: JobContext<{ tenantId: string; alertIds: string[] }>): Promise<unknown> {
    const { tenantId, alertIds } = ctx.payload;
    // The setting may have been turned off since the alerts arrived.
    if (!(await this.deps.enrichment.autoEnrichEnabled(tenantId))) return { skipped: 'automatic enrichment is off' };
    const observables = await this.deps.alerts.observablesOf(tenantId, alertIds);
    const results = await enrichAndRecord(this.deps.alerts, this.deps.enrichment, tenantId, observables, { signal: ctx.signal });
    const count = (s: string) => results.filter((r) => r.status === s).length;
    return { alerts: alertIds.length, observables: observables.length, ok: count('ok'), cached: results.filter((r) => r.cached).length, errors: count('error'), notEnrichable: count('notEnrichable') };
  }
}
