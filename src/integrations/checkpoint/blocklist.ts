import { mapLimit, type ValueKind } from '../firewall-common/actions.ts';
import { SessionExpiredError } from '../firewall-common/errors.ts';
import type { BatchOutcome } from '../firewall-common/outcome.ts';
import { withSession } from '../firewall-common/session.ts';
import { CheckpointApiError, CheckpointClient, type CpSession, type Ctx } from './client.ts';
import type { CheckpointConfig } from './settings.ts';

/**
 * Blocking on Check Point: host objects in a managed network group dropped by a managed rule;
 * URLs and domains in the URL list of a managed custom application/site dropped by another rule.
 * A batch is one session: everything is staged, published once (then installed when configured);
 * a failure of the batch before the publish succeeds discards the session's changes. A host the
 * server refuses is left out of the group and reported for its own value only (outcome.failed).
 */

/** The host object for an address (':' is not allowed in object names, so IPv6 uses '_'). */
export function hostName(config: Pick<CheckpointConfig, 'hostPrefix'>, ip: string): string {
  return `${config.hostPrefix}${ip.replace(/:/g, '_')}`;
}

/** Check Point application/site URL lists match without the scheme. */
export function siteEntry(kind: ValueKind, value: string): string {
  if (kind === 'domain') return value;
  const u = new URL(value);
  return `${u.host}${u.pathname === '/' && !u.search ? '' : u.pathname}${u.search}`;
}

// Calls within one session are applied by the server one after another; a few in flight hide
// the round trip without queueing a thousand requests on the management server.
const IN_FLIGHT = 4;

function memberNames(group: Record<string, unknown> | null): Set<string> {
  const members = Array.isArray(group?.members) ? group.members : [];
  return new Set(members.map((m) => (typeof m === 'string' ? m : String((m as { name?: unknown }).name ?? ''))));
}

function isDuplicate(err: unknown): boolean {
  return err instanceof CheckpointApiError && (err.apiCode === 'err_validation_failed' || err.apiCode === 'generic_err_object_exists') && /already exists|more than one object|same name/i.test(err.message);
}

async function ensureRule(api: CheckpointClient, s: CpSession, config: CheckpointConfig, name: string, body: Record<string, unknown>, created: string[]): Promise<void> {
  if (!config.createRules) return;
  if (await api.find(s, 'access-rule', { name, layer: config.layer })) return;
  await api.call('add-access-rule', { layer: config.layer, position: 'top', name, action: 'Drop', track: { type: 'Log' }, comments: 'Managed by xdrhub', ...body }, s);
  created.push(`rule ${name}`);
}

/** Publishes what the batch staged (and installs when configured); discards on any failure. */
async function commit(api: CheckpointClient, s: CpSession, config: CheckpointConfig, staged: boolean, outcome: BatchOutcome, work: () => Promise<void>): Promise<BatchOutcome> {
  let published = false;
  try {
    await work();
    if (!staged && outcome.changed.length === 0 && outcome.created.length === 0) return outcome;
    outcome.facts = { publishTaskId: await api.publish(s) };
    published = true;
    if (config.installPolicy) outcome.facts.installTaskId = await api.installPolicy(s);
    return outcome;
  } catch (err) {
    // Staged changes belong to this session only; dropping them keeps the device as it was.
    if (!published && !(err instanceof SessionExpiredError)) await api.discard(s).catch(() => {});
    if (published && err instanceof Error) err.message = `the changes were published but install-policy failed: ${err.message}`;
    throw err;
  }
}

