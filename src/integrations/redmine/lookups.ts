import { createHash } from 'node:crypto';
import { OutboundError } from '../../platform/outbound/index.ts';
import { redmine, type RedmineContext } from './api.ts';

/**
 * Trackers and priorities are instance-specific ids that rarely change: they are read once and
 * kept for a few minutes per integration instance (keyed by instance, URL and key fingerprint,
 * so edited settings never reuse another configuration's answer).
 */
const TTL_MS = 5 * 60_000;
const MAX_ENTRIES = 500;

interface Named {
  id: number;
  name: string;
}
interface Lookups {
  trackers: Named[];
  priorities: (Named & { is_default?: boolean })[];
  at: number;
}
const cache = new Map<string, Lookups>();

function keyOf(ctx: RedmineContext): string {
  const key = createHash('sha256').update(ctx.secrets.apiKey ?? '').digest('hex').slice(0, 16);
  return `${ctx.instance.tenantId}\u0000${ctx.instance.id}\u0000${ctx.config.url}\u0000${key}`;
}

export async function lookups(ctx: RedmineContext, fresh = false): Promise<Lookups> {
  const key = keyOf(ctx);
  const hit = cache.get(key);
  if (hit && !fresh && Date.now() - hit.at < TTL_MS) return hit;
  const [trackers, priorities] = await Promise.all([
    redmine<{ trackers: Named[] }>(ctx, 'GET', '/trackers.json'),
    redmine<{ issue_priorities: Named[] }>(ctx, 'GET', '/enumerations/issue_priorities.json'),
  ]);
  const value: Lookups = { trackers: trackers!.body.trackers ?? [], priorities: priorities!.body.issue_priorities ?? [], at: Date.now() };
  if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value!);
  cache.set(key, value);
  return value;
}

/** A configured name (or numeric id) to its id, with the valid choices when it matches none. */
export function resolveNamed(kind: 'tracker' | 'priority', wanted: string, choices: Named[]): number {
  const byName = choices.find((c) => c.name.toLowerCase() === wanted.trim().toLowerCase());
  if (byName) return byName.id;
  if (/^\d+$/.test(wanted) && choices.some((c) => c.id === Number(wanted))) return Number(wanted);
  throw new OutboundError('invalid', `Redmine has no ${kind} "${wanted.slice(0, 60)}": choose one of ${choices.map((c) => c.name).join(', ') || '(none)'}`);
}
