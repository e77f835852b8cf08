import ipaddr from 'ipaddr.js';
import type { Static } from 'typebox';
import { invalidField } from '../../platform/errors.ts';
import { defineConnector, type ActionTarget } from '../framework/contract.ts';
import { checkSsh } from '../ssh/index.ts';
import { commentParams, runContract, scriptHostConfigSchema, scriptHostSecretsSchema } from '../ssh/script-connector.ts';

/**
 * Continent 4 (Security Code) through the script launch service (reference §12): its
 * management API is not public, so the customer's script on a script host blocks and unblocks
 * IP addresses. Argument contract (docs/connectors/continent4.md):
 *   <script> block-ip <ip>      <script> unblock-ip <ip>
 * exit 0 = done (also when already in that state); anything else = failed.
 */

/** A single IPv4 (dotted quad) or IPv6 address, normalised; addresses that make no sense to block are refused. */
export function blockableIp(raw: string): string {
  const value = raw.trim();
  const valid = value.includes(':') ? ipaddr.IPv6.isValid(value) : ipaddr.IPv4.isValidFourPartDecimal(value);
  if (!valid) throw invalidField('target.value', `"${value.slice(0, 100)}" is not an IPv4 or IPv6 address`);
  const addr = ipaddr.process(value);
  const range = addr.range();
  if (range === 'unspecified' || range === 'broadcast' || range === 'multicast') throw invalidField('target.value', `${addr.toString()} is a ${range} address: there is nothing to block`);
  return addr.toString();
}

const configSchema = scriptHostConfigSchema('/opt/xdr_scripts/continent4.sh', 'Continent 4');

function run(verb: 'block-ip' | 'unblock-ip') {
  return async (ctx: any, target: ActionTarget, params: Static<typeof commentParams>) => runContract(ctx, target, verb, blockableIp(target.value), params.comment);
}

export const continent4Connector = defineConnector({
  type: 'continent4',
  title: 'Continent 4',
  description: 'Blocks and unblocks IP addresses on Continent 4 through your response script on a script host (SSH).',
  configSchema,
  secretsSchema: scriptHostSecretsSchema,
  check: checkSsh,
  actions: {
    blockIp: {
      title: 'Block IP address',
      description: 'Runs "<script> block-ip <ip>"; undone by "Unblock IP address"',
      targetKinds: ['observable:ip'],
      paramsSchema: commentParams,
      undo: 'unblockIp',
      execute: run('block-ip'),
    },
    unblockIp: {
      title: 'Unblock IP address',
      description: 'Runs "<script> unblock-ip <ip>"',
      targetKinds: ['observable:ip'],
      paramsSchema: commentParams,
      undo: 'blockIp',
      execute: run('unblock-ip'),
    },
  },
});
