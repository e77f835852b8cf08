import ipaddr from 'ipaddr.js';
import { OutboundError } from '../../platform/outbound/index.ts';
import type { ActionTarget } from '../framework/contract.ts';
import { kataCall, type KataContext, type KataTrust } from './client.ts';

interface SensorsAnswer {
  sensors?: { sensorId?: string; hostName?: string; ip?: string }[];
}

/**
 * The KATA sensor (Endpoint Agent) id of a host: the asset's `agentIds.kata` when the alert
 * carried one, else looked up by the host's IPs, then by its name. A host this Central Node does
 * not know fails with "host not known to this KATA": with several connections, only the one that
 * manages the host succeeds.
 */
export async function resolveSensor(ctx: KataContext, trust: KataTrust, target: Pick<ActionTarget, 'value' | 'attributes'>): Promise<string> {
  const attrs = target.attributes ?? {};
  const agentIds = attrs.agentIds as Record<string, unknown> | undefined;
  if (typeof agentIds?.kata === 'string' && agentIds.kata) return agentIds.kata;
  const value = target.value.trim();
  const ips = new Set<string>();
  if (ipaddr.isValid(value)) ips.add(ipaddr.process(value).toString());
  for (const ip of Array.isArray(attrs.ips) ? attrs.ips : []) if (typeof ip === 'string' && ipaddr.isValid(ip)) ips.add(ipaddr.process(ip).toString());
  for (const ip of ips) {
    const found = await lookup(ctx, trust, { ip });
    if (found) return found;
  }
  if (value && !ipaddr.isValid(value)) {
    const found = await lookup(ctx, trust, { hostname: value });
    if (found) return found;
  }
  throw new OutboundError('notFound', `host ${value || '(unnamed)'} not known to this KATA (${ctx.config.host}): no Endpoint Agent with that ${ips.size ? 'IP address or ' : ''}name`);
}

async function lookup(ctx: KataContext, trust: KataTrust, query: { ip?: string; hostname?: string }): Promise<string | null> {
  const res = await kataCall<SensorsAnswer>(ctx, trust, { method: 'GET', path: '/sensors', query });
  const sensors = (res.body?.sensors ?? []).filter((s) => typeof s.sensorId === 'string');
  // Two agents answering for one IP (NAT, DHCP reuse) is ambiguous: acting on either could hit the wrong machine.
  if (sensors.length > 1) throw new OutboundError('invalid', `${query.ip ?? query.hostname} matches ${sensors.length} KATA hosts: use the asset's KATA agent id`);
  return sensors[0]?.sensorId ?? null;
}

/**
 * Whether this Central Node manages the host: its KATA agent id is among the sensors, or one of
 * its IPs or its name resolves to exactly one sensor. Read-only; used to route an action to the
 * connection that knows the host when a tenant has several.
 */
export async function knowsHost(ctx: KataContext, trust: KataTrust, target: Pick<ActionTarget, 'value' | 'attributes'>): Promise<boolean> {
  const agentIds = (target.attributes ?? {}).agentIds as Record<string, unknown> | undefined;
  if (typeof agentIds?.kata === 'string' && agentIds.kata) {
    const all = await kataCall<SensorsAnswer>(ctx, trust, { method: 'GET', path: '/sensors' });
    if ((all.body?.sensors ?? []).some((s) => s.sensorId === agentIds.kata)) return true;
  }
  const { agentIds: _ignored, ...rest } = target.attributes ?? {};
  try {
    await resolveSensor(ctx, trust, { value: target.value, attributes: rest });
    return true;
  } catch (err) {
    if (err instanceof OutboundError && err.kind === 'notFound') return false;
    throw err;
  }
}
