import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../platform/db/index.ts';
import { newId, now } from '../platform/ids.ts';
import { AppError, conflict, invalidField, notFound } from '../platform/errors.ts';
import type { Actor } from '../platform/actor.ts';
import type { AuditLog } from '../platform/audit/index.ts';
import type { JobQueue } from '../platform/jobs/index.ts';

export type TenantKind = 'root' | 'shared' | 'customer';

export interface Tenant {
  id: string;
  parentId: string | null;
  name: string;
  kind: TenantKind;
  path: string;
  depth: number;
  createdAt: number;
  updatedAt: number;
}

export interface TenantNode extends Tenant {
  children: TenantNode[];
}

interface TenantsTable {
  id: string;
  parent_id: string | null;
  name: string;
  kind: TenantKind;
  path: string;
  depth: number;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
  purge_after: number | null;
}
type Tables = { tenants: TenantsTable };
type Db = Kysely<Tables>;

/**
 * Lifecycle hooks let other modules react to tenant changes without the tenants module
 * knowing them: integrations copy settings on create and stop on delete; every module
 * purges its rows on purge.
 */
export interface TenantLifecycle {
  /** Inside the creating transaction: copy what the child inherits from its parent. */
  onCreated?(parent: Tenant, child: Tenant, trx: Transaction<any>): Promise<void>;
  /** Right after the subtree is marked deleted: stop everything at once. */
  onDeleted?(tenantIds: string[]): Promise<void>;
  /** The background purge: remove every row and secret of these tenants. */
  onPurge?(tenantIds: string[], trx: Transaction<any>): Promise<void>;
}

