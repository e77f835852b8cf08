import { defineConnector, type CheckResult } from '../framework/contract.ts';
import { KtipClient, KtipError } from './client.ts';
import { ENRICH_TYPES, isEnrichType } from './routing.ts';
import { SERVICE_TITLES, ktipConfigSchema, ktipSecretsSchema } from './settings.ts';

export { ktipConfigSchema, ktipSecretsSchema, cacheTtlMs, type KtipConfig, type KtipService } from './settings.ts';
export { normalizeValue, isEnrichType, ENRICH_TYPES, TIP_MAX_URL_LENGTH } from './routing.ts';
export { KtipClient, KtipError, breakers } from './client.ts';

/**
 * Kaspersky TIP (General or Premium access) and Kaspersky OpenTIP: threat-intelligence lookups
 * of domains, URLs, IPs, MD5 and SHA256 hashes. One per tenant. The enrichment service
 * (src/enrichment) calls `enrich`/`statusUpdate`; caching, coalescing and quotas live there.
 */
export const ktipConnector = defineConnector({
  type: 'ktip',
  title: 'Kaspersky TIP / OpenTIP',
  description: 'Threat-intelligence enrichment of observables from Kaspersky TIP (General or Premium access) or Kaspersky OpenTIP.',
  configSchema: ktipConfigSchema,
  secretsSchema: ktipSecretsSchema,
  rootOnlyFields: ['proxy'],
  singleton: true,
  enrichTypes: [...ENRICH_TYPES],
  async check(ctx): Promise<CheckResult> {
    const title = SERVICE_TITLES[ctx.config.service];
    const network = ctx.config.proxy ? 'through the installation proxy' : 'direct';
    try {
      const { license } = await new KtipClient(ctx).probe();
      const details: Record<string, unknown> = { service: ctx.config.service, network };
      let quota = 'the service does not report its quota';
      if (license) {
        Object.assign(details, license);
        if (license.dayQuota !== undefined && license.dayRequests !== undefined) {
          details.remaining = Math.max(0, license.dayQuota - license.dayRequests);
          quota = `${license.dayRequests} of ${license.dayQuota} requests used today`;
        }
        if (license.tokenExpiresAt) quota += `; the token expires ${license.tokenExpiresAt}`;
      }
      return { ok: true, stage: 'request', message: `${title}: authenticated (${network}); ${quota}`, details };
    } catch (err) {
      if (err instanceof KtipError) return { ok: false, stage: err.stage, message: err.message, details: { service: ctx.config.service, network } };
      throw err;
    }
  },
  async enrich(ctx, observable) {
    if (!isEnrichType(observable.type)) throw new KtipError('invalid', `${observable.type} observables cannot be enriched`, 'request');
    return new KtipClient(ctx).lookup(observable.type, observable.value);
  },
  async statusUpdate(ctx, observable) {
    if (!isEnrichType(observable.type)) return null;
    return new KtipClient(ctx).status(observable.type, observable.value);
  },
  actions: {},
});
