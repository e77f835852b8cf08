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
  return record(alerts, tenantId, await enrichment.enrich(tenantId, observables, options));
}

/**
 * TIP Premium's quota-free reputation refresh of the Status update column, recorded like
 * enrichment results. Other services answer `notConfigured` per observable, saying why.
 */
export async function refreshStatusAndRecord(
  alerts: AlertsService,
  enrichment: EnrichmentService,
  tenantId: string,
  observables: { type: string; value: string }[],
  options: { signal?: AbortSignal } = {},
): Promise<ObservableEnrichment[]> {
  return record(alerts, tenantId, await enrichment.refreshStatus(tenantId, observables, options));
}

async function record(alerts: AlertsService, tenantId: string, results: ObservableEnrichment[]): Promise<ObservableEnrichment[]> {
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
