import { defineConnector, type CheckResult } from '../framework/contract.ts';
import { firewallActions, firewallBatcher, type FirewallOps } from '../firewall-common/actions.ts';
import { checkFailure } from '../firewall-common/errors.ts';
import { block, unblock } from './blocklist.ts';
import { CheckpointClient } from './client.ts';
import { checkpointConfigSchema, checkpointSecretsSchema, type CheckpointConfig, type CheckpointSecrets } from './settings.ts';

export { checkpointConfigSchema, checkpointSecretsSchema } from './settings.ts';

const ops: FirewallOps<CheckpointConfig, CheckpointSecrets> = {
  block,
  unblock,
  where: (config, kind) => (kind === 'ip' ? `group ${config.groupName}` : `application-site ${config.applicationSiteName}`),
};

/** Coalesces concurrent block/unblock calls per instance (tests and benchmarks read its stats). */
export const checkpointBatcher = firewallBatcher(ops);

/**
 * Check Point NGFW through the Management Web API (SPEC §9, reference §10): block and unblock
 * IPv4/IPv6 addresses (host objects in a managed group), URLs and domains (a managed custom
 * application/site). One publish per batch; install-policy only when configured.
 */
export const checkpointConnector = defineConnector({
  type: 'checkpoint',
  title: 'Check Point NGFW',
  description: 'Blocks IP addresses, URLs and domains through the Check Point Management Web API (R81.20 or later): stage, publish once per batch, optionally install policy.',
  configSchema: checkpointConfigSchema,
  secretsSchema: checkpointSecretsSchema,
  rootOnlyFields: ['proxy'],
  async check(ctx): Promise<CheckResult> {
    let api: CheckpointClient;
    let session;
    try {
      api = new CheckpointClient(ctx);
      session = await api.login();
    } catch (err) {
      return checkFailure(err, 'login');
    }
    try {
      // Read-only: proves the session works and that the user may read objects.
      const group = await api.find(session, 'group', { name: ctx.config.groupName });
      return {
        ok: true,
        stage: 'request',
        message: `logged in to Check Point (API ${session.apiVersion ?? 'unknown version'}); the group ${ctx.config.groupName} ${group ? 'exists' : 'will be created on the first block'}`,
        details: { apiVersion: session.apiVersion, groupExists: !!group },
      };
    } catch (err) {
      return checkFailure(err, 'reading objects');
    } finally {
      await api.logout(session).catch(() => {});
    }
  },
  actions: firewallActions<CheckpointConfig, CheckpointSecrets>(ops, ['ip', 'url', 'domain'], checkpointBatcher),
});
