import { Type, type Static } from 'typebox';
import { connectionProperties } from '../firewall-common/settings.ts';

/** Check Point Management Web API settings (reference §10). */
export const DEFAULT_PORT = 443;

const name = (def: string, title: string, description: string) => Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_.\\- ]+$', default: def, title, description });

export const checkpointConfigSchema = Type.Object(
  {
    ...connectionProperties('Check Point Management Server', DEFAULT_PORT),
    username: Type.Optional(Type.String({ minLength: 1, maxLength: 128, title: 'API user', description: 'Administrator allowed to use the Management API; leave empty when logging in with an API key' })),
    domain: Type.Optional(Type.String({ minLength: 1, maxLength: 128, title: 'Domain', description: 'Multi-Domain Server only: the domain to log in to' })),
    groupName: name('xdrhub-blocked-ips', 'Managed network group', 'Group that holds the blocked host objects'),
    hostPrefix: Type.String({ minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9_.-]+$', default: 'xdrhub_', title: 'Host object prefix', description: 'Host objects are named <prefix><address>' }),
    applicationSiteName: name('xdrhub-blocked-urls', 'Managed application/site', 'Custom application/site whose URL list holds blocked URLs and domains'),
    layer: name('Network', 'Access layer', 'Layer where missing managed rules are created (URL blocking needs Applications & URL Filtering on it)'),
    ipRuleName: name('xdrhub-block-ips', 'IP drop rule', 'Rule that drops traffic to the managed group; created at the top of the layer when absent'),
    urlRuleName: name('xdrhub-block-urls', 'URL drop rule', 'Rule that drops the managed application/site; created at the top of the layer when absent'),
    createRules: Type.Boolean({ default: true, title: 'Create missing rules', description: 'Off: the rules must exist already (xdrhub then only fills the group and the site)' }),
    installPolicy: Type.Boolean({ default: false, title: 'Install policy after publishing', description: 'Run install-policy after each published batch' }),
    policyPackage: Type.String({ minLength: 1, maxLength: 100, default: 'standard', title: 'Policy package' }),
    installTargets: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 100, default: [], title: 'Install targets', description: 'Gateways to install on; empty: every target of the package' }),
    taskTimeoutSeconds: Type.Integer({ minimum: 5, maximum: 3600, default: 300, title: 'Publish/install wait, seconds' }),
  },
  { additionalProperties: false },
);

export const checkpointSecretsSchema = Type.Object(
  {
    password: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, title: 'Password', description: 'Password of the API user (write-only)' })),
    apiKey: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, title: 'API key', description: 'Instead of user and password (write-only)' })),
  },
  { additionalProperties: false },
);

export type CheckpointConfig = Static<typeof checkpointConfigSchema>;
export type CheckpointSecrets = Static<typeof checkpointSecretsSchema>;