export const TENANT_PURGE_JOB = 'tenants.purge';
const NAME_FORBIDDEN = /[<>"\u0000-\u001f\u007f]/;

export function validateTenantName(raw: unknown, field = 'name'): string {
  if (typeof raw !== 'string') throw invalidField(field, 'must be a string');
  const name = raw.trim();
  if (name.length === 0) throw invalidField(field, 'must not be empty');
  if (name.length > 255) throw invalidField(field, 'must be at most 255 characters');
  if (NAME_FORBIDDEN.test(name)) throw invalidField(field, 'must not contain <, >, " or control characters');
  return name;
}

function toTenant(row: TenantsTable): Tenant {
  return {
    id: row.id,
    parentId: row.parent_id,
    name: row.name,
    kind: row.kind,
    path: row.path,
    depth: row.depth,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

/** Ids from the root down to the tenant itself, read from its materialized path. */
export function pathIds(tenant: Pick<Tenant, 'path'>): string[] {
  return tenant.path.split('/').filter(Boolean);
}

export interface TenantsServiceDeps {
  database: Database;
  audit: AuditLog;
  jobs: JobQueue;
  purgeDelayMs: number;
}

export class TenantsService {
  private readonly db: Db;
  private readonly hooks: TenantLifecycle[] = [];
  /** Tenant rows change rarely and are read on every request: a small cache keyed by id. */
  private readonly cache = new Map<string, Tenant | null>();

  constructor(private readonly deps: TenantsServiceDeps) {
    this.db = deps.database.db.withTables<Tables>() as unknown as Db;
  }

  addLifecycle(hooks: TenantLifecycle): void {
    this.hooks.push(hooks);
  }

  /** Creates Root and Shared on first start; returns them. */
  async ensureBuiltins(): Promise<{ root: Tenant; shared: Tenant }> {
    let root = await this.db.selectFrom('tenants').selectAll().where('kind', '=', 'root').executeTakeFirst();
    if (!root) {
      const id = newId();
      const t = now();
      root = { id, parent_id: null, name: 'Root', kind: 'root', path: `/${id}/`, depth: 0, created_at: t, updated_at: t, deleted_at: null, purge_after: null };
      await this.db.insertInto('tenants').values(root).execute();
    }
    let shared = await this.db.selectFrom('tenants').selectAll().where('kind', '=', 'shared').executeTakeFirst();
    if (!shared) {
      const id = newId();
      const t = now();
      shared = { id, parent_id: root.id, name: 'Shared', kind: 'shared', path: `${root.path}${id}/`, depth: 1, created_at: t, updated_at: t, deleted_at: null, purge_after: null };
      await this.db.insertInto('tenants').values(shared).execute();
    }
    return { root: toTenant(root), shared: toTenant(shared) };
  }

  async root(): Promise<Tenant> {
    const row = await this.db.selectFrom('tenants').selectAll().where('kind', '=', 'root').executeTakeFirstOrThrow();
    return toTenant(row);
  }

  /** A live tenant, or null when it does not exist or was deleted. */
  async find(id: string): Promise<Tenant | null> {
    if (this.cache.has(id)) return this.cache.get(id)!;
    const row = await this.db.selectFrom('tenants').selectAll().where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
    const tenant = row ? toTenant(row) : null;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(id, tenant);
    return tenant;
  }

  async get(id: string): Promise<Tenant> {
    const tenant = await this.find(id);
    if (!tenant) throw notFound('tenant');
    return tenant;
  }

  async isActive(id: string): Promise<boolean> {
    return (await this.find(id)) !== null;
  }

  /** The live subtree rooted at `id` (including it), ordered by depth then name. */
  async subtree(id: string): Promise<Tenant[]> {
    const top = await this.get(id);
    const rows = await this.db
      .selectFrom('tenants')
      .selectAll()
      .where('path', 'like', `${top.path}%`)
      .where('deleted_at', 'is', null)
      .orderBy('depth')
      .orderBy('name')
      .execute();
    return rows.map(toTenant);
  }

  /** Builds nested trees for the given top tenants (those the caller may see). */
  async trees(topIds: string[]): Promise<TenantNode[]> {
    const tops = (await Promise.all(topIds.map((id) => this.find(id)))).filter((t): t is Tenant => !!t);
    // Drop tops that lie inside another top's subtree: they appear there already.
    const distinct = tops.filter((t) => !tops.some((o) => o.id !== t.id && t.path.startsWith(o.path)));
    const out: TenantNode[] = [];
    for (const top of distinct) {
      const nodes = new Map<string, TenantNode>();
      for (const t of await this.subtree(top.id)) nodes.set(t.id, { ...t, children: [] });
      for (const node of nodes.values()) {
        if (node.id !== top.id && node.parentId) nodes.get(node.parentId)?.children.push(node);
      }
      out.push(nodes.get(top.id)!);
    }
    return out;
  }

  async create(input: { parentId: string; name: unknown }, actor: Actor): Promise<Tenant> {
    const name = validateTenantName(input.name);
    const parent = await this.get(input.parentId);
    if (parent.kind === 'shared') {
      throw new AppError(400, 'invalid_request', 'parentId: the Shared tenant holds shared resources and cannot have child tenants', { field: 'parentId' });
    }
    const id = newId();
    const t = now();
    const row: TenantsTable = {
      id,
      parent_id: parent.id,
      name,
      kind: 'customer',
      path: `${parent.path}${id}/`,
      depth: parent.depth + 1,
      created_at: t,
      updated_at: t,
      deleted_at: null,
      purge_after: null,
    };
    const child = toTenant(row);
    await this.db.transaction().execute(async (trx) => {
      await this.assertNameFree(trx, parent.id, name);
      await trx.insertInto('tenants').values(row).execute();
      for (const h of this.hooks) await h.onCreated?.(parent, child, trx);
      await this.deps.audit.append({ actor, tenantId: id, action: 'tenant.create', target: { kind: 'tenant', id: id }, details: { name, parentId: parent.id } }, trx);
    });
    return child;
  }

  async rename(id: string, rawName: unknown, actor: Actor): Promise<Tenant> {
    const name = validateTenantName(rawName);
    const tenant = await this.get(id);
    if (tenant.kind !== 'customer') throw new AppError(400, 'invalid_request', `id: the ${tenant.name} tenant cannot be renamed`, { field: 'id' });
    await this.db.transaction().execute(async (trx) => {
      await this.assertNameFree(trx, tenant.parentId, name, id);
      await trx.updateTable('tenants').set({ name, updated_at: now() }).where('id', '=', id).execute();
      await this.deps.audit.append({ actor, tenantId: id, action: 'tenant.rename', target: { kind: 'tenant', id: id }, details: { from: tenant.name, to: name } }, trx);
    });
    this.cache.delete(id);
    return this.get(id);
  }

  /**
   * Deletes the subtree: it disappears from the API at once, lifecycle hooks stop its
   * integrations before this returns, and a durable job purges its data after the delay.
   */
  async delete(id: string, actor: Actor): Promise<{ tenantIds: string[]; purgeAfter: number }> {
    const tenant = await this.get(id);
    if (tenant.kind !== 'customer') throw new AppError(400, 'invalid_request', `id: the ${tenant.name} tenant cannot be deleted`, { field: 'id' });
    const ids = (await this.subtree(id)).map((t) => t.id);
    const t = now();
    const purgeAfter = t + this.deps.purgeDelayMs;
    await this.db.transaction().execute(async (trx) => {
      await trx.updateTable('tenants').set({ deleted_at: t, purge_after: purgeAfter, updated_at: t }).where('id', 'in', ids).execute();
      await this.deps.jobs.enqueue(TENANT_PURGE_JOB, { tenantIds: ids }, { runAt: purgeAfter, idempotencyKey: `tenant-purge:${id}`, trx });
      await this.deps.audit.append({ actor, tenantId: id, action: 'tenant.delete', target: { kind: 'tenant', id: id }, details: { name: tenant.name, subtree: ids.length, purgeAfter: new Date(purgeAfter).toISOString() } }, trx);
    });
    for (const tid of ids) this.cache.delete(tid);
    for (const h of this.hooks) await h.onDeleted?.(ids);
    return { tenantIds: ids, purgeAfter };
  }

  /** The purge job: every module removes its rows, then the tenant rows go. */
  async purge(tenantIds: string[], actor: Actor): Promise<void> {
    if (tenantIds.length === 0) return;
    await this.db.transaction().execute(async (trx) => {
      for (const h of this.hooks) await h.onPurge?.(tenantIds, trx);
      await trx.deleteFrom('tenants').where('id', 'in', tenantIds).where('deleted_at', 'is not', null).execute();
      await this.deps.audit.append({ actor, tenantId: null, action: 'tenant.purge', target: { kind: 'tenant', id: tenantIds[0] }, details: { tenantIds } }, trx);
    });
    for (const tid of tenantIds) this.cache.delete(tid);
  }

  private async assertNameFree(trx: Transaction<any>, parentId: string | null, name: string, exceptId?: string): Promise<void> {
    let q = (trx as unknown as Db).selectFrom('tenants').select('id').where('parent_id', '=', parentId as string).where('name', '=', name).where('deleted_at', 'is', null);
    if (exceptId) q = q.where('id', '!=', exceptId);
    if (await q.executeTakeFirst()) throw conflict(`a tenant named "${name}" already exists under this parent`, { field: 'name' });
  }
}
