import { Type, type Static } from 'typebox';

/**
 * Settings of the "Kaspersky TIP" section (SPEC.md §4, reference §3.1): one service with its
 * token, the cache TTL shared by the tenant's lookups, and the root-only proxy toggle.
 */
export const SERVICES = ['tipGeneral', 'tipPremium', 'openTip'] as const;
export type KtipService = (typeof SERVICES)[number];

export const SERVICE_TITLES: Record<KtipService, string> = {
  tipGeneral: 'Kaspersky TIP (General access)',
  tipPremium: 'Kaspersky TIP (Premium access)',
  openTip: 'Kaspersky OpenTIP',
};

/** The real portals; tests and the demo point `baseUrl` at simulators/ktip. */
export const DEFAULT_BASE_URLS: Record<KtipService, string> = {
  tipGeneral: 'https://tip.kaspersky.com',
  tipPremium: 'https://tip.kaspersky.com',
  openTip: 'https://opentip.kaspersky.com',
};

export const DEFAULT_CACHE_TTL = { value: 7, unit: 'days' as const };

export const ktipConfigSchema = Type.Object(
  {
    service: Type.Union([Type.Literal('tipGeneral'), Type.Literal('tipPremium'), Type.Literal('openTip')], {
      title: 'Service',
      description: 'Kaspersky TIP with General or Premium access, or Kaspersky OpenTIP',
      default: 'openTip',
    }),
    baseUrl: Type.Optional(
      Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2048, title: 'API base URL', description: 'Leave empty for the real portal (https://tip.kaspersky.com or https://opentip.kaspersky.com)' }),
    ),
    cacheTtl: Type.Object(
      {
        value: Type.Union([Type.Integer({ minimum: 1, maximum: 100_000 }), Type.Null()], { title: 'Cache TTL', description: 'Empty (null) keeps results without limit' }),
        unit: Type.Union([Type.Literal('days'), Type.Literal('hours')], { title: 'Unit', default: 'days' }),
      },
      { additionalProperties: false, title: 'Cache TTL', description: 'How long a lookup result is served from the cache; one value for all of the tenant\'s lookups', default: DEFAULT_CACHE_TTL },
    ),
    timeoutSeconds: Type.Integer({ minimum: 1, maximum: 120, default: 20, title: 'Timeout, seconds', description: 'Per request attempt' }),
    proxy: Type.Boolean({ default: false, title: 'Use the installation proxy', description: 'Root tenant only' }),
    autoEnrichNewAlerts: Type.Boolean({
      default: false,
      title: 'Enrich new alerts automatically',
      description: "Look up every enrichable observable of each new alert of this tenant (spends quota on values not in the cache)",
    }),
  },
  { additionalProperties: false },
);

export const ktipSecretsSchema = Type.Object(
  { token: Type.String({ minLength: 8, maxLength: 4096, pattern: '^[\\x21-\\x7e]+$', title: 'API token', description: 'Sent as the x-api-key header (write-only; use Replace when it expires)' }) },
  { additionalProperties: false },
);

export type KtipConfig = Static<typeof ktipConfigSchema>;
export type KtipSecrets = Static<typeof ktipSecretsSchema>;

export function baseUrlOf(config: Pick<KtipConfig, 'service' | 'baseUrl'>): string {
  return (config.baseUrl || DEFAULT_BASE_URLS[config.service]).replace(/\/+$/, '');
}

/** The TTL in milliseconds; Infinity when unlimited. */
export function cacheTtlMs(ttl: KtipConfig['cacheTtl'] | undefined): number {
  const t = ttl ?? DEFAULT_CACHE_TTL;
  if (t.value === null) return Infinity;
  return t.value * (t.unit === 'hours' ? 3_600_000 : 86_400_000);
}
