import type { Static } from 'typebox';
import { invalidField } from '../../platform/errors.ts';
import { defineConnector, type ActionTarget } from '../framework/contract.ts';
import { checkSsh } from '../ssh/index.ts';
import { commentParams, runContract, scriptHostConfigSchema, scriptHostSecretsSchema } from '../ssh/script-connector.ts';

/**
 * SKDPU NT (IT-Bastion privileged access management) through the script launch service
 * (reference §13): no public API, so the customer's script acts. Argument contract
 * (docs/connectors/skdpu.md):
 *   <script> block-account <login>    <script> unblock-account <login>
 *   <script> terminate-sessions <login>
 * exit 0 = done (also when already in that state); anything else = failed.
 */

/** A login, optionally with a domain: letters, digits, . _ -; no leading dash, no spaces, no shell syntax. */
export const ACCOUNT = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}(@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*)?$/;

export function validAccount(raw: string): string {
  const value = raw.trim();
  if (!ACCOUNT.test(value)) throw invalidField('target.value', `"${value.slice(0, 100)}" is not an account name (letters, digits, ".", "_", "-", optionally @domain; at most 64 characters before the @)`);
  return value;
}

const configSchema = scriptHostConfigSchema('/opt/xdr_scripts/skdpu.sh', 'SKDPU NT');

function run(verb: 'block-account' | 'unblock-account' | 'terminate-sessions') {
  return async (ctx: any, target: ActionTarget, params: Static<typeof commentParams>) => runContract(ctx, target, verb, validAccount(target.value), params.comment);
}

export const skdpuConnector = defineConnector({
  type: 'skdpu',
  title: 'SKDPU NT',
  description: 'Blocks and unblocks privileged-access accounts and ends their sessions on SKDPU NT through your response script on a script host (SSH).',
  configSchema,
  secretsSchema: scriptHostSecretsSchema,
  check: checkSsh,
  actions: {
    blockAccount: {
      title: 'Block account',
      description: 'Runs "<script> block-account <login>"; undone by "Unblock account"',
      targetKinds: ['account', 'observable:userName'],
      paramsSchema: commentParams,
      undo: 'unblockAccount',
      execute: run('block-account'),
    },
    unblockAccount: {
      title: 'Unblock account',
      description: 'Runs "<script> unblock-account <login>"',
      targetKinds: ['account', 'observable:userName'],
      paramsSchema: commentParams,
      undo: 'blockAccount',
      execute: run('unblock-account'),
    },
    terminateSessions: {
      title: 'Terminate sessions',
      description: 'Runs "<script> terminate-sessions <login>": ends the user\'s active privileged sessions',
      targetKinds: ['account', 'observable:userName'],
      paramsSchema: commentParams,
      execute: run('terminate-sessions'),
    },
  },
});
