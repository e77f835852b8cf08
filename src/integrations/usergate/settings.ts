import { Type, type Static } from 'typebox';
import { connectionProperties } from '../firewall-common/settings.ts';

/** UserGate NGFW/UTM XML-RPC settings (reference §7). */
export const DEFAULT_PORT = 4040;

const name = (def: string, title: string, description: string) => Type.String({ minLength: 1, maxLength: 128, pattern: '^[^\\x00-\\x1f\\x7f<>]+$', default: def, title, description });

export const usergateConfigSchema = Type.Object(
  {
    ...connectionProperties('UserGate XML-RPC', DEFAULT_PORT),
    username: Type.String({ minLength: 1, maxLength: 128, title: 'Administrator', description: 'Local administrator whose profile has API read+write on content, core, firewall and nlists' }),
    ipListName: name('xdrhub-blocked-ips', 'IP list', 'Named IP list (type network) holding blocked addresses'),
    urlListName: name('xdrhub-blocked-urls', 'URL list', 'Named URL list holding blocked URLs'),
    domainListName: name('xdrhub-blocked-domains', 'Domain list', 'Named URL list holding blocked domains'),
    ipRuleName: name('xdrhub-block-ips', 'Firewall rule', 'Firewall rule dropping traffic to the IP list; created at position 1 when absent'),
    urlRuleName: name('xdrhub-block-urls', 'Content rule for URLs', 'Content filtering rule blocking the URL list; created when absent'),
    domainRuleName: name('xdrhub-block-domains', 'Content rule for domains', 'Content filtering rule blocking the domain list; created when absent'),
    createRules: Type.Boolean({ default: true, title: 'Create missing rules', description: 'Off: the rules must exist and reference the lists already' }),
  },
  { additionalProperties: false },
);

export const usergateSecretsSchema = Type.Object(
  { password: Type.String({ minLength: 1, maxLength: 1024, title: 'Password', description: 'Password of the administrator (write-only)' }) },
  { additionalProperties: false },
);

export type UsergateConfig = Static<typeof usergateConfigSchema>;
export type UsergateSecrets = Static<typeof usergateSecretsSchema>;
