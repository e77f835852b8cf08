import { Type, type Static } from 'typebox';
import { defineConnector, type CheckResult } from '../framework/contract.ts';
import { OutboundError } from '../../platform/outbound/index.ts';
import { changeGroup, lookup, resetPassword, setDisabled } from './account.ts';
import { connect, search } from './client.ts';
import { LdapConfigError, ldapConfigSchema, ldapSecretsSchema } from './settings.ts';

/**
 * Active Directory over LDAP (SPEC.md §7): look-up, block/unblock, password reset (TLS only) and
 * security-group membership for accounts of a tenant, against the tenant's own DCs.
 */
const none = Type.Object({}, { additionalProperties: false });
const resetParams = Type.Object(
  {
    password: Type.Optional(Type.String({
      minLength: 1,
      maxLength: 256,
      writeOnly: true,
      title: 'New password',
      description: 'Leave empty for a random password that meets the default complexity policy (it is not shown anywhere)',
    })),
    length: Type.Integer({ minimum: 12, maximum: 128, default: 24, title: 'Random password length' }),
    mustChangeAtNextLogon: Type.Boolean({ default: false, title: 'Must change at next logon', description: 'Sets pwdLastSet=0; conflicts with "User cannot change password"' }),
  },
  { additionalProperties: false },
);
const groupParams = Type.Object(
  { groupDn: Type.String({ minLength: 3, maxLength: 1024, pattern: '=', title: 'Security group DN', description: 'e.g. CN=Quarantine,OU=Groups,DC=corp,DC=example' }) },
  { additionalProperties: false },
);

export const ldapConnector = defineConnector({
  type: 'ldap',
  title: 'Active Directory',
  description: 'Looks up, blocks and unblocks accounts, resets passwords and changes security-group membership over LDAP(S).',
  configSchema: ldapConfigSchema,
  secretsSchema: ldapSecretsSchema,
  async check(ctx): Promise<CheckResult> {
    let session;
    try {
      session = await connect(ctx);
    } catch (err) {
      if (err instanceof LdapConfigError) return { ok: false, stage: 'config', message: err.message };
      throw err;
    }
    try {
      const [rootDse] = await search(session, '', '(objectClass=*)', { scope: 'base', attributes: ['dnsHostName', 'defaultNamingContext', 'domainFunctionality'] });
      let base: Record<string, unknown> | undefined;
      try {
        [base] = await search(session, ctx.config.baseDn, '(objectClass=*)', { scope: 'base', attributes: ['distinguishedName'] });
      } catch (err) {
        const code = (err as { code?: number }).code;
        if (code === 32 || code === 34) {
          return { ok: false, stage: 'request', message: `${session.dc.label} has no entry ${ctx.config.baseDn}: check the base DN (the domain's is ${rootDse?.defaultNamingContext ?? 'unknown'})` };
        }
        throw err;
      }
      if (!base) return { ok: false, stage: 'authorize', message: `the bind account cannot read ${ctx.config.baseDn}: give it read access` };
      return {
        ok: true,
        stage: 'request',
        message: `bound as ${ctx.config.bindAccount} on ${session.dc.label} (${session.encrypted ? ctx.config.tlsMode : 'plain, unencrypted'}) and read ${ctx.config.baseDn}`,
        details: {
          domainController: session.dc.label,
          dnsHostName: rootDse?.dnsHostName ?? null,
          defaultNamingContext: rootDse?.defaultNamingContext ?? null,
          encrypted: session.encrypted,
          tlsMode: ctx.config.tlsMode,
        },
      };
    } catch (err) {
      if (err instanceof OutboundError) throw err;
      return { ok: false, stage: 'request', message: `reading ${ctx.config.baseDn} on ${session.dc.label} failed: ${(err as Error).message}` };
    } finally {
      session.close();
    }
  },
  actions: {
    lookup: {
      title: 'Look up account',
      description: 'Attributes, state (enabled, locked out, must change password) and groups of the account; no changes',
      targetKinds: ['account'],
      paramsSchema: none,
      execute: (ctx, target) => lookup(ctx, target),
    },
    block: {
      title: 'Block account',
      description: 'Disables the account (sets ACCOUNTDISABLE in userAccountControl); undone by "Unblock account"',
      targetKinds: ['account'],
      paramsSchema: none,
      undo: 'unblock',
      execute: (ctx, target) => setDisabled(ctx, target, true),
    },
    unblock: {
      title: 'Unblock account',
      description: 'Enables the account (clears ACCOUNTDISABLE in userAccountControl)',
      targetKinds: ['account'],
      paramsSchema: none,
      undo: 'block',
      execute: (ctx, target) => setDisabled(ctx, target, false),
    },
    resetPassword: {
      title: 'Reset password',
      description: 'Sets a random policy-compliant or a given password (only over ldaps or starttls), optionally forcing a change at next logon',
      targetKinds: ['account'],
      paramsSchema: resetParams,
      execute: (ctx, target, params: Static<typeof resetParams>) => resetPassword(ctx, target, params),
    },
    addToGroup: {
      title: 'Add to security group',
      description: 'Adds the account to the group (by DN); already a member counts as success; undone by "Remove from security group"',
      targetKinds: ['account'],
      paramsSchema: groupParams,
      undo: 'removeFromGroup',
      execute: (ctx, target, params: Static<typeof groupParams>) => changeGroup(ctx, target, params.groupDn, true),
    },
    removeFromGroup: {
      title: 'Remove from security group',
      description: 'Removes the account from the group (by DN); not a member counts as success',
      targetKinds: ['account'],
      paramsSchema: groupParams,
      undo: 'addToGroup',
      execute: (ctx, target, params: Static<typeof groupParams>) => changeGroup(ctx, target, params.groupDn, false),
    },
  },
});