export async function block(ctx: Ctx, kind: ValueKind, values: string[]): Promise<BatchOutcome> {
  const api = new CheckpointClient(ctx);
  const config = ctx.config;
  return withSession({ login: () => api.login(), logout: (s) => api.logout(s) }, async (s) => {
    const outcome: BatchOutcome = { changed: [], unchanged: [], created: [] };
    return commit(api, s, config, false, outcome, async () => {
      if (kind === 'ip') {
        const group = await api.find(s, 'group', { name: config.groupName, 'details-level': 'standard' });
        if (!group) {
          await api.call('add-group', { name: config.groupName, comments: 'Addresses blocked by xdrhub' }, s);
          outcome.created.push(`group ${config.groupName}`);
        }
        await ensureRule(api, s, config, config.ipRuleName, { destination: [config.groupName] }, outcome.created);
        const members = memberNames(group);
        const fresh = values.filter((ip) => !members.has(hostName(config, ip)));
        outcome.unchanged = values.filter((ip) => members.has(hostName(config, ip)));
        const failed = new Map<string, unknown>();
        await mapLimit(fresh, IN_FLIGHT, async (ip) => {
          try {
            await api.call('add-host', { name: hostName(config, ip), 'ip-address': ip, comments: 'Blocked by xdrhub', 'ignore-warnings': true }, s);
          } catch (err) {
            // Left behind by an earlier batch that failed after creating it: reuse it.
            if (isDuplicate(err)) return;
            // The server refused this one object: the batch goes on without it and only the
            // action that asked for it fails. A session, permission or transport error is the
            // whole batch's and stops it.
            if (err instanceof CheckpointApiError && err.stage === 'request') failed.set(ip, err);
            else throw err;
          }
        });
        const added = fresh.filter((ip) => !failed.has(ip));
        if (added.length) await api.call('set-group', { name: config.groupName, members: { add: added.map((ip) => hostName(config, ip)) } }, s);
        outcome.changed = added;
        if (failed.size) outcome.failed = failed;
        return;
      }
      const site = await api.find(s, 'application-site', { name: config.applicationSiteName });
      const listed = new Set<string>(Array.isArray(site?.['url-list']) ? (site['url-list'] as string[]) : []);
      const entries = values.map((v) => siteEntry(kind, v));
      const fresh = [...new Set(entries.filter((e) => !listed.has(e)))];
      outcome.unchanged = values.filter((_, i) => listed.has(entries[i]));
      outcome.changed = values.filter((_, i) => !listed.has(entries[i]));
      if (!site) {
        await api.call('add-application-site', { name: config.applicationSiteName, 'primary-category': 'Custom_Application_Site', 'url-list': fresh, 'urls-defined-as-regular-expression': false, comments: 'URLs and domains blocked by xdrhub' }, s);
        outcome.created.push(`application-site ${config.applicationSiteName}`);
      } else if (fresh.length) {
        await api.call('set-application-site', { name: config.applicationSiteName, 'url-list': { add: fresh } }, s);
      }
      await ensureRule(api, s, config, config.urlRuleName, { service: [config.applicationSiteName] }, outcome.created);
    });
  });
}

export async function unblock(ctx: Ctx, kind: ValueKind, values: string[]): Promise<BatchOutcome> {
  const api = new CheckpointClient(ctx);
  const config = ctx.config;
  return withSession({ login: () => api.login(), logout: (s) => api.logout(s) }, async (s) => {
    const outcome: BatchOutcome = { changed: [], unchanged: [], created: [] };
    return commit(api, s, config, false, outcome, async () => {
      if (kind === 'ip') {
        const members = memberNames(await api.find(s, 'group', { name: config.groupName, 'details-level': 'standard' }));
        outcome.changed = values.filter((ip) => members.has(hostName(config, ip)));
        outcome.unchanged = values.filter((ip) => !members.has(hostName(config, ip)));
        if (!outcome.changed.length) return;
        await api.call('set-group', { name: config.groupName, members: { remove: outcome.changed.map((ip) => hostName(config, ip)) } }, s);
        await mapLimit(outcome.changed, IN_FLIGHT, async (ip) => {
          try {
            await api.call('delete-host', { name: hostName(config, ip), 'ignore-warnings': true }, s);
          } catch (err) {
            // Still used elsewhere (someone put it in another rule): it is no longer blocked by
            // xdrhub's group, which is what unblocking promises; the object stays.
            if (!(err instanceof CheckpointApiError) || err instanceof SessionExpiredError) throw err;
            ctx.logger.warn({ host: hostName(config, ip), code: err.apiCode }, 'check point host kept: delete-host refused');
          }
        });
        return;
      }
      const site = await api.find(s, 'application-site', { name: config.applicationSiteName });
      const listed = new Set<string>(Array.isArray(site?.['url-list']) ? (site['url-list'] as string[]) : []);
      const entries = values.map((v) => siteEntry(kind, v));
      outcome.changed = values.filter((_, i) => listed.has(entries[i]));
      outcome.unchanged = values.filter((_, i) => !listed.has(entries[i]));
      const remove = [...new Set(entries.filter((e) => listed.has(e)))];
      if (remove.length) await api.call('set-application-site', { name: config.applicationSiteName, 'url-list': { remove } }, s);
    });
  });
}
