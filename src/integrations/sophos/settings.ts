import { Type, type Static } from 'typebox';
import { connectionProperties } from '../firewall-common/settings.ts';

/** Sophos Firewall XML API settings (reference §11). */
export const DEFAULT_PORT = 4444;

const name = (def: string, title: string, description: string) => Type.String({ minLength: 1, maxLength: 50, pattern: '^[A-Za-z0-9_.\\- ]+$', default: def, title, description });

export const sophosConfigSchema = Type.Object(
  {
    ...connectionProperties('Sophos Firewall web admin', DEFAULT_PORT),
    username: Type.String({ minLength: 1, maxLength: 128, title: 'API administrator', description: 'Administrator allowed to use the API (Backup & firmware → API, with this host in the allowed IP list)' }),
    groupName: name('xdrhub-blocked-ips', 'IP host group', 'IPv4 group holding the blocked IP hosts; IPv6 hosts go to <name>-v6'),
    hostPrefix: Type.String({ minLength: 1, maxLength: 16, pattern: '^[A-Za-z0-9_.-]+$', default: 'xdrhub_', title: 'IP host prefix', description: 'IP hosts are named <prefix><address>' }),
    ruleName: name('xdrhub-block-ips', 'Firewall rule', 'Drop rule for the group (IPv6: <name>-v6), created at the top when absent'),
    urlGroupName: name('xdrhub-blocked-urls', 'Web filter URL group', 'URL group holding blocked URLs and domains; reference it in a web policy rule with action Block'),
    createRules: Type.Boolean({ default: true, title: 'Create missing firewall rules' }),
    apiVersion: Type.String({ pattern: '^[0-9.]{1,16}$', default: '1905.1', title: 'API version', description: 'APIVersion attribute sent with each request' }),
  },
  { additionalProperties: false },
);

export const sophosSecretsSchema = Type.Object(
  { password: Type.String({ minLength: 1, maxLength: 1024, title: 'Password', description: 'Password of the API administrator (write-only)' }) },
  { additionalProperties: false },
);

export type SophosConfig = Static<typeof sophosConfigSchema>;
export type SophosSecrets = Static<typeof sophosSecretsSchema>;
