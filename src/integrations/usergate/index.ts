import { Type } from 'typebox';
import { defineConnector, type CheckResult } from '../framework/contract.ts';
import { firewallActions, firewallBatcher, type FirewallOps } from '../firewall-common/actions.ts';
import { checkFailure } from '../firewall-common/errors.ts';
import { block, unblock } from './blocklist.ts';
import { UsergateClient, itemsOf, type UgSession } from './client.ts';
import { usergateConfigSchema, usergateSecretsSchema, type UsergateConfig, type UsergateSecrets } from './settings.ts';
import { logoutAllUsers } from './users.ts';

export { usergateConfigSchema, usergateSecretsSchema } from './settings.ts';

const ops: FirewallOps<UsergateConfig, UsergateSecrets> = {
  block,
  unblock,
  where: (config, kind) => `list ${kind === 'ip' ? config.ipListName : kind === 'url' ? config.urlListName : config.domainListName}`,
};

/** Coalesces concurrent block/unblock calls per instance (tests and benchmarks read its stats). */
export const usergateBatcher = firewallBatcher(ops);

/**
 * UserGate NGFW/UTM through its XML-RPC API (SPEC §9, reference §7): block and unblock IPs,
 * URLs and domains through named lists and drop rules; log out all users.
 */
export const usergateConnector = defineConnector({
  type: 'usergate',
  title: 'UserGate NGFW/UTM',
  description: 'Blocks IP addresses, URLs and domains through UserGate named lists and drop rules (XML-RPC API, UTM API v7), and logs out all users.',
  configSchema: usergateConfigSchema,
  secretsSchema: usergateSecretsSchema,
  rootOnlyFields: ['proxy'],
  async check(ctx): Promise<CheckResult> {
    let api: UsergateClient;
    let session: UgSession;
    try {
      api = new UsergateClient(ctx);
      session = await api.login();
    } catch (err) {
      return checkFailure(err, 'login');
    }
    try {
      const lists = itemsOf(await api.call('v2.nlists.list', [session.token, 'network', 0, 10_000, { search: ctx.config.ipListName }]));
      const exists = lists.some((l) => l.name === ctx.config.ipListName);
      return {
        ok: true,
        stage: 'request',
        message: `logged in to UserGate${session.version ? ` ${session.version}` : ''}; the list ${ctx.config.ipListName} ${exists ? 'exists' : 'will be created on the first block'}`,
        details: { version: session.version, ipListExists: exists },
      };
    } catch (err) {
      return checkFailure(err, 'reading named lists');
    } finally {
      await api.logout(session).catch(() => {});
    }
  },
  actions: {
    ...firewallActions<UsergateConfig, UsergateSecrets>(ops, ['ip', 'url', 'domain'], usergateBatcher),
    logoutAllUsers: {
      title: 'Log out all users',
      description: 'Ends the session of every user currently authorised on UserGate; they must authenticate again',
      targetKinds: ['none'],
      paramsSchema: Type.Object({}, { additionalProperties: false }),
      async execute(ctx) {
        const { loggedOut, failed } = await logoutAllUsers(ctx);
        return {
          summary: `${loggedOut.length} user session${loggedOut.length === 1 ? '' : 's'} logged out${failed ? `; ${failed} could not be ended` : ''}`,
          output: { loggedOut: loggedOut.length, users: loggedOut.slice(0, 1000), failed },
        };
      },
    },
  },
});
