import type { Kysely, Transaction } from 'kysely';
import type { TSchema } from 'typebox';
import type { Database } from '../../platform/db/index.ts';
import { newId, now } from '../../platform/ids.ts';
import { AppError, conflict, invalidField, notFound } from '../../platform/errors.ts';
import { SYSTEM_ACTOR, type Actor } from '../../platform/actor.ts';
import type { AuditLog } from '../../platform/audit/index.ts';
import type { Logger } from '../../platform/log/index.ts';
import type { Vault, SecretRef, SecretsWithTimes } from '../../platform/secrets/index.ts';
import { OutboundError, type OutboundClient } from '../../platform/outbound/index.ts';
import type { Tenant, TenantsService } from '../../tenants/tenants.ts';
import type { ActionResult, ActionTarget, CheckResult, ConnectorContext, ConnectorType, InstanceStatus, OwnSettingsPatch } from './contract.ts';
import type { ConnectorRegistry } from './registry.ts';
import { validateAgainst, withDefaults } from './validate.ts';

interface InstancesTable {
  id: string;
  tenant_id: string;
  type: string;
  name: string;
  enabled: number;
  config: string;
  copied_from_tenant_id: string | null;
  copied_from_instance_id: string | null;
  last_check: string | null;
  created_at: number;
  updated_at: number;
}
type Tables = { integration_instances: InstancesTable };
type Db = Kysely<Tables>;

/** Parameters an action marks writeOnly (a given password): kept in the vault, never in history. */
export function secretParamNames(schema: unknown): string[] {
  const props = (schema as { properties?: Record<string, { writeOnly?: boolean }> })?.properties ?? {};
  return Object.entries(props).filter(([, p]) => p?.writeOnly === true).map(([k]) => k);
}

export interface CatalogueEntry {
  instanceId: string;
  instanceName: string;
  type: string;
  action: string;
  title: string;
  description: string;
  targetKinds: string[];
  paramsSchema: unknown;
  undo: string | null;
}

export interface StoredCheck extends CheckResult {
  at: number;
}

export interface IntegrationInstance {
  id: string;
  tenantId: string;
  type: string;
  name: string;
  enabled: boolean;
  config: Record<string, unknown>;
  /** Which secret fields are set, when the current value was set and last used; never their values. */
  secrets: { field: string; updatedAt: number; usedAt: number | null }[];
  /** The connector's standing warnings (ConnectorType.status); null when the type has none. */
  status: InstanceStatus | null;
  copiedFrom: { tenantId: string; instanceId: string } | null;
  lastCheck: StoredCheck | null;
  createdAt: number;
  updatedAt: number;
}

export interface IntegrationsServiceDeps {
  database: Database;
  registry: ConnectorRegistry;
  tenants: TenantsService;
  vault: Vault;
  audit: AuditLog;
  outbound: OutboundClient;
  logger: Logger;
  /** Upper bound for a check or an action call (connectors keep their own, shorter, timeouts). Default 15 minutes. */
  callTimeoutMs?: number;
}

const OWNER_KIND = 'integration';
/** A secret's use is recorded at most this often (ConnectorContext.noteSecretUsed). */
export const SECRET_USE_RECORD_INTERVAL_MS = 24 * 60 * 60_000;

/** Secret values with their set and use times, by field. */
interface LoadedSecrets {
  values: Record<string, string>;
  setAt: Record<string, number | null>;
  usedAt: Record<string, number | null>;
}

