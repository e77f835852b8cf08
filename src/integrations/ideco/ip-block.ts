import { ensureDropRules } from './rules.ts';
import { call, type IdecoContext } from './session.ts';
import type { IdecoVariant } from './variant.ts';

/**
 * Adds or removes addresses in the managed address list, in one pass for a whole batch. The
 * result says, per address, whether this call changed it, and what it had to create.
 */
export interface BatchOutcome {
  changed: string[];
  unchanged: string[];
  created: string[];
}

const COMMENT = 'Managed by xdrhub: addresses blocked by response actions';
/** Marks the IP objects xdrhub created (UTM), so unblocking deletes only those. */
const OBJECT_COMMENT = 'xdrhub';
const CREATE_CONCURRENCY = 8;

interface AliasList {
  id: string;
  title: string;
  comment?: string;
  values: string[];
}
interface IpObject {
  id: string;
  title: string;
  comment?: string;
  value: string;
}

export async function applyIpBatch(ctx: IdecoContext, variant: IdecoVariant, op: 'block' | 'unblock', ips: string[]): Promise<BatchOutcome> {
  return variant.ipStore === 'addressList' ? viaAddressList(ctx, op, ips) : viaIpObjects(ctx, op, ips);
}

/** NGFW: the list holds the addresses; one PUT for the batch. */
async function viaAddressList(ctx: IdecoContext, op: 'block' | 'unblock', ips: string[]): Promise<BatchOutcome> {
  const path = '/aliases/ip_address_lists';
  const title = ctx.config.addressListName;
  const out: BatchOutcome = { changed: [], unchanged: [], created: [] };
  let list = ((await call<AliasList[]>(ctx, 'GET', path)) ?? []).find((l) => l.title === title);
  if (!list) {
    if (op === 'unblock') return { ...out, unchanged: ips };
    const { id } = (await call<{ id: string }>(ctx, 'POST', path, { json: { title, comment: COMMENT, values: [] } }))!;
    list = { id, title, comment: COMMENT, values: [] };
    out.created.push(`address list "${title}"`);
  }
  const current = new Set(list.values);
  for (const ip of ips) ((op === 'block') !== current.has(ip) ? out.changed : out.unchanged).push(ip);
  if (out.changed.length) {
    const changed = new Set(out.changed);
    const values = op === 'block' ? [...list.values, ...out.changed] : list.values.filter((v) => !changed.has(v));
    await call(ctx, 'PUT', `${path}/${encodeURIComponent(list.id)}`, { json: { title, comment: list.comment ?? COMMENT, values } });
  }
  if (op === 'block') out.created.push(...(await ensureDropRules(ctx, list.id)));
  return out;
}

/** UTM: one IP object per address, referenced by id from a list of IP objects. */
async function viaIpObjects(ctx: IdecoContext, op: 'block' | 'unblock', ips: string[]): Promise<BatchOutcome> {
  const listPath = '/aliases/lists/addresses';
  const title = ctx.config.addressListName;
  const out: BatchOutcome = { changed: [], unchanged: [], created: [] };
  const [lists, objects] = await Promise.all([call<AliasList[]>(ctx, 'GET', listPath), call<IpObject[]>(ctx, 'GET', '/aliases/ip_addresses')]);
  let list = (lists ?? []).find((l) => l.title === title);
  if (!list) {
    if (op === 'unblock') return { ...out, unchanged: ips };
    const { id } = (await call<{ id: string }>(ctx, 'POST', listPath, { json: { title, comment: COMMENT, values: [] } }))!;
    list = { id, title, comment: COMMENT, values: [] };
    out.created.push(`address list "${title}"`);
  }
  const inList = new Set(list.values);
  const byValue = new Map<string, IpObject>();
  // Prefer an object xdrhub made; reuse an administrator's object for the same address otherwise.
  for (const o of objects ?? []) if (!byValue.has(o.value) || o.comment === OBJECT_COMMENT) byValue.set(o.value, o);

  if (op === 'block') {
    const toAdd: string[] = [];
    const missing: string[] = [];
    for (const ip of ips) {
      const obj = byValue.get(ip);
      if (obj && inList.has(obj.id)) out.unchanged.push(ip);
      else if (obj) toAdd.push(obj.id), out.changed.push(ip);
      else missing.push(ip);
    }
    // No bulk create in this API: a few at a time, in one session.
    for (let i = 0; i < missing.length; i += CREATE_CONCURRENCY) {
      const ids = await Promise.all(missing.slice(i, i + CREATE_CONCURRENCY).map(async (ip) => (await call<{ id: string }>(ctx, 'POST', '/aliases/ip_addresses', { json: { title: ip, comment: OBJECT_COMMENT, value: ip } }))!.id));
      toAdd.push(...ids);
      out.changed.push(...missing.slice(i, i + CREATE_CONCURRENCY));
    }
    if (toAdd.length) await call(ctx, 'PUT', `${listPath}/${encodeURIComponent(list.id)}`, { json: { title, comment: list.comment ?? COMMENT, values: [...list.values, ...toAdd] } });
    out.created.push(...(await ensureDropRules(ctx, list.id)));
    return out;
  }

  const removeIds = new Set<string>();
  const ours: IpObject[] = [];
  for (const ip of ips) {
    const obj = (objects ?? []).find((o) => o.value === ip && inList.has(o.id));
    if (!obj) {
      out.unchanged.push(ip);
      continue;
    }
    removeIds.add(obj.id);
    out.changed.push(ip);
    if (obj.comment === OBJECT_COMMENT) ours.push(obj);
  }
  if (removeIds.size) await call(ctx, 'PUT', `${listPath}/${encodeURIComponent(list.id)}`, { json: { title, comment: list.comment ?? COMMENT, values: list.values.filter((v) => !removeIds.has(v)) } });
  for (let i = 0; i < ours.length; i += CREATE_CONCURRENCY) {
    await Promise.all(
      ours.slice(i, i + CREATE_CONCURRENCY).map((o) =>
        // The object may be used elsewhere by an administrator since: leaving it is harmless.
        call(ctx, 'DELETE', `/aliases/ip_addresses/${encodeURIComponent(o.id)}`, { notFoundIsNull: true }).catch((err: Error) => ctx.logger.info({ id: o.id, err: err.message }, 'kept the IP object')),
      ),
    );
  }
  return out;
}
