import type { ValueKind } from '../firewall-common/actions.ts';
import type { BatchOutcome } from '../firewall-common/outcome.ts';
import { normalizeIp } from '../firewall-common/values.ts';
import { FirewallError } from '../firewall-common/errors.ts';
import { SophosClient, type Ctx, type EntityStatus } from './client.ts';
import type { SophosConfig } from './settings.ts';
import { asArray, isNode, text, type XmlNode } from './xml.ts';

/**
 * Blocking on Sophos Firewall: an IPHost per address, member of a managed IPHostGroup (one per
 * IP family, as Sophos groups are) dropped by a managed firewall rule; URLs and domains in a
 * managed WebFilterURLGroup. Many entities travel in one request (a chunk), so 1,000 addresses
 * take a handful of requests; each entity has its own status, so a host Sophos refuses fails
 * only its own value (outcome.failed).
 */
const CHUNK = 250;
const DUPLICATE = /same name already exists|already exists/i;

export function hostName(config: Pick<SophosConfig, 'hostPrefix'>, ip: string): string {
  return `${config.hostPrefix}${ip.replace(/:/g, '_')}`;
}

export function urlEntry(kind: ValueKind, value: string): string {
  if (kind === 'domain') return value;
  const u = new URL(value);
  return `${u.host}${u.pathname === '/' && !u.search ? '' : u.pathname}${u.search}`;
}

const familyOf = (ip: string) => normalizeIp(ip).family;
const groupFor = (config: SophosConfig, family: 4 | 6) => (family === 4 ? config.groupName : `${config.groupName}-v6`);
const ruleFor = (config: SophosConfig, family: 4 | 6) => (family === 4 ? config.ruleName : `${config.ruleName}-v6`);
const FAMILY = { 4: 'IPv4', 6: 'IPv6' } as const;

function byFamily(values: string[]): [4 | 6, string[]][] {
  const out: Record<4 | 6, string[]> = { 4: [], 6: [] };
  for (const v of values) out[familyOf(v)].push(v);
  return ([4, 6] as const).filter((f) => out[f].length).map((f) => [f, out[f]]);
}

const members = (group: XmlNode | null) => new Set(isNode(group?.HostList) ? asArray(group.HostList.Host).map(text) : []);

async function ensureGroupAndRule(api: SophosClient, config: SophosConfig, family: 4 | 6, created: string[]): Promise<XmlNode | null> {
  const name = groupFor(config, family);
  const group = await api.getByName('IPHostGroup', name);
  if (!group) {
    const res = await api.send({ Set: { '@_operation': 'add', IPHostGroup: [{ Name: name, Description: 'Managed by xdrhub', IPFamily: FAMILY[family], HostList: '' }] } });
    api.expectOk(api.statuses(res, 'IPHostGroup'), `create the group ${name}`);
    created.push(`group ${name}`);
  }
  if (config.createRules) {
    const rule = ruleFor(config, family);
    if (!(await api.getByName('FirewallRule', rule))) {
      const res = await api.send({
        Set: {
          '@_operation': 'add',
          FirewallRule: [
            {
              Name: rule,
              Description: 'Managed by xdrhub',
              IPFamily: FAMILY[family],
              Status: 'Enable',
              Position: 'Top',
              PolicyType: 'Network',
              NetworkPolicy: { Action: 'Drop', LogTraffic: 'Enable', DestinationNetworks: { Network: [name] } },
            },
          ],
        },
      });
      api.expectOk(api.statuses(res, 'FirewallRule'), `create the rule ${rule}`);
      created.push(`rule ${rule}`);
    }
  }
  return group;
}

function ipHost(config: SophosConfig, ip: string, family: 4 | 6, index: number): XmlNode {
  return { '@_transactionid': String(index), Name: hostName(config, ip), IPFamily: FAMILY[family], HostType: 'IP', IPAddress: ip, Description: 'Blocked by xdrhub', HostGroupList: { HostGroup: [groupFor(config, family)] } };
}

export async function block(ctx: Ctx, kind: ValueKind, values: string[]): Promise<BatchOutcome> {
  const api = new SophosClient(ctx);
  const config = ctx.config;
  const outcome: BatchOutcome = { changed: [], unchanged: [], created: [] };
  if (kind !== 'ip') return blockUrls(api, config, kind, values, outcome);
  const failed = new Map<string, unknown>();
  for (const [family, ips] of byFamily(values)) {
    const present = members(await ensureGroupAndRule(api, config, family, outcome.created));
    const fresh = ips.filter((ip) => !present.has(hostName(config, ip)));
    outcome.unchanged.push(...ips.filter((ip) => present.has(hostName(config, ip))));
    for (let i = 0; i < fresh.length; i += CHUNK) {
      const chunk = fresh.slice(i, i + CHUNK);
      const res = await api.send({ Set: { '@_operation': 'add', IPHost: chunk.map((ip, j) => ipHost(config, ip, family, j)) } });
      const statuses = api.statuses(res, 'IPHost');
      if (statuses.length !== chunk.length) throw new FirewallError('request', `Sophos answered ${statuses.length} statuses for ${chunk.length} IP hosts`);
      // Each host has its own status: a refused one fails only the action that asked for it.
      const refused = (s: EntityStatus, ip: string) => failed.set(ip, new FirewallError('request', `Sophos could not add the IP host for ${ip} (${s.code}: ${s.message.slice(0, 200)})`, s.code));
      const dup: string[] = [];
      for (const st of statuses) {
        const ip = chunk[Number(st.transactionId)];
        if (ip === undefined) api.expectOk([st], 'add IP hosts');
        else if (st.code === 200) continue;
        else if (DUPLICATE.test(st.message)) dup.push(ip);
        else refused(st, ip);
      }
      // Hosts left by an earlier run but outside the group: update them into it.
      if (dup.length) {
        const upd = await api.send({ Set: { '@_operation': 'update', IPHost: dup.map((ip, j) => ipHost(config, ip, family, j)) } });
        for (const st of api.statuses(upd, 'IPHost')) if (st.code !== 200) refused(st, dup[Number(st.transactionId)] ?? dup[0]);
      }
      outcome.changed.push(...chunk.filter((ip) => !failed.has(ip)));
    }
  }
  if (failed.size) outcome.failed = failed;
  return outcome;
}