function loaded(s: SecretsWithTimes): LoadedSecrets {
  return {
    values: s.values,
    setAt: Object.fromEntries(s.described.map((d) => [d.field, d.updatedAt])),
    usedAt: Object.fromEntries(s.described.map((d) => [d.field, d.usedAt])),
  };
}
const NAME_FORBIDDEN = /[<>"\u0000-\u001f\u007f]/;

export class IntegrationsService {
  private readonly db: Db;
  /** Calls in flight per tenant, aborted when the tenant is deleted or the instance disabled. */
  private readonly inFlight = new Map<string, Set<{ instanceId: string; controller: AbortController }>>();

  constructor(private readonly deps: IntegrationsServiceDeps) {
    this.db = deps.database.db.withTables<Tables>() as unknown as Db;
  }

  // ── reading ──────────────────────────────────────────────────────────────

  async list(tenant: Tenant, filter: { type?: string; enabled?: boolean; limit: number; offset: number }): Promise<{ items: IntegrationInstance[]; total: number }> {
    let q = this.db.selectFrom('integration_instances').where('tenant_id', '=', tenant.id);
    if (filter.type) q = q.where('type', '=', filter.type);
    if (filter.enabled !== undefined) q = q.where('enabled', '=', filter.enabled ? 1 : 0);
    const total = Number((await q.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const rows = await q.selectAll().orderBy('name').orderBy('id').limit(filter.limit).offset(filter.offset).execute();
    return { items: await Promise.all(rows.map((r) => this.toInstance(r))), total };
  }

  async get(tenant: Tenant, id: string): Promise<IntegrationInstance> {
    return this.toInstance(await this.row(tenant.id, id));
  }

  // ── writing ──────────────────────────────────────────────────────────────

  async create(
    tenant: Tenant,
    input: { type: string; name: string; enabled?: boolean; config?: unknown; secrets?: Record<string, unknown> },
    actor: Actor,
  ): Promise<IntegrationInstance> {
    this.assertTenantTakesIntegrations(tenant);
    const type = this.typeOf(input.type);
    const name = this.validName(input.name);
    const config = this.validConfig(type, tenant, input.config);
    const secrets = this.validSecrets(type, input.secrets ?? {});
    if (type.singleton) {
      const existing = await this.db.selectFrom('integration_instances').select('id').where('tenant_id', '=', tenant.id).where('type', '=', type.type).executeTakeFirst();
      if (existing) throw conflict(`this tenant already has a ${type.title} integration: edit it instead`, { field: 'type', existingId: existing.id });
    }
    const id = newId();
    const t = now();
    await this.db.transaction().execute(async (trx) => {
      await this.assertNameFree(trx, tenant.id, name);
      await (trx as unknown as Db)
        .insertInto('integration_instances')
        .values({ id, tenant_id: tenant.id, type: type.type, name, enabled: input.enabled === false ? 0 : 1, config: JSON.stringify(config), copied_from_tenant_id: null, copied_from_instance_id: null, last_check: null, created_at: t, updated_at: t })
        .execute();
      const ref = this.ref(tenant.id, id);
      for (const [field, value] of Object.entries(secrets)) await this.deps.vault.set(ref, field, value, trx);
      await this.deps.audit.append({ actor, tenantId: tenant.id, action: 'integration.create', target: { kind: 'integration', id: id }, details: { type: type.type, name, config, secretsSet: Object.keys(secrets) } }, trx);
    });
    return this.get(tenant, id);
  }

  async update(tenant: Tenant, id: string, patch: { name?: string; config?: unknown }, actor: Actor): Promise<IntegrationInstance> {
    const row = await this.row(tenant.id, id);
    const type = this.typeOf(row.type);
    const set: Partial<InstancesTable> = { updated_at: now() };
    const details: Record<string, unknown> = {};
    if (patch.name !== undefined) {
      set.name = this.validName(patch.name);
      details.name = set.name;
    }
    if (patch.config !== undefined) {
      const config = this.validConfig(type, tenant, patch.config);
      set.config = JSON.stringify(config);
      details.config = config;
      // Settings changed: the last check result no longer describes them.
      set.last_check = null;
    }
    await this.db.transaction().execute(async (trx) => {
      if (set.name) await this.assertNameFree(trx, tenant.id, set.name, id);
      await (trx as unknown as Db).updateTable('integration_instances').set(set).where('id', '=', id).where('tenant_id', '=', tenant.id).execute();
      await this.deps.audit.append({ actor, tenantId: tenant.id, action: 'integration.update', target: { kind: 'integration', id: id }, details }, trx);
    });
    return this.get(tenant, id);
  }

  async setEnabled(tenant: Tenant, id: string, enabled: boolean, actor: Actor): Promise<IntegrationInstance> {
    await this.row(tenant.id, id);
    await this.db.transaction().execute(async (trx) => {
      await (trx as unknown as Db).updateTable('integration_instances').set({ enabled: enabled ? 1 : 0, updated_at: now() }).where('id', '=', id).execute();
      await this.deps.audit.append({ actor, tenantId: tenant.id, action: enabled ? 'integration.enable' : 'integration.disable', target: { kind: 'integration', id: id }, details: {} }, trx);
    });
    if (!enabled) this.abortCalls(tenant.id, (c) => c.instanceId === id);
    return this.get(tenant, id);
  }

  /** Sets or replaces secret fields; null removes one. Values are never echoed or audited. */
  async replaceSecrets(tenant: Tenant, id: string, values: Record<string, unknown>, actor: Actor): Promise<IntegrationInstance> {
    const row = await this.row(tenant.id, id);
    const type = this.typeOf(row.type);
    const toRemove = Object.keys(values).filter((k) => values[k] === null);
    const toSet = this.validSecrets(type, Object.fromEntries(Object.entries(values).filter(([, v]) => v !== null)));
    for (const field of toRemove) if (!(field in type.secretsSchema.properties)) throw invalidField(`secrets.${field}`, 'is not a known field');
    const ref = this.ref(tenant.id, id);
    await this.db.transaction().execute(async (trx) => {
      for (const [field, value] of Object.entries(toSet)) await this.deps.vault.set(ref, field, value, trx);
      for (const field of toRemove) await this.deps.vault.remove(ref, field, trx);
      await (trx as unknown as Db).updateTable('integration_instances').set({ updated_at: now(), last_check: null }).where('id', '=', id).execute();
      await this.deps.audit.append({ actor, tenantId: tenant.id, action: 'integration.secret.replace', target: { kind: 'integration', id: id }, details: { replaced: Object.keys(toSet), removed: toRemove } }, trx);
    });
    return this.get(tenant, id);
  }

  async delete(tenant: Tenant, id: string, actor: Actor): Promise<void> {
    const row = await this.row(tenant.id, id);
    this.abortCalls(tenant.id, (c) => c.instanceId === id);
    await this.db.transaction().execute(async (trx) => {
      await (trx as unknown as Db).deleteFrom('integration_instances').where('id', '=', id).execute();
      await this.deps.vault.remove(this.ref(tenant.id, id), undefined, trx);
      await this.deps.audit.append({ actor, tenantId: tenant.id, action: 'integration.delete', target: { kind: 'integration', id: id }, details: { type: row.type, name: row.name } }, trx);
    });
  }

  // ── calling connectors ─────────────────────────────────────────────────────

  /** Check connection on a saved instance; the result is stored on it. */
  async check(tenant: Tenant, id: string, actor: Actor): Promise<CheckResult> {
    const row = await this.row(tenant.id, id);
    const type = this.typeOf(row.type);
    const secrets = loaded(await this.deps.vault.getAllWithTimes(this.ref(tenant.id, id)));
    const result = await this.runCheck(type, { id, tenantId: tenant.id, name: row.name, type: row.type }, JSON.parse(row.config), secrets);
    const stored: StoredCheck = { ...result, at: now() };
    await this.db.updateTable('integration_instances').set({ last_check: JSON.stringify(stored) }).where('id', '=', id).execute();
    await this.deps.audit.append({ actor, tenantId: tenant.id, action: 'integration.check', target: { kind: 'integration', id: id }, outcome: result.ok ? 'success' : 'failure', details: { ok: result.ok, stage: result.stage } });
    return result;
  }

  /**
   * Check connection on unsaved settings. With `instanceId`, secrets not given are taken from
   * that saved instance, so a user can test an edit without retyping a password.
   */
  async checkDraft(tenant: Tenant, input: { type: string; config?: unknown; secrets?: Record<string, unknown>; instanceId?: string }, actor: Actor): Promise<CheckResult> {
    this.assertTenantTakesIntegrations(tenant);
    const type = this.typeOf(input.type);
    const config = this.validConfig(type, tenant, input.config);
    let saved: LoadedSecrets = { values: {}, setAt: {}, usedAt: {} };
    if (input.instanceId) {
      const row = await this.row(tenant.id, input.instanceId);
      if (row.type !== type.type) throw invalidField('instanceId', `is a ${row.type} integration, not ${type.type}`);
      saved = loaded(await this.deps.vault.getAllWithTimes(this.ref(tenant.id, row.id)));
    }
    const typed = this.validSecrets(type, input.secrets ?? {});
    // A value typed into the draft has not been set anywhere yet: no set or use time.
    const untimed = Object.fromEntries(Object.keys(typed).map((f) => [f, null]));
    const secrets: LoadedSecrets = { values: { ...saved.values, ...typed }, setAt: { ...saved.setAt, ...untimed }, usedAt: { ...saved.usedAt, ...untimed } };
    const result = await this.runCheck(type, { id: input.instanceId ?? 'draft', tenantId: tenant.id, name: 'draft', type: type.type }, config, secrets, false);
    await this.deps.audit.append({ actor, tenantId: tenant.id, action: 'integration.check_draft', target: { kind: 'integration', id: input.instanceId ?? null }, outcome: result.ok ? 'success' : 'failure', details: { type: type.type, ok: result.ok, stage: result.stage } });
    return result;
  }

  /** Runs one connector action. Used by the response module; refuses disabled or deleted ones. */
  async runAction(tenantId: string, instanceId: string, actionName: string, target: ActionTarget, params: unknown, signal?: AbortSignal): Promise<ActionResult> {
    const row = await this.row(tenantId, instanceId);
    const type = this.typeOf(row.type);
    const action = type.actions[actionName];
    if (!action) throw invalidField('action', `${type.type} has no action ${actionName}`);
    if (!action.targetKinds.includes(target.kind)) throw invalidField('target.kind', `${actionName} does not act on ${target.kind}`);
    const validParams = validateAgainst(action.paramsSchema, params, 'params');
    if (!row.enabled) throw new AppError(409, 'integration_disabled', `the ${row.name} integration is disabled: enable it to run actions`);
    const secrets = loaded(await this.deps.vault.getAllWithTimes(this.ref(tenantId, instanceId)));
    return this.withCall(tenantId, instanceId, signal, async (callSignal) => {
      const ctx = this.context(type, { id: row.id, tenantId, name: row.name, type: row.type }, JSON.parse(row.config), secrets, callSignal);
      return action.execute(ctx, target, validParams as never);
    });
  }

  /** The actions a tenant can launch: every action of its enabled instances. */
  async catalogue(tenantId: string): Promise<CatalogueEntry[]> {
    const rows = await this.db.selectFrom('integration_instances').selectAll().where('tenant_id', '=', tenantId).where('enabled', '=', 1).orderBy('name').execute();
    const out: CatalogueEntry[] = [];
    for (const row of rows) {
      const type = this.deps.registry.get(row.type);
      for (const [name, a] of Object.entries(type?.actions ?? {})) {
        out.push({ instanceId: row.id, instanceName: row.name, type: row.type, action: name, title: a.title, description: a.description, targetKinds: a.targetKinds, paramsSchema: a.paramsSchema, undo: a.undo ?? null });
      }
    }
    return out;
  }

  /**
   * Validates a launch before anything is queued: the instance belongs to the tenant, the
   * action exists and acts on these target kinds, and the parameters match its schema.
   */
  async prepareAction(tenantId: string, instanceId: string, actionName: string, targetKinds: string[], params: unknown): Promise<{ instance: { id: string; name: string; type: string; enabled: boolean }; params: unknown; undo: string | null; secretParams: string[] }> {
    const row = await this.row(tenantId, instanceId);
    const type = this.typeOf(row.type);
    const action = type.actions[actionName];
    if (!action) throw invalidField('action', `${type.type} has no action ${actionName}`);
    for (const kind of targetKinds) if (!action.targetKinds.includes(kind as never)) throw invalidField('targets', `${actionName} does not act on ${kind}; it acts on ${action.targetKinds.join(', ')}`);
    if (!row.enabled) throw new AppError(409, 'integration_disabled', `the ${row.name} integration is disabled: enable it to run actions`);
    return { instance: { id: row.id, name: row.name, type: row.type, enabled: !!row.enabled }, params: validateAgainst(action.paramsSchema, params, 'params'), undo: action.undo ?? null, secretParams: secretParamNames(action.paramsSchema) };
  }

  /**
   * Enabled instances of a type in every tenant, with their settings (never secrets): for
   * schedules that run per instance, such as the KATA alert import.
   */
  async enabledOfTypeEverywhere(type: string): Promise<{ id: string; tenantId: string; config: Record<string, unknown> }[]> {
    const rows = await this.db.selectFrom('integration_instances').select(['id', 'tenant_id', 'config']).where('type', '=', type).where('enabled', '=', 1).execute();
    return rows.map((r) => ({ id: r.id, tenantId: r.tenant_id, config: JSON.parse(r.config) as Record<string, unknown> }));
  }

  /** Instances of a tenant that are enabled, for a type (e.g. the enrichment source). */
  /** `updatedAt` changes with every settings, secret or enablement change: callers may key derived state on it. */
  async enabledOfType(tenantId: string, type: string): Promise<{ id: string; name: string; type: string; updatedAt: number }[]> {
    const rows = await this.db.selectFrom('integration_instances').select(['id', 'name', 'updated_at']).where('tenant_id', '=', tenantId).where('type', '=', type).where('enabled', '=', 1).orderBy('name').execute();
    return rows.map((r) => ({ id: r.id, name: r.name, type, updatedAt: Number(r.updated_at) }));
  }

  /**
   * Splits targets over instances (in the order given): each target goes to the first instance
   * whose connector knows it (`knowsTarget`); a target bound to no instance in particular (`null`),
   * or of a type without `knowsTarget`, goes to every instance. Targets no instance of their type
   * knows come back with each instance's answer, so the caller can say why; an instance that
   * cannot be asked (unreachable) counts as not knowing.
   */
  async routeTargets(
    tenantId: string,
    instances: { id: string; name: string; type: string }[],
    targets: ActionTarget[],
  ): Promise<{ routes: { instance: { id: string; name: string }; targets: ActionTarget[] }[]; unrouted: { target: ActionTarget; answers: string[] }[] }> {
    const routes = new Map(instances.map((i) => [i.id, { instance: i, targets: [] as ActionTarget[] }]));
    const unrouted: { target: ActionTarget; answers: string[] }[] = [];
    const byType = new Map<string, { id: string; name: string }[]>();
    for (const i of instances) byType.set(i.type, [...(byType.get(i.type) ?? []), i]);
    for (const [typeName, group] of byType) {
      const type = this.typeOf(typeName);
      if (!type.knowsTarget || group.length === 1) {
        for (const i of group) routes.get(i.id)!.targets.push(...targets);
        continue;
      }
      for (const target of targets) {
        const answers: string[] = [];
        let owners: { id: string; name: string }[] = [];
        for (const i of group) {
          try {
            const knows = await this.withConnector(tenantId, i.id, (ctx) => type.knowsTarget!(ctx, target));
            if (knows === null) owners = group;
            else if (knows) owners = [i];
            else answers.push(`${i.name}: does not know ${target.value}`);
          } catch (err) {
            answers.push(`${i.name}: ${(err as Error).message}`);
          }
          if (owners.length) break;
        }
        for (const i of owners) routes.get(i.id)!.targets.push(target);
        if (!owners.length) unrouted.push({ target, answers });
      }
    }
    return { routes: [...routes.values()].filter((r) => r.targets.length > 0), unrouted };
  }

  /**
   * Runs `fn` with the connector context of an enabled instance (decrypted secrets, the outbound
   * client with its proxy toggle, a signal aborted on disable/delete). For services that call a
   * connector member other than an action, e.g. the enrichment service calling `enrich`.
   */
  async withConnector<T>(tenantId: string, instanceId: string, fn: (ctx: ConnectorContext, type: ConnectorType) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const row = await this.row(tenantId, instanceId);
    const type = this.typeOf(row.type);
    if (!row.enabled) throw new AppError(409, 'integration_disabled', `the ${row.name} integration is disabled: enable it first`);
    const secrets = loaded(await this.deps.vault.getAllWithTimes(this.ref(tenantId, instanceId)));
    return this.withCall(tenantId, instanceId, signal, (callSignal) => fn(this.context(type, { id: row.id, tenantId, name: row.name, type: row.type }, JSON.parse(row.config), secrets, callSignal), type));
  }

  private async runCheck(type: ConnectorType, instance: ConnectorContext['instance'], config: Record<string, unknown>, secrets: LoadedSecrets, saved = true): Promise<CheckResult> {
    try {
      return await this.withCall(instance.tenantId, instance.id, undefined, (signal) => type.check(this.context(type, instance, config, secrets, signal, saved)));
    } catch (err: any) {
      if (err instanceof OutboundError) return { ok: false, stage: err.stage, message: err.message };
      if (err instanceof AppError) throw err;
      this.deps.logger.warn({ type: type.type, err: (err as Error).message }, 'connector check threw');
      return { ok: false, stage: 'request', message: `the check failed unexpectedly: ${(err as Error).message}` };
    }
  }

  private context(type: ConnectorType, instance: ConnectorContext['instance'], config: Record<string, unknown>, secrets: LoadedSecrets, signal: AbortSignal, saved = true): ConnectorContext {
    // Copies: the connector may not change what the next call sees except through the vault.
    const secretsSetAt = { ...secrets.setAt };
    const secretsUsedAt = { ...secrets.usedAt };
    return {
      instance,
      config,
      secrets: secrets.values,
      secretsSetAt,
      secretsUsedAt,
      noteSecretUsed: saved ? (field) => this.noteSecretUsed(type, instance, field, secrets.setAt[field] ?? null, secretsUsedAt) : undefined,
      logger: this.deps.logger.child({ connector: type.type, instanceId: instance.id, tenantId: instance.tenantId }),
      http: this.deps.outbound.scoped({ useProxy: config.proxy === true, signal }),
      signal,
      updateOwnSettings: saved ? (patch) => this.updateOwnSettings(type, instance, patch) : undefined,
    };
  }

  /**
   * ConnectorContext.noteSecretUsed: at most one write a day per field (decided from the time
   * loaded with the context, then by the vault's conditional update across processes), bound to
   * the value the context holds. Not audited: it changes no setting. A failure is logged only.
   */
  private async noteSecretUsed(type: ConnectorType, instance: ConnectorContext['instance'], field: string, setAt: number | null, usedAt: Record<string, number | null>): Promise<void> {
    if (setAt === null) return;
    const at = now();
    const last = usedAt[field];
    if (last != null && at - last < SECRET_USE_RECORD_INTERVAL_MS) return;
    usedAt[field] = at;
    try {
      await this.deps.vault.markUsed(this.ref(instance.tenantId, instance.id), field, { setAt, at, notWithinMs: SECRET_USE_RECORD_INTERVAL_MS });
    } catch (err) {
      this.deps.logger.warn({ connector: type.type, instanceId: instance.id, tenantId: instance.tenantId, field, err: (err as Error).message }, 'recording the use of a secret failed');
    }
  }

  /** ConnectorContext.updateOwnSettings: validated like a user's edit, audited as the system. */
  private async updateOwnSettings(type: ConnectorType, instance: ConnectorContext['instance'], patch: OwnSettingsPatch): Promise<void> {
    const row = await this.row(instance.tenantId, instance.id);
    const set: Partial<InstancesTable> = { updated_at: now() };
    const configFields = Object.keys(patch.config ?? {});
    if (configFields.length) {
      const merged: Record<string, unknown> = { ...JSON.parse(row.config), ...patch.config };
      for (const field of configFields) if (patch.config![field] === null) delete merged[field];
      for (const field of type.rootOnlyFields ?? []) if (field in patch.config!) throw invalidField(`config.${field}`, 'is set by users only');
      set.config = JSON.stringify(validateAgainst(type.configSchema, merged, 'config'));
    }
    const secrets = this.validSecrets(type, patch.secrets ?? {});
    // New credentials: the stored check result no longer describes them.
    if (Object.keys(secrets).length) set.last_check = null;
    const actor = { ...SYSTEM_ACTOR, name: `${type.type} connector` };
    await this.db.transaction().execute(async (trx) => {
      await (trx as unknown as Db).updateTable('integration_instances').set(set).where('id', '=', instance.id).where('tenant_id', '=', instance.tenantId).execute();
      const ref = this.ref(instance.tenantId, instance.id);
      for (const [field, value] of Object.entries(secrets)) await this.deps.vault.set(ref, field, value, trx);
      const target = { kind: 'integration', id: instance.id };
      if (configFields.length) await this.deps.audit.append({ actor, tenantId: instance.tenantId, action: 'integration.update', target, details: { changedByConnector: configFields } }, trx);
      if (Object.keys(secrets).length) await this.deps.audit.append({ actor, tenantId: instance.tenantId, action: 'integration.secret.replace', target, details: { replaced: Object.keys(secrets), removed: [] } }, trx);
    });
  }

  /**
   * Registers the call before the liveness check, so a tenant deleted at any moment after
   * this point aborts it: no outbound call starts after the delete returns.
   */
  private async withCall<T>(tenantId: string, instanceId: string, outer: AbortSignal | undefined, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const entry = { instanceId, controller };
    let set = this.inFlight.get(tenantId);
    if (!set) this.inFlight.set(tenantId, (set = new Set()));
    set.add(entry);
    try {
      if (!(await this.deps.tenants.isActive(tenantId))) throw notFound('tenant');
      const signals = [controller.signal, AbortSignal.timeout(this.deps.callTimeoutMs ?? 15 * 60_000)];
      if (outer) signals.push(outer);
      return await fn(AbortSignal.any(signals));
    } finally {
      set.delete(entry);
      if (set.size === 0) this.inFlight.delete(tenantId);
    }
  }

  private abortCalls(tenantId: string, which: (c: { instanceId: string }) => boolean = () => true): void {
    for (const c of this.inFlight.get(tenantId) ?? []) if (which(c)) c.controller.abort(new Error('the integration was stopped'));
  }

  // ── tenant lifecycle ───────────────────────────────────────────────────────

  /** Copies every instance of the parent to a new child: new ids, secrets re-encrypted for it. */
  async copyToChild(parent: Tenant, child: Tenant, trx: Transaction<any>): Promise<void> {
    const t = trx as unknown as Db;
    const rows = await t.selectFrom('integration_instances').selectAll().where('tenant_id', '=', parent.id).execute();
    const ts = now();
    for (const row of rows) {
      const type = this.deps.registry.get(row.type);
      let config = JSON.parse(row.config) as Record<string, unknown>;
      // Root-only settings (the outbound proxy toggle) never travel down the tree.
      for (const field of type?.rootOnlyFields ?? []) delete config[field];
      if (type) config = withDefaults(type.configSchema, config);
      const id = newId();
      await t
        .insertInto('integration_instances')
        .values({ id, tenant_id: child.id, type: row.type, name: row.name, enabled: row.enabled, config: JSON.stringify(config), copied_from_tenant_id: parent.id, copied_from_instance_id: row.id, last_check: null, created_at: ts, updated_at: ts })
        .execute();
      await this.deps.vault.copy(this.ref(parent.id, row.id), this.ref(child.id, id), trx);
    }
  }

  stopTenants(tenantIds: string[]): void {
    for (const id of tenantIds) this.abortCalls(id);
  }

  async purgeTenants(tenantIds: string[], trx: Transaction<any>): Promise<void> {
    await (trx as unknown as Db).deleteFrom('integration_instances').where('tenant_id', 'in', tenantIds).execute();
    await this.deps.vault.removeForTenants(tenantIds, trx);
  }

  // ── helpers ───────────────────────────────────────────────────────────────

  private ref(tenantId: string, instanceId: string): SecretRef {
    return { tenantId, ownerKind: OWNER_KIND, ownerId: instanceId };
  }

  private async row(tenantId: string, id: string): Promise<InstancesTable> {
    const row = await this.db.selectFrom('integration_instances').selectAll().where('id', '=', id).where('tenant_id', '=', tenantId).executeTakeFirst();
    if (!row) throw notFound('integration');
    return row;
  }

  private typeOf(typeId: string): ConnectorType {
    const type = this.deps.registry.get(typeId);
    if (!type) throw invalidField('type', `unknown connector type "${typeId}"; see GET /api/v1/connector-types`);
    return type;
  }

  private assertTenantTakesIntegrations(tenant: Tenant): void {
    if (tenant.kind === 'shared') {
      throw new AppError(400, 'shared_tenant', 'the Shared tenant holds shared resources and has no integration settings: configure integrations on Root or a customer tenant', { field: 'tenantId' });
    }
  }

  private validName(raw: string): string {
    const name = raw.trim();
    if (!name) throw invalidField('name', 'must not be empty');
    if (name.length > 255) throw invalidField('name', 'must be at most 255 characters');
    if (NAME_FORBIDDEN.test(name)) throw invalidField('name', 'must not contain <, >, " or control characters');
    return name;
  }

  private validConfig(type: ConnectorType, tenant: Tenant, raw: unknown): Record<string, unknown> {
    const config = validateAgainst<Record<string, unknown>>(type.configSchema, raw ?? {}, 'config');
    if (tenant.kind !== 'root') {
      for (const field of type.rootOnlyFields ?? []) {
        const v = config[field];
        if (v !== undefined && v !== false && v !== null) throw invalidField(`config.${field}`, 'is accepted only on the Root tenant');
      }
    }
    return config;
  }

  private validSecrets(type: ConnectorType, raw: Record<string, unknown>): Record<string, string> {
    const props = type.secretsSchema.properties as Record<string, TSchema>;
    const out: Record<string, string> = {};
    for (const [field, value] of Object.entries(raw)) {
      const schema = props[field];
      if (!schema) throw invalidField(`secrets.${field}`, 'is not a known field');
      out[field] = validateAgainst<string>(schema, value, `secrets.${field}`);
    }
    return out;
  }

  /** ConnectorType.status over stored facts; a connector's mistake costs the warnings, not the view. */
  private statusOf(typeId: string, config: Record<string, unknown>, described: { field: string; updatedAt: number; usedAt: number | null }[]): InstanceStatus | null {
    const type = this.deps.registry.get(typeId);
    if (!type?.status) return null;
    try {
      return type.status(
        { config, secretsSetAt: Object.fromEntries(described.map((d) => [d.field, d.updatedAt])), secretsUsedAt: Object.fromEntries(described.map((d) => [d.field, d.usedAt])) },
        new Date(now()),
      );
    } catch (err) {
      this.deps.logger.warn({ connector: typeId, err: (err as Error).message }, 'connector status failed');
      return null;
    }
  }

  private async assertNameFree(trx: Transaction<any>, tenantId: string, name: string, exceptId?: string): Promise<void> {
    let q = (trx as unknown as Db).selectFrom('integration_instances').select('id').where('tenant_id', '=', tenantId).where('name', '=', name);
    if (exceptId) q = q.where('id', '!=', exceptId);
    if (await q.executeTakeFirst()) throw conflict(`an integration named "${name}" already exists on this tenant`, { field: 'name' });
  }

  private async toInstance(row: InstancesTable): Promise<IntegrationInstance> {
    const described = await this.deps.vault.describe(this.ref(row.tenant_id, row.id));
    const config = JSON.parse(row.config);
    return {
      id: row.id,
      tenantId: row.tenant_id,
      type: row.type,
      name: row.name,
      enabled: !!row.enabled,
      config,
      secrets: described.map((d) => ({ field: d.field, updatedAt: d.updatedAt, usedAt: d.usedAt })),
      status: this.statusOf(row.type, config, described),
      copiedFrom: row.copied_from_instance_id ? { tenantId: row.copied_from_tenant_id!, instanceId: row.copied_from_instance_id } : null,
      lastCheck: row.last_check ? JSON.parse(row.last_check) : null,
      createdAt: Number(row.created_at),
      updatedAt: Number(row.updated_at),
    };
  }
}
