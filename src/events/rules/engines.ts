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
}

export class EngineCache {
  private readonly engines = new Map<string, Promise<TenantDetection>>();
  constructor(private readonly rules: RuleStore) {}

  get(tenantId: string): Promise<TenantDetection> {
    let e = this.engines.get(tenantId);
    if (!e) {
      e = this.build(tenantId);
      this.engines.set(tenantId, e);
      // A failed build must not stick: the next event retries.
      e.catch(() => this.engines.delete(tenantId));
    }
    return e;
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
    };
  }
}
