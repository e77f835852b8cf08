/**
 * Threat-intelligence enrichment (SPEC.md §4; docs/enrichment.md).
 *
 *   const enrichment = new EnrichmentService({ database, integrations, logger });
 *   await enrichment.enrich(tenantId, [{ type: 'domain', value: 'evil.example' }], { force?, signal? })
 *     → [{ type, value, status: 'ok'|'notEnrichable'|'notConfigured'|'error',
 *          enrichment?, statusUpdate?, cached, error?: { kind, message, retryAt? } }]
 *   await enrichment.refreshStatus(tenantId, observables)   // TIP Premium: Status update, no quota
 *   await enrichment.quota(tenantId)                        // usage today, remaining, exhausted until
 *   await enrichment.purgeTenants(ids, trx)                 // from the tenant purge lifecycle
 *
 * Results are in the order given; values may be repeated (one lookup serves them all).
 * Tables come with `enrichmentMigrations`.
 */
export { EnrichmentService, ENRICHMENT_CONNECTOR_TYPE } from './service.ts';
export type { EnrichError, EnrichOptions, EnrichStatus, EnrichmentServiceDeps, Observable, ObservableEnrichment, QuotaReport } from './service.ts';
export type { EnrichmentResult, LicenseFacts } from '../integrations/framework/contract.ts';
export { enrichmentMigrations } from './migrations.ts';
export { credentialFingerprint } from './keys.ts';
