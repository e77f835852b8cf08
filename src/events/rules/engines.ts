// One compiled SigmaEngine + CorrelationEngine per tenant, built from its enabled rules on first
// use and dropped when the tenant's rules change (the next event rebuilds it).
import { CorrelationEngine, SigmaEngine, WINDOWS_FIELD_MAPPING, loadSigmaRules } from '../sigma/index.ts';
import type { RuleStore } from './store.ts';

export interface TenantDetection {
  sigma: SigmaEngine;
  correlation: CorrelationEngine | null;
  ruleCount: number;
  /** Ids and names of rules that only feed correlations (`generate: false`): their matches make no alert of their own. */
  silent: Set<string>;
  /** Ids and names of rules some correlation references: on the bus, only their matches go to the correlator. */
  correlated: Set<string>;
}

export class EngineCache {
  private readonly engines = new Map<string, { detection: Promise<TenantDetection>; version: Promise<string> | null; checkedAt: number }>();
  /**
   * `revalidateMs`: for processes that do not see rule changes made elsewhere (bus workers), the
   * rules' version is checked at most this often and the engine rebuilt when it moved. 0 = only
   * `invalidate` (the embedded pipeline lives in the process that changes the rules).
   */
  constructor(
    private readonly rules: RuleStore,
    private readonly revalidateMs = 0,
  ) {}

  async get(tenantId: string): Promise<TenantDetection> {
    const cached = this.engines.get(tenantId);
    if (cached && cached.version && Date.now() - cached.checkedAt >= this.revalidateMs) {
      cached.checkedAt = Date.now();
      const [before, now] = await Promise.all([cached.version, this.rules.version(tenantId)]);
      // Unchanged rules keep the engine, and with it the correlation windows in progress.
      if (before !== now && this.engines.get(tenantId) === cached) this.engines.delete(tenantId);
    }
    let e = this.engines.get(tenantId);
    if (!e) {
      // The version is read before the rules, so a change in between triggers one more rebuild, never a missed one.
      const version = this.revalidateMs > 0 ? this.rules.version(tenantId) : null;
      e = { detection: this.build(tenantId), version, checkedAt: Date.now() };
      this.engines.set(tenantId, e);
      // A failed build must not stick: the next event retries.
      const entry = e;
      Promise.all([e.detection, e.version]).catch(() => {
        if (this.engines.get(tenantId) === entry) this.engines.delete(tenantId);
      });
    }
    return e.detection;
  }

  /** Rules changed: correlation windows restart with the new rule set (documented). */
  invalidate(tenantId: string): void {
    this.engines.delete(tenantId);
  }

  private async build(tenantId: string): Promise<TenantDetection> {
    const rows = await this.rules.list(tenantId, true);
    // Stored documents were validated one by one at import; loading them together lets
    // correlations and filters reference rules imported from other files.
    const loaded = loadSigmaRules(rows.map((r) => r.sigma).join('\n---\n'), `tenant-${tenantId}`);
    return {
      sigma: new SigmaEngine(loaded.rules, { fieldMappings: [WINDOWS_FIELD_MAPPING], filters: loaded.filters }),
      correlation: loaded.correlations.length ? new CorrelationEngine(loaded.correlations) : null,
      ruleCount: loaded.rules.length,
      silent: new Set(loaded.correlations.filter((c) => !c.generate).flatMap((c) => c.rules)),
      correlated: new Set(loaded.correlations.flatMap((c) => c.rules)),
    };
  }
}
