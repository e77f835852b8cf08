import { Type } from 'typebox';
import type { ActionResult, ConnectorAction, ConnectorContext } from '../framework/contract.ts';
import { Batcher, instanceKey, type BatchOptions } from './batcher.ts';
import { blockSummary, outcomeOutput, type BatchOutcome } from './outcome.ts';
import { MAX_BATCH, normalizeAll, normalizeDomain, normalizeIp, normalizeUrl } from './values.ts';

/**
 * The response actions every firewall connector offers, built from the product's two batch
 * operations. Per-target actions (blockIp, blockUrl, blockDomain) are what the response module
 * launches once per observable; blockIps/unblockIps take a list. Every call goes through one
 * Batcher per connector (batcher.ts): calls on the same instance that arrive together — the
 * response jobs of one launch — are applied as one batch in one device session (one login, one
 * publish), each call getting its own share of the outcome.
 */
export type ValueKind = 'ip' | 'url' | 'domain';

export interface FirewallOps<C, S> {
  block(ctx: ConnectorContext<C, S>, kind: ValueKind, values: string[]): Promise<BatchOutcome>;
  unblock(ctx: ConnectorContext<C, S>, kind: ValueKind, values: string[]): Promise<BatchOutcome>;
  /** Where values of this kind go, for the summary (e.g. "group xdrhub-blocked-ips"). */
  where(config: C, kind: ValueKind): string;
}

const NOUN: Record<ValueKind, string> = { ip: 'IP address', url: 'URL', domain: 'domain' };

export function canonicalOne(kind: ValueKind, value: string, field: string): string {
  if (kind === 'ip') return normalizeIp(value, field).ip;
  if (kind === 'url') return normalizeUrl(value, field);
  return normalizeDomain(value, field);
}

export function canonical(kind: ValueKind, values: readonly string[], field: string): string[] {
  return normalizeAll(values, (v, f) => canonicalOne(kind, v, f), field);
}

const noParams = Type.Object({}, { additionalProperties: false, description: 'No parameters: the list, group and rule names come from the settings' });
const ipsParams = Type.Object(
  {
    ips: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
      minItems: 1,
      maxItems: MAX_BATCH,
      title: 'IP addresses',
      description: 'IPv4 and IPv6 addresses, handled in one device session',
    }),
  },
  { additionalProperties: false },
);

type Op = `${'block' | 'unblock'}:${ValueKind}`;

/** The batcher of a connector's block/unblock operations (one per connector type, all instances). */
export function firewallBatcher<C, S>(ops: FirewallOps<C, S>, options?: BatchOptions): Batcher<ConnectorContext<C, S>, Op> {
  return new Batcher<ConnectorContext<C, S>, Op>((ctx, op, values) => {
    const [verb, kind] = op.split(':') as ['block' | 'unblock', ValueKind];
    return verb === 'block' ? ops.block(ctx, kind, values) : ops.unblock(ctx, kind, values);
  }, options);
}

async function run<C, S>(ops: FirewallOps<C, S>, batcher: Batcher<ConnectorContext<C, S>, Op>, ctx: ConnectorContext<C, S>, kind: ValueKind, values: string[], verb: 'block' | 'unblock'): Promise<ActionResult> {
  const outcome = await batcher.submit(instanceKey(ctx), `${verb}:${kind}`, values, ctx);
  const batch = outcome.facts?.batch as { actions: number } | undefined;
  const together = batch ? `; in one session with ${batch.actions - 1} other action${batch.actions === 2 ? '' : 's'}` : '';
  return { summary: blockSummary(NOUN[kind], ops.where(ctx.config, kind), outcome, verb) + together, output: outcomeOutput(outcome, verb) };
}

export function firewallActions<C, S>(ops: FirewallOps<C, S>, kinds: ValueKind[], batcher = firewallBatcher(ops)): Record<string, ConnectorAction<C, S>> {
  const actions: Record<string, ConnectorAction<C, S>> = {};
  const single = (kind: ValueKind, name: string, undo: string, verb: 'block' | 'unblock', where: string): ConnectorAction<C, S> => ({
    title: `${verb === 'block' ? 'Block' : 'Unblock'} ${NOUN[kind]}`,
    description: `${verb === 'block' ? 'Adds' : 'Removes'} the ${NOUN[kind]} ${verb === 'block' ? 'to' : 'from'} ${where}; idempotent${verb === 'block' ? '; creates the managed objects on first use' : ''}`,
    targetKinds: [`observable:${kind}`],
    paramsSchema: noParams,
    undo,
    execute: (ctx, target) => run(ops, batcher, ctx, kind, [canonicalOne(kind, target.value, 'target.value')], verb),
  });
  for (const kind of kinds) {
    const cap = kind === 'ip' ? 'Ip' : kind === 'url' ? 'Url' : 'Domain';
    const where = `the managed ${kind === 'ip' ? 'address list or group' : 'URL list'}`;
    actions[`block${cap}`] = single(kind, `block${cap}`, `unblock${cap}`, 'block', where);
    actions[`unblock${cap}`] = single(kind, `unblock${cap}`, `block${cap}`, 'unblock', where);
  }
  if (kinds.includes('ip')) {
    actions.blockIps = {
      title: 'Block IP addresses (batch)',
      description: 'Blocks a list of IPv4/IPv6 addresses in one device session (one login, one publish); idempotent',
      targetKinds: ['none'],
      paramsSchema: ipsParams,
      undo: 'unblockIps',
      execute: (ctx, _target, params: { ips: string[] }) => run(ops, batcher, ctx, 'ip', canonical('ip', params.ips, 'params.ips'), 'block'),
    };
    actions.unblockIps = {
      title: 'Unblock IP addresses (batch)',
      description: 'Removes a list of IPv4/IPv6 addresses in one device session; idempotent',
      targetKinds: ['none'],
      paramsSchema: ipsParams,
      undo: 'blockIps',
      execute: (ctx, _target, params: { ips: string[] }) => run(ops, batcher, ctx, 'ip', canonical('ip', params.ips, 'params.ips'), 'unblock'),
    };
  }
  return actions;
}

/** Runs `fn` over `items` with at most `limit` in flight, keeping order of results. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
