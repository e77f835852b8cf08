import type { Logger } from '../platform/log/index.ts';
import { SYSTEM_ACTOR } from '../platform/actor.ts';
import type { AlertsService } from '../alerts/alerts.ts';
import type { Jq, JqResult } from './jq.ts';
import type { Playbook, PlaybooksService } from './playbooks.ts';
import type { RunsService, StartRequest } from './runs.ts';

interface Change {
  kind: 'alert' | 'incident';
  tenantId: string;
  id: string;
}

/**
 * Evaluates the triggers of auto and training playbooks on every new and updated alert or
 * incident. Changes are gathered for a few milliseconds and each playbook's trigger runs once
 * over the whole batch in one jq run — that is what makes thousands of evaluations per second
 * possible with real jq. A trigger that fails at run time is recorded on its playbook and
 * never stops the others.
 */
export class TriggerEvaluator {
  private pending = new Map<string, Change>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private stopped = false;
  /** Evaluations done (items × playbooks), for metrics and benchmarks. */
  evaluations = 0;

  constructor(
    private readonly deps: { alerts: AlertsService; playbooks: PlaybooksService; runs: RunsService; jq: Jq; logger: Logger; batchDelayMs?: number; maxBatch?: number },
  ) {}

  attach(): void {
    this.deps.alerts.onChange((e) => this.push({ kind: e.kind, tenantId: e.tenantId, id: e.id }));
  }

  push(change: Change): void {
    if (this.stopped) return;
    this.pending.set(`${change.kind}:${change.id}`, change);
    if (this.pending.size >= (this.deps.maxBatch ?? 500)) this.schedule(0);
    else this.schedule(this.deps.batchDelayMs ?? 10);
  }

  private schedule(delay: number): void {
    if (this.timer && delay > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      const batch = [...this.pending.values()];
      this.pending.clear();
      this.flushing = this.flushing.then(() => this.evaluate(batch)).catch((err) => this.deps.logger.error({ err: (err as Error).message }, 'trigger evaluation failed'));
    }, delay);
  }

  /** Waits until every change pushed so far is evaluated (tests, shutdown). */
  async drain(): Promise<void> {
    while (this.timer || this.pending.size) {
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = null;
        const batch = [...this.pending.values()];
        this.pending.clear();
        this.flushing = this.flushing.then(() => this.evaluate(batch));
      }
      await this.flushing;
    }
    await this.flushing;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** Evaluates one batch: per (tenant, scope), each applicable playbook over all its items. */
  async evaluate(batch: Change[]): Promise<void> {
    const groups = new Map<string, Change[]>();
    for (const c of batch) {
      const key = `${c.tenantId}:${c.kind}`;
      groups.set(key, [...(groups.get(key) ?? []), c]);
    }
    for (const changes of groups.values()) {
      const { tenantId, kind } = changes[0];
      const playbooks = await this.deps.playbooks.applicable(tenantId, kind);
      if (playbooks.length === 0) continue;
      const items = await this.snapshots(tenantId, kind, changes.map((c) => c.id));
      if (items.length === 0) continue;
      await this.evaluateAll(playbooks, tenantId, items);
    }
  }

  /** Every playbook's trigger over every item in one jq run; per-playbook runs if that fails. */
  async evaluateAll(playbooks: Playbook[], tenantId: string, items: { id: string }[]): Promise<number> {
    let matrix;
    try {
      matrix = await this.deps.jq.evalAll(playbooks.map((p) => p.trigger!), items);
    } catch {
      let matched = 0;
      for (const playbook of playbooks) matched += await this.evaluatePlaybook(playbook, tenantId, items);
      return matched;
    }
    this.evaluations += items.length * playbooks.length;
    let matched = 0;
    for (let j = 0; j < playbooks.length; j++) {
      matched += await this.act(playbooks[j], tenantId, items, matrix.map((row) => row[j]));
    }
    return matched;
  }

  async evaluatePlaybook(playbook: Playbook, tenantId: string, items: { id: string }[]): Promise<number> {
    let results;
    try {
      results = await this.deps.jq.evalMany(playbook.trigger!, items);
    } catch (err) {
      await this.deps.playbooks.recordTriggerError(playbook.id, (err as Error).message);
      return 0;
    }
    this.evaluations += items.length;
    return this.act(playbook, tenantId, items, results);
  }

  /** Records trigger errors and starts a run for each match. */
  private async act(playbook: Playbook, tenantId: string, items: { id: string }[], results: (JqResult | undefined)[]): Promise<number> {
    const starts: StartRequest[] = [];
    for (let i = 0; i < items.length; i++) {
      const r = results[i];
      if (!r) continue;
      if (!r.ok) {
        await this.deps.playbooks.recordTriggerError(playbook.id, `on ${items[i].id}: ${r.error}`);
        continue;
      }
      if (r.values[0] !== true) continue;
      starts.push({ playbook, tenantId, itemId: items[i].id, trigger: playbook.mode === 'training' ? 'training' : 'auto', launcher: { ...SYSTEM_ACTOR, name: 'trigger' } });
    }
    await this.deps.runs.startMany(starts);
    return starts.length;
  }

  /** The item as the API shows it (the trigger's input). Items deleted meanwhile drop out. */
  private async snapshots(tenantId: string, kind: 'alert' | 'incident', ids: string[]): Promise<{ id: string }[]> {
    if (kind === 'alert') return this.deps.alerts.getMany(tenantId, ids);
    const out: { id: string }[] = [];
    for (const id of ids) {
      try {
        out.push(await this.deps.alerts.getIncident(tenantId, id));
      } catch {
        /* gone */
      }
    }
    return out;
  }
}
