import { defineConnector, type CheckResult } from '../framework/contract.ts';
import { firewallActions, firewallBatcher, type FirewallOps } from '../firewall-common/actions.ts';
import { checkFailure } from '../firewall-common/errors.ts';
import { block, unblock } from './blocklist.ts';
import { SophosClient } from './client.ts';
import { sophosConfigSchema, sophosSecretsSchema, type SophosConfig, type SophosSecrets } from './settings.ts';

export { sophosConfigSchema, sophosSecretsSchema } from './settings.ts';

const ops: FirewallOps<SophosConfig, SophosSecrets> = {
  block,
  unblock,
  where: (config, kind) => (kind === 'ip' ? `group ${config.groupName}` : `URL group ${config.urlGroupName}`),
};

/** Coalesces concurrent block/unblock calls per instance (tests and benchmarks read its stats). */
export const sophosBatcher = firewallBatcher(ops);

/**
 * Sophos Firewall through the XML API (SPEC §9, reference §11): block and unblock IPv4/IPv6
 * addresses (IP hosts in a managed IP host group with a drop rule), URLs and domains (a managed
 * web filter URL group).
 */
export const sophosConnector = defineConnector({
  type: 'sophos',
  title: 'Sophos Firewall',
  description: 'Blocks IP addresses, URLs and domains through the Sophos Firewall XML API: IP hosts in a managed group with a drop rule, and a web filter URL group.',
  configSchema: sophosConfigSchema,
  secretsSchema: sophosSecretsSchema,
  rootOnlyFields: ['proxy'],
  async check(ctx): Promise<CheckResult> {
    // The XML API has no session: one read-only Get proves address, TLS, API access and login.
    try {
      const group = await new SophosClient(ctx).getByName('IPHostGroup', ctx.config.groupName);
      return {
        ok: true,
        stage: 'request',
        message: `logged in to Sophos Firewall; the group ${ctx.config.groupName} ${group ? 'exists' : 'will be created on the first block'}`,
        details: { groupExists: !!group },
      };
    } catch (err) {
      return checkFailure(err, 'Sophos XML API');
    }
  },
  actions: firewallActions<SophosConfig, SophosSecrets>(ops, ['ip', 'url', 'domain'], sophosBatcher),
});
