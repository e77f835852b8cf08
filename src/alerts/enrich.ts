import type { EnrichmentService, ObservableEnrichment } from '../enrichment/index.ts';
import type { AlertsService } from './alerts.ts';
import type { ObservableType } from './observables.ts';

/**
 * Enriches observables and records the results on every observable of the tenant with the same
 * type and value (the Enrichment and Status update columns). Used by the API and by playbooks.
 */
export async function enrichAndRecord(
  alerts: AlertsService,
  enrichment: EnrichmentService,
  tenantId: string,
  observables: { type: string; value: string }[],
  options: { force?: boolean; signal?: AbortSignal } = {},
): Promise<ObservableEnrichment[]> {
  const results = await enrichment.enrich(tenantId, observables, options);
  const at = Date.now();
  const seen = new Set<string>();
  for (const r of results) {
    const key = `${r.type}\u0000${r.value}`;
    if (r.status !== 'ok' || seen.has(key)) continue;
    seen.add(key);
    if (r.enrichment) await alerts.recordEnrichment(tenantId, r.type as ObservableType, r.value, 'enrichment', r.enrichment, at);
    if (r.statusUpdate) await alerts.recordEnrichment(tenantId, r.type as ObservableType, r.value, 'statusUpdate', r.statusUpdate, at);
  }
  return results;
}
