import type { ValueKind } from '../firewall-common/actions.ts';
import type { BatchOutcome } from '../firewall-common/outcome.ts';
import { withSession } from '../firewall-common/session.ts';
import { normalizeIp } from '../firewall-common/values.ts';
import { FAULT_ALREADY_EXISTS, UsergateClient, UsergateFault, itemsOf, type Ctx, type UgSession } from './client.ts';
import type { UsergateConfig } from './settings.ts';
import type { XmlRpcValue } from './xmlrpc.ts';

/**
 * Blocking on UserGate: values go into named lists (type "network" for IPs, "url" for URLs and
 * domains) referenced by a firewall drop rule (IPs) or content-filtering drop rules (URLs,
 * domains). A batch is one login: the list's current items are read once, only new values are
 * added (in chunks), and fault 2001 (already present) counts as success.
 */
const CHUNK = 500;

interface Managed {
  listType: 'network' | 'url';
  listName: string;
  ruleName: string;
  ruleKind: 'firewall' | 'content';
}

export function managedFor(config: UsergateConfig, kind: ValueKind): Managed {
  if (kind === 'ip') return { listType: 'network', listName: config.ipListName, ruleName: config.ipRuleName, ruleKind: 'firewall' };
  if (kind === 'url') return { listType: 'url', listName: config.urlListName, ruleName: config.urlRuleName, ruleKind: 'content' };
  return { listType: 'url', listName: config.domainListName, ruleName: config.domainRuleName, ruleKind: 'content' };
}

/** The list's values compare in canonical form, so 2001:DB8::1 typed on the device matches. */
function canon(kind: ValueKind, value: string): string {
  if (kind !== 'ip') return value;
  try {
    return normalizeIp(value).ip;
  } catch {
    return value;
  }
}

async function findList(api: UsergateClient, s: UgSession, m: Managed): Promise<string | null> {
  const found = itemsOf(await api.call('v2.nlists.list', [s.token, m.listType, 0, 10_000, { search: m.listName }])).find((l) => l.name === m.listName);
  return found ? String(found.id) : null;
}

async function ensureList(api: UsergateClient, s: UgSession, m: Managed, created: string[]): Promise<string> {
  const existing = await findList(api, s, m);
  if (existing) return existing;
  const id = await api.call('v2.nlists.add', [s.token, { name: m.listName, type: m.listType, description: 'Managed by xdrhub', list_type_update: 'static', schedule: 'disabled', attributes: {} }]);
  created.push(`list ${m.listName}`);
  return String(id);
}

async function ensureRule(api: UsergateClient, s: UgSession, config: UsergateConfig, m: Managed, listId: string, created: string[]): Promise<void> {
  if (!config.createRules) return;
  const prefix = m.ruleKind === 'firewall' ? 'v1.firewall' : 'v1.content';
  const rules = itemsOf(await api.call(`${prefix}.rules.list`, [s.token, 0, 1000, { name: m.ruleName }]));
  if (rules.some((r) => r.name === m.ruleName)) return;
  const rule: { [k: string]: XmlRpcValue } =
    m.ruleKind === 'firewall'
      ? { name: m.ruleName, description: 'Managed by xdrhub', action: 'drop', position: 1, dst_ips: [['list_id', listId]], enabled: true, log: true }
      : { name: m.ruleName, description: 'Managed by xdrhub', action: 'drop', position: 1, urls: [listId], enabled: true };
  await api.call(`${prefix}.rule.add`, [s.token, rule]);
  created.push(`rule ${m.ruleName}`);
}

async function listItems(api: UsergateClient, s: UgSession, listId: string, kind: ValueKind): Promise<Map<string, string>> {
  const out = await api.call('v2.nlists.list.list', [s.token, listId, 0, 1_000_000, '', []]);
  return new Map(itemsOf(out).map((i) => [canon(kind, String(i.value)), String(i.id)]));
}

// 2001 (already present) and the 4xx argument faults are about values; a 5xx fault is the
// device's own failure and fails the batch rather than being retried value by value.
const isValueFault = (err: unknown): err is UsergateFault => err instanceof UsergateFault && err.stage === 'request' && (err.faultCode === FAULT_ALREADY_EXISTS || (err.faultCode >= 400 && err.faultCode < 500));

export async function block(ctx: Ctx, kind: ValueKind, values: string[]): Promise<BatchOutcome> {
  const api = new UsergateClient(ctx);
  const m = managedFor(ctx.config, kind);
  return withSession({ login: () => api.login(), logout: (s) => api.logout(s) }, async (s) => {
    const outcome: BatchOutcome = { changed: [], unchanged: [], created: [] };
    const listId = await ensureList(api, s, m, outcome.created);
    await ensureRule(api, s, ctx.config, m, listId, outcome.created);
    const present = await listItems(api, s, listId, kind);
    outcome.unchanged = values.filter((v) => present.has(v));
    const fresh = values.filter((v) => !present.has(v));
    const failed = new Map<string, unknown>();
    for (let i = 0; i < fresh.length; i += CHUNK) {
      const chunk = fresh.slice(i, i + CHUNK);
      try {
        await api.call('v2.nlists.list.add.items', [s.token, listId, chunk.map((value) => ({ value }))]);
        outcome.changed.push(...chunk);
      } catch (err) {
        // A value fault faults the whole chunk: someone added one of the values meanwhile (2001),
        // or the device refuses one of them (an argument fault). One at a time,
        // so each value gets its own answer and a refused value fails only its own action.
        if (!isValueFault(err)) throw err;
        for (const value of chunk) {
          try {
            await api.call('v2.nlists.list.add', [s.token, listId, { value }]);
            outcome.changed.push(value);
          } catch (e) {
            if (!isValueFault(e)) throw e;
            if ((e as UsergateFault).faultCode === FAULT_ALREADY_EXISTS) outcome.unchanged.push(value);
            else failed.set(value, e);
          }
        }
      }
    }
    if (failed.size) outcome.failed = failed;
    outcome.facts = { listId };
    return outcome;
  });
}

export async function unblock(ctx: Ctx, kind: ValueKind, values: string[]): Promise<BatchOutcome> {
  const api = new UsergateClient(ctx);
  const m = managedFor(ctx.config, kind);
  return withSession({ login: () => api.login(), logout: (s) => api.logout(s) }, async (s) => {
    const outcome: BatchOutcome = { changed: [], unchanged: [...values], created: [] };
    const listId = await findList(api, s, m);
    if (!listId) return outcome;
    const present = await listItems(api, s, listId, kind);
    outcome.changed = values.filter((v) => present.has(v));
    outcome.unchanged = values.filter((v) => !present.has(v));
    const ids = outcome.changed.map((v) => present.get(v)!);
    for (let i = 0; i < ids.length; i += CHUNK) await api.call('v2.nlists.list.delete.items', [s.token, listId, ids.slice(i, i + CHUNK)]);
    outcome.facts = { listId };
    return outcome;
  });
}
