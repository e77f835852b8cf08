import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../platform/db/index.ts';
import { newId, now } from '../platform/ids.ts';
import { conflict, notFound, forbidden } from '../platform/errors.ts';
import type { Actor } from '../platform/actor.ts';
import type { AuditLog } from '../platform/audit/index.ts';
import { pathIds, type Tenant, type TenantsService } from '../tenants/tenants.ts';
import type { Jq } from './jq.ts';
import { validatePlaybook, type PlaybookDefinition, type Scope } from './model.ts';
import { TEMPLATES, type PlaybookTemplate } from './templates.ts';

export type PlaybookRow = {
  id: string;
  tenant_id: string;
  name: string;
  scope: string;
  mode: string;
  enabled: number;
  offer_to_children: number;
  definition: string;
  version: number;
  template_id: string | null;
  last_trigger_error: string | null;
  last_trigger_error_at: number | null;
  created_at: number;
  updated_at: number;
};
type Tables = { playbooks: PlaybookRow };

export interface Playbook extends PlaybookDefinition {
  id: string;
  tenantId: string;
  version: number;
  templateId: string | null;
  /** Offered by an ancestor tenant: live, and read-only here. */
  inherited: boolean;
  lastTriggerError: { message: string; at: number } | null;
  createdAt: number;
  updatedAt: number;
}