export async function unblock(ctx: Ctx, kind: ValueKind, values: string[]): Promise<BatchOutcome> {
  const api = new SophosClient(ctx);
  const config = ctx.config;
  const outcome: BatchOutcome = { changed: [], unchanged: [], created: [] };
  if (kind !== 'ip') return unblockUrls(api, config, kind, values, outcome);
  for (const [family, ips] of byFamily(values)) {
    const name = groupFor(config, family);
    const group = await api.getByName('IPHostGroup', name);
    const present = members(group);
    const gone = ips.filter((ip) => present.has(hostName(config, ip)));
    outcome.unchanged.push(...ips.filter((ip) => !present.has(hostName(config, ip))));
    if (!gone.length) continue;
    // Out of the group first: a host still referenced by a group cannot be removed.
    const goneNames = new Set(gone.map((ip) => hostName(config, ip)));
    const remaining = [...present].filter((h) => !goneNames.has(h));
    const upd = await api.send({ Set: { '@_operation': 'update', IPHostGroup: [{ Name: name, Description: 'Managed by xdrhub', IPFamily: FAMILY[family], HostList: remaining.length ? { Host: remaining } : '' }] } });
    api.expectOk(api.statuses(upd, 'IPHostGroup'), `update the group ${name}`);
    for (let i = 0; i < gone.length; i += CHUNK) {
      const res = await api.send({ Remove: { IPHost: gone.slice(i, i + CHUNK).map((ip) => ({ Name: hostName(config, ip) })) } });
      // A host someone else still uses stays; it is out of xdrhub's group, which is what unblocking means.
      for (const s of api.statuses(res, 'IPHost')) if (s.code !== 200) ctx.logger.warn({ code: s.code }, 'sophos IP host kept: removal refused');
    }
    outcome.changed.push(...gone);
  }
  return outcome;
}

async function urlGroup(api: SophosClient, config: SophosConfig): Promise<{ exists: boolean; urls: string[] }> {
  const g = await api.getByName('WebFilterURLGroup', config.urlGroupName);
  return { exists: !!g, urls: g && isNode(g.URLlist) ? asArray(g.URLlist.URL).map(text) : [] };
}

function urlGroupEntity(config: SophosConfig, urls: string[]): XmlNode {
  return { Name: config.urlGroupName, Description: 'URLs and domains blocked by xdrhub', IsDefault: 'No', URLlist: urls.length ? { URL: urls } : '' };
}

async function blockUrls(api: SophosClient, config: SophosConfig, kind: ValueKind, values: string[], outcome: BatchOutcome): Promise<BatchOutcome> {
  const group = await urlGroup(api, config);
  const listed = new Set(group.urls);
  const entries = values.map((v) => urlEntry(kind, v));
  outcome.changed = values.filter((_, i) => !listed.has(entries[i]));
  outcome.unchanged = values.filter((_, i) => listed.has(entries[i]));
  if (group.exists && !outcome.changed.length) return outcome;
  // Update replaces the whole URL list, so the merged list is sent.
  const merged = [...new Set([...group.urls, ...entries])];
  const res = await api.send({ Set: { '@_operation': group.exists ? 'update' : 'add', WebFilterURLGroup: [urlGroupEntity(config, merged)] } });
  api.expectOk(api.statuses(res, 'WebFilterURLGroup'), `update the URL group ${config.urlGroupName}`);
  if (!group.exists) outcome.created.push(`url-group ${config.urlGroupName}`);
  return outcome;
}

async function unblockUrls(api: SophosClient, config: SophosConfig, kind: ValueKind, values: string[], outcome: BatchOutcome): Promise<BatchOutcome> {
  const group = await urlGroup(api, config);
  const entries = new Set(values.map((v) => urlEntry(kind, v)));
  const listed = new Set(group.urls);
  outcome.changed = values.filter((v) => listed.has(urlEntry(kind, v)));
  outcome.unchanged = values.filter((v) => !listed.has(urlEntry(kind, v)));
  if (!outcome.changed.length) return outcome;
  const res = await api.send({ Set: { '@_operation': 'update', WebFilterURLGroup: [urlGroupEntity(config, group.urls.filter((u) => !entries.has(u)))] } });
  api.expectOk(api.statuses(res, 'WebFilterURLGroup'), `update the URL group ${config.urlGroupName}`);
  return outcome;
}