function toPlaybook(row: PlaybookRow, viewerTenantId: string): Playbook {
  return {
    ...(JSON.parse(row.definition) as PlaybookDefinition),
    id: row.id,
    tenantId: row.tenant_id,
    version: row.version,
    templateId: row.template_id,
    inherited: row.tenant_id !== viewerTenantId,
    lastTriggerError: row.last_trigger_error ? { message: row.last_trigger_error, at: Number(row.last_trigger_error_at) } : null,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

/** Playbooks per tenant; a parent's playbook offered to children is live and read-only below it. */
export class PlaybooksService {
  private readonly db: Kysely<Tables>;
  /** Playbooks that can trigger, by tenant and scope; cleared on every change. */
  private readonly applicableCache = new Map<string, Playbook[]>();

  constructor(private readonly deps: { database: Database; audit: AuditLog; tenants: TenantsService; jq: Jq }) {
    this.db = deps.database.db.withTables<Tables>() as unknown as Kysely<Tables>;
  }

  validate(raw: unknown): Promise<PlaybookDefinition> {
    return validatePlaybook(raw, this.deps.jq);
  }

  async list(tenant: Tenant, filter: { scope?: Scope; mode?: string; tag?: string } = {}): Promise<Playbook[]> {
    const lineage = pathIds(tenant);
    const rows = await this.db
      .selectFrom('playbooks')
      .selectAll()
      .where((eb) => eb.or([eb('tenant_id', '=', tenant.id), eb.and([eb('tenant_id', 'in', lineage), eb('offer_to_children', '=', 1)])]))
      .orderBy('name')
      .execute();
    return rows
      .map((r) => toPlaybook(r, tenant.id))
      .filter((p) => (!filter.scope || p.scope === filter.scope) && (!filter.mode || p.mode === filter.mode) && (!filter.tag || p.tags.includes(filter.tag)));
  }

  /** A playbook of this tenant, or one an ancestor offers to it; otherwise 404. */
  async get(tenant: Tenant, id: string): Promise<Playbook> {
    const row = await this.db.selectFrom('playbooks').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('playbook');
    const own = row.tenant_id === tenant.id;
    const offered = !!row.offer_to_children && pathIds(tenant).includes(row.tenant_id) && !own;
    if (!own && !offered) throw notFound('playbook');
    return toPlaybook(row, tenant.id);
  }

  async create(tenant: Tenant, raw: unknown, actor: Actor, templateId: string | null = null): Promise<Playbook> {
    const def = await this.validate(raw);
    const id = newId();
    const t = now();
    await this.db.transaction().execute(async (trx) => {
      await this.assertNameFree(trx, tenant.id, def.name);
      await trx.insertInto('playbooks').values(this.row(id, tenant.id, def, 1, templateId, t, t)).execute();
      await this.deps.audit.append({ actor, tenantId: tenant.id, action: 'playbook.create', target: { kind: 'playbook', id }, details: { name: def.name, mode: def.mode, templateId } }, trx);
    });
    this.applicableCache.clear();
    return this.get(tenant, id);
  }

  async update(tenant: Tenant, id: string, raw: unknown, actor: Actor): Promise<Playbook> {
    const current = await this.ownOrReadOnly(tenant, id);
    const def = await this.validate(raw);
    await this.db.transaction().execute(async (trx) => {
      await this.assertNameFree(trx, tenant.id, def.name, id);
      const { id: _unchanged, ...changes } = this.row(id, tenant.id, def, current.version + 1, current.templateId, current.createdAt, now());
      await trx.updateTable('playbooks').set(changes).where('id', '=', id).execute();
      await this.deps.audit.append({ actor, tenantId: tenant.id, action: 'playbook.update', target: { kind: 'playbook', id }, details: { name: def.name, mode: def.mode, version: current.version + 1 } }, trx);
    });
    this.applicableCache.clear();
    return this.get(tenant, id);
  }

  async setEnabled(tenant: Tenant, id: string, enabled: boolean, actor: Actor): Promise<Playbook> {
    const current = await this.ownOrReadOnly(tenant, id);
    const def: PlaybookDefinition = { ...current, enabled };
    await this.db.updateTable('playbooks').set({ enabled: enabled ? 1 : 0, definition: JSON.stringify(this.definitionOf(def)), updated_at: now() }).where('id', '=', id).execute();
    await this.deps.audit.append({ actor, tenantId: tenant.id, action: enabled ? 'playbook.enable' : 'playbook.disable', target: { kind: 'playbook', id }, details: {} });
    this.applicableCache.clear();
    return this.get(tenant, id);
  }

  async delete(tenant: Tenant, id: string, actor: Actor): Promise<void> {
    await this.ownOrReadOnly(tenant, id);
    await this.db.deleteFrom('playbooks').where('id', '=', id).execute();
    await this.deps.audit.append({ actor, tenantId: tenant.id, action: 'playbook.delete', target: { kind: 'playbook', id }, details: {} });
    this.applicableCache.clear();
  }

  templates(): PlaybookTemplate[] {
    return TEMPLATES;
  }

  /** Copies a read-only template into the tenant as an ordinary, editable playbook. */
  async createFromTemplate(tenant: Tenant, templateId: string, overrides: { name?: string; mode?: string; enabled?: boolean }, actor: Actor): Promise<Playbook> {
    const template = TEMPLATES.find((t) => t.id === templateId);
    if (!template) throw notFound('playbook template');
    return this.create(tenant, { ...template.playbook, ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) }, actor, templateId);
  }

  /** Enabled auto/training playbooks that see items of this tenant: its own and offered ones. */
  async applicable(tenantId: string, scope: Scope): Promise<Playbook[]> {
    const key = `${tenantId}:${scope}`;
    const cached = this.applicableCache.get(key);
    if (cached) return cached;
    const tenant = await this.deps.tenants.find(tenantId);
    if (!tenant) return [];
    const list = (await this.list(tenant, { scope })).filter((p) => p.enabled && p.mode !== 'manual' && p.trigger);
    if (this.applicableCache.size > 5000) this.applicableCache.clear();
    this.applicableCache.set(key, list);
    return list;
  }

  async recordTriggerError(id: string, message: string): Promise<void> {
    await this.db.updateTable('playbooks').set({ last_trigger_error: message.slice(0, 2000), last_trigger_error_at: now() }).where('id', '=', id).execute();
  }

  async purgeTenants(tenantIds: string[], trx: Transaction<any>): Promise<void> {
    await (trx as unknown as Transaction<Tables>).deleteFrom('playbooks').where('tenant_id', 'in', tenantIds).execute();
    this.applicableCache.clear();
  }

  private async ownOrReadOnly(tenant: Tenant, id: string): Promise<Playbook> {
    const p = await this.get(tenant, id);
    if (p.inherited) throw forbidden('this playbook is offered by a parent tenant and is read-only here: copy it to change it');
    return p;
  }

  private definitionOf(p: PlaybookDefinition): PlaybookDefinition {
    const { name, description, tags, scope, mode, trigger, steps, runTimeoutMinutes, enabled, offerToChildren } = p;
    return { name, description, tags, scope, mode, trigger, steps, runTimeoutMinutes, enabled, offerToChildren };
  }

  private row(id: string, tenantId: string, def: PlaybookDefinition, version: number, templateId: string | null, createdAt: number, updatedAt: number): PlaybookRow {
    return {
      id,
      tenant_id: tenantId,
      name: def.name,
      scope: def.scope,
      mode: def.mode,
      enabled: def.enabled ? 1 : 0,
      offer_to_children: def.offerToChildren ? 1 : 0,
      definition: JSON.stringify(this.definitionOf(def)),
      version,
      template_id: templateId,
      last_trigger_error: null,
      last_trigger_error_at: null,
      created_at: createdAt,
      updated_at: updatedAt,
    };
  }

  private async assertNameFree(trx: Transaction<Tables>, tenantId: string, name: string, exceptId?: string): Promise<void> {
    let q = trx.selectFrom('playbooks').select('id').where('tenant_id', '=', tenantId).where('name', '=', name);
    if (exceptId) q = q.where('id', '!=', exceptId);
    if (await q.executeTakeFirst()) throw conflict(`a playbook named "${name}" already exists in this tenant`, { field: 'name' });
  }
}
