import type { Kysely } from 'kysely';
import type { Database } from '../platform/db/index.ts';
import { newId, now } from '../platform/ids.ts';
import { AppError, conflict, invalidField, notFound } from '../platform/errors.ts';
import type { Actor } from '../platform/actor.ts';
import type { AuditLog } from '../platform/audit/index.ts';
import { OutcomeUnknownError, type JobContext, type JobQueue } from '../platform/jobs/index.ts';
import { OutboundError } from '../platform/outbound/index.ts';
import type { IntegrationsService } from '../integrations/framework/instances.ts';
import type { ActionTarget } from '../integrations/framework/contract.ts';
import type { AlertsService } from '../alerts/alerts.ts';
import type { Vault } from '../platform/secrets/index.ts';
import type { Asset, Observable } from '../alerts/types.ts';
import { decodeCursor, encodeCursor } from '../alerts/paging.ts';
import { toResponseAction, type ResponseAction, type ResponseActionRow, type ResponseStatus, type ResponseTables } from './rows.ts';

type Db = Kysely<ResponseTables>;

export const EXECUTE_JOB = 'response.execute';
export const EXPIRE_JOB = 'response.expire-approval';
export const DEFAULT_APPROVAL_MINUTES = 60;
const MAX_ATTEMPTS = 3;

export interface Launcher {
  kind: 'user' | 'token' | 'playbook' | 'system';
  id: string | null;
  name: string;
}

export interface LaunchInput {
  instanceId: string;
  action: string;
  params?: unknown;
  /** Explicit targets, or targets taken from the alert's observables and assets below. */
  targets?: ActionTarget[];
  alertId?: string;
  incidentId?: string;
  observableIds?: string[];
  assetIds?: string[];
  approval?: { required: boolean; windowMinutes?: number };
  /** Idempotency: a launch with this id that exists already is returned, nothing new is queued. */
  launchId?: string;
}

export interface HistoryFilter {
  tenantIds: string[];
  alertId?: string;
  incidentId?: string;
  status?: ResponseStatus[];
  action?: string;
  launcherId?: string;
  from?: number;
  to?: number;
  limit: number;
  cursor?: string;
}

function observableTarget(o: Observable): ActionTarget {
  return { kind: `observable:${o.type}` as ActionTarget['kind'], value: o.value, attributes: { observableId: o.id, alertId: o.alertId } };
}

function assetTarget(a: Asset): ActionTarget {
  const value = a.kind === 'account' ? String(a.attributes.login ?? a.name) : a.name;
  return { kind: a.kind, value, attributes: { ...a.attributes, assetId: a.id, alertId: a.alertId, role: a.role } };
}

/** Words for response history: what failed and what to do, never a stack or a secret. */
export function describeFailure(err: unknown): string {
  if (err instanceof OutcomeUnknownError) {
    return 'outcome unknown: xdrhub stopped while the call was in flight and the connector cannot tell whether it took effect; check the target before launching again';
  }
  if (err instanceof OutboundError || err instanceof AppError) return err.message;
  return (err as Error)?.message ? String((err as Error).message).slice(0, 2000) : 'the action failed';
}

/**
 * Response actions (SPEC.md §10): launches, approvals, execution on the durable job queue with
 * an idempotency key per (launch, target), cancel, undo, and the response history.
 */
/** Response actions run at once per worker process. */
export const EXECUTE_CONCURRENCY = 32;

export class ResponseService {
  private readonly db: Db;
  private readonly finishedListeners: ((action: ResponseAction) => Promise<void> | void)[] = [];

  constructor(
    private readonly deps: { database: Database; audit: AuditLog; jobs: JobQueue; integrations: IntegrationsService; alerts: AlertsService; vault: Vault; leaseMs?: number; publicUrl?: string },
  ) {
    this.db = deps.database.db.withTables<ResponseTables>() as unknown as Db;
    // Connector calls wait on the network, so many run at once; and connectors that batch (the
    // firewalls coalesce concurrent calls on one instance into one session and one publish) see a
    // launch's targets together when they start together.
    deps.jobs.register(EXECUTE_JOB, (ctx) => this.execute(ctx as JobContext<{ id: string }>), { concurrency: EXECUTE_CONCURRENCY, leaseMs: deps.leaseMs });
    deps.jobs.register(EXPIRE_JOB, (ctx) => this.expire((ctx.payload as { id: string }).id));
  }

  catalogue(tenantId: string) {
    return this.deps.integrations.catalogue(tenantId);
  }

  async launch(tenantId: string, input: LaunchInput, launcher: Launcher): Promise<{ launchId: string; actions: ResponseAction[] }> {
    if (input.launchId) {
      const existing = await this.launchActions(tenantId, input.launchId);
      if (existing.length) return { launchId: input.launchId, actions: existing };
    }
    const targets = await this.resolveTargets(tenantId, input);
    if (targets.length === 0) throw invalidField('targets', 'at least one target is needed (targets, observableIds or assetIds)');
    if (targets.length > 500) throw invalidField('targets', 'at most 500 targets per launch');
    const prepared = await this.deps.integrations.prepareAction(tenantId, input.instanceId, input.action, [...new Set(targets.map((t) => t.kind))], input.params ?? {});
    const approval = input.approval?.required ?? false;
    const windowMinutes = input.approval?.windowMinutes ?? DEFAULT_APPROVAL_MINUTES;
    // writeOnly parameters (a password given for a reset) go to the vault; history shows "[secret]".
    const visibleParams = { ...(prepared.params as Record<string, unknown>) };
    const secretParams: Record<string, string> = {};
    for (const name of prepared.secretParams) {
      if (visibleParams[name] !== undefined) {
        secretParams[name] = String(visibleParams[name]);
        visibleParams[name] = '[secret]';
      }
    }
    const launchId = input.launchId ?? newId();
    const t = now();
    const ids: string[] = [];
    await this.db.transaction().execute(async (trx) => {
      for (const target of targets) {
        const id = newId();
        ids.push(id);
        const row: ResponseActionRow = {
          id,
          tenant_id: tenantId,
          launch_id: launchId,
          instance_id: prepared.instance.id,
          instance_name: prepared.instance.name,
          connector_type: prepared.instance.type,
          action: input.action,
          target_kind: target.kind,
          target_value: target.value,
          target_attributes: JSON.stringify(target.attributes ?? {}),
          params: JSON.stringify(visibleParams),
          alert_id: input.alertId ?? (target.attributes?.alertId as string | undefined) ?? null,
          incident_id: input.incidentId ?? null,
          launcher_kind: launcher.kind,
          launcher_id: launcher.id,
          launcher_name: launcher.name,
          approval_required: approval ? 1 : 0,
          approval_deadline: approval ? t + windowMinutes * 60_000 : null,
          decided_by_id: null,
          decided_by_name: null,
          decided_at: null,
          decision_comment: null,
          status: approval ? 'awaitingApproval' : 'queued',
          result: null,
          error: null,
          undo_of: (input as { undoOf?: string }).undoOf ?? null,
          undone_by: null,
          created_at: t,
          updated_at: t,
          started_at: null,
          finished_at: null,
        };
        await trx.insertInto('response_actions').values(row).execute();
        for (const [name, value] of Object.entries(secretParams)) await this.deps.vault.set(this.secretRef(tenantId, id), name, value, trx);
        if (approval) await this.deps.jobs.enqueue(EXPIRE_JOB, { id }, { runAt: row.approval_deadline!, idempotencyKey: `${EXPIRE_JOB}:${id}`, tenantId, trx });
        else await this.deps.jobs.enqueue(EXECUTE_JOB, { id }, { idempotencyKey: `${EXECUTE_JOB}:${id}`, tenantId, maxAttempts: MAX_ATTEMPTS, trx });
      }
      await this.deps.audit.append(
        { actor: launcher, tenantId, action: 'response.launch', target: { kind: 'response_launch', id: launchId }, details: { instanceId: prepared.instance.id, action: input.action, targets: targets.length, approval } },
        trx,
      );
    });
    return { launchId, actions: await this.byIds(tenantId, ids) };
  }

  private async resolveTargets(tenantId: string, input: LaunchInput): Promise<ActionTarget[]> {
    const out: ActionTarget[] = [];
    for (const target of input.targets ?? []) out.push(target.kind === 'alert' || target.kind === 'incident' ? await this.itemTarget(tenantId, target.kind, target.value) : target);
    if (input.alertId) await this.deps.alerts.get(tenantId, input.alertId); // 404 for another tenant's alert
    if (input.incidentId) await this.deps.alerts.getIncident(tenantId, input.incidentId);
    if (input.observableIds?.length) {
      const found = await this.deps.alerts.observablesOf(tenantId, [], input.observableIds);
      if (found.length !== new Set(input.observableIds).size) throw notFound('observable');
      out.push(...found.map(observableTarget));
    }
    if (input.assetIds?.length) {
      const found = await this.deps.alerts.assetsOf(tenantId, [], input.assetIds);
      if (found.length !== new Set(input.assetIds).size) throw notFound('asset');
      out.push(...found.map(assetTarget));
    }
    return out;
  }

  /**
   * An alert or incident as a target: it must be the tenant's (404 otherwise), and the connector
   * gets its facts (title, severity, short id, description, a link back) as attributes.
   */
  private async itemTarget(tenantId: string, kind: 'alert' | 'incident', id: string): Promise<ActionTarget> {
    const item = kind === 'alert' ? await this.deps.alerts.get(tenantId, id) : await this.deps.alerts.getIncident(tenantId, id);
    const base = this.deps.publicUrl ?? '';
    return {
      kind,
      value: item.id,
      attributes: { shortId: item.shortId, title: item.title, severity: item.severity, description: item.description ?? '', status: item.status, link: `${base}/${kind}s/${item.id}?tenant=${tenantId}`, [`${kind}Id`]: item.id },
    };
  }

  /** Called when an action ends (succeeded or failed), e.g. to link a created ticket. */
  onFinished(listener: (action: ResponseAction) => Promise<void> | void): void {
    this.finishedListeners.push(listener);
  }

  private async notifyFinished(id: string): Promise<void> {
    if (this.finishedListeners.length === 0) return;
    const row = await this.db.selectFrom('response_actions').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return;
    for (const l of this.finishedListeners) {
      try {
        await l(toResponseAction(row));
      } catch {
        /* a listener's failure is its own */
      }
    }
  }

  async get(tenantId: string, id: string): Promise<ResponseAction> {
    const row = await this.db.selectFrom('response_actions').selectAll().where('id', '=', id).where('tenant_id', '=', tenantId).executeTakeFirst();
    if (!row) throw notFound('response action');
    return toResponseAction(row);
  }

  /** Every entry of one launch, oldest first. */
  async launchActions(tenantId: string, launchId: string): Promise<ResponseAction[]> {
    const rows = await this.db.selectFrom('response_actions').selectAll().where('tenant_id', '=', tenantId).where('launch_id', '=', launchId).orderBy('created_at').orderBy('id').execute();
    return rows.map(toResponseAction);
  }

  private async byIds(tenantId: string, ids: string[]): Promise<ResponseAction[]> {
    const rows = await this.db.selectFrom('response_actions').selectAll().where('tenant_id', '=', tenantId).where('id', 'in', ids).orderBy('created_at').execute();
    return rows.map(toResponseAction);
  }

  async history(filter: HistoryFilter): Promise<{ items: ResponseAction[]; nextCursor: string | null }> {
    let q = this.db.selectFrom('response_actions').selectAll().where('tenant_id', 'in', filter.tenantIds);
    if (filter.alertId) q = q.where('alert_id', '=', filter.alertId);
    if (filter.incidentId) q = q.where('incident_id', '=', filter.incidentId);
    if (filter.status?.length) q = q.where('status', 'in', filter.status);
    if (filter.action) q = q.where('action', '=', filter.action);
    if (filter.launcherId) q = q.where('launcher_id', '=', filter.launcherId);
    if (filter.from !== undefined) q = q.where('created_at', '>=', filter.from);
    if (filter.to !== undefined) q = q.where('created_at', '<', filter.to);
    if (filter.cursor) {
      const c = decodeCursor(filter.cursor);
      if (!c) throw invalidField('querystring.cursor', 'is not a cursor this API returned');
      q = q.where((eb) => eb.or([eb('created_at', '<', c.v), eb.and([eb('created_at', '=', c.v), eb('id', '<', c.id)])]));
    }
    const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit + 1).execute();
    const page = rows.slice(0, filter.limit);
    const last = page.at(-1);
    return { items: page.map(toResponseAction), nextCursor: rows.length > filter.limit && last ? encodeCursor(Number(last.created_at), last.id) : null };
  }

  /** Moves an entry from one status to another only if it is still in `from`: races lose cleanly. */
  private async transition(id: string, from: ResponseStatus[], set: Partial<ResponseActionRow>): Promise<boolean> {
    const res = await this.db.updateTable('response_actions').set({ ...set, updated_at: now() }).where('id', '=', id).where('status', 'in', from).executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async decide(tenantId: string, id: string, decision: 'approve' | 'reject', actor: Actor, comment?: string): Promise<ResponseAction> {
    const entry = await this.get(tenantId, id);
    if (entry.status !== 'awaitingApproval') throw conflict(`the action is ${entry.status}, not awaiting approval`);
    if (entry.approvalDeadline !== null && entry.approvalDeadline <= now()) {
      await this.expire(id);
      throw conflict('the approval window has ended: the action timed out');
    }
    const t = now();
    const decided = { decided_by_id: actor.id, decided_by_name: actor.name, decided_at: t, decision_comment: comment ?? null };
    await this.db.transaction().execute(async (trx) => {
      const res = await trx
        .updateTable('response_actions')
        .set({ ...decided, status: decision === 'approve' ? 'queued' : 'rejected', updated_at: t, ...(decision === 'reject' ? { finished_at: t } : {}) })
        .where('id', '=', id)
        .where('status', '=', 'awaitingApproval')
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) !== 1) throw conflict('the action is no longer awaiting approval');
      if (decision === 'approve') await this.deps.jobs.enqueue(EXECUTE_JOB, { id }, { idempotencyKey: `${EXECUTE_JOB}:${id}`, tenantId, maxAttempts: MAX_ATTEMPTS, trx });
      if (decision === 'reject') await this.deps.vault.remove(this.secretRef(tenantId, id), undefined, trx);
      await this.deps.audit.append({ actor, tenantId, action: `response.${decision}`, target: { kind: 'response_action', id }, details: { action: entry.action, comment: comment ?? null } }, trx);
    });
    return this.get(tenantId, id);
  }

  async cancel(tenantId: string, id: string, actor: Actor): Promise<ResponseAction> {
    const entry = await this.get(tenantId, id);
    const ok = await this.transition(id, ['queued', 'awaitingApproval'], { status: 'cancelled', finished_at: now() });
    if (!ok) throw conflict(`the action is ${entry.status}: only queued or awaiting-approval actions can be cancelled`);
    await this.deps.vault.remove(this.secretRef(tenantId, id));
    await this.deps.audit.append({ actor, tenantId, action: 'response.cancel', target: { kind: 'response_action', id }, details: { action: entry.action } });
    return this.get(tenantId, id);
  }

  /** Launches the declared undo action on the same target; the undo is linked to the original. */
  async undo(tenantId: string, id: string, launcher: Launcher, approval?: LaunchInput['approval']): Promise<ResponseAction> {
    const entry = await this.get(tenantId, id);
    if (entry.status !== 'succeeded') throw conflict('only a succeeded action can be undone');
    if (entry.undoneBy) throw conflict('this action was already undone');
    const prepared = await this.deps.integrations.prepareAction(tenantId, entry.instanceId, entry.action, [entry.target.kind], entry.params);
    if (!prepared.undo) throw conflict(`${entry.action} cannot be undone`);
    // A connector that needs more than the original parameters to undo (e.g. the previous
    // group) returns them as output.undoParams.
    const undoParams = (entry.result?.output as { undoParams?: unknown } | undefined)?.undoParams ?? Object.fromEntries(Object.entries(entry.params as Record<string, unknown>).filter(([, v]) => v !== '[secret]'));
    // Claim the entry before launching, so two undo requests at once cannot both launch one.
    const claim = `claim:${newId()}`;
    const claimed = await this.db.updateTable('response_actions').set({ undone_by: claim, updated_at: now() }).where('id', '=', id).where('undone_by', 'is', null).executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) throw conflict('this action was already undone');
    try {
      const launched = await this.launch(
        tenantId,
        { instanceId: entry.instanceId, action: prepared.undo, params: undoParams, targets: [entry.target], alertId: entry.alertId ?? undefined, incidentId: entry.incidentId ?? undefined, approval, undoOf: id } as LaunchInput,
        launcher,
      );
      const undo = launched.actions[0];
      await this.db.updateTable('response_actions').set({ undone_by: undo.id, updated_at: now() }).where('id', '=', id).where('undone_by', '=', claim).execute();
      return undo;
    } catch (err) {
      await this.db.updateTable('response_actions').set({ undone_by: null }).where('id', '=', id).where('undone_by', '=', claim).execute();
      throw err;
    }
  }

  /** The job: runs the connector once per entry; the effect journal keeps a crash from repeating it. */
  private async execute(ctx: JobContext<{ id: string }>): Promise<unknown> {
    const row = await this.db.selectFrom('response_actions').selectAll().where('id', '=', ctx.payload.id).executeTakeFirst();
    if (!row) return { skipped: 'gone' };
    if (row.status === 'queued') {
      if (!(await this.transition(row.id, ['queued'], { status: 'inProgress', started_at: now() }))) return { skipped: 'no longer queued' };
    } else if (row.status !== 'inProgress') {
      return { skipped: row.status };
    }
    const entry = toResponseAction(row);
    try {
      const secretParams = await this.deps.vault.getAll(this.secretRef(entry.tenantId, entry.id));
      const params = { ...(entry.params as Record<string, unknown>), ...secretParams };
      const result = await ctx.effect('connector-call', () => this.deps.integrations.runAction(entry.tenantId, entry.instanceId, entry.action, entry.target, params, ctx.signal));
      // A given secret is needed once: it leaves the vault when the call is done.
      if (Object.keys(secretParams).length) await this.deps.vault.remove(this.secretRef(entry.tenantId, entry.id));
      await this.transition(row.id, ['inProgress'], { status: 'succeeded', result: JSON.stringify(result), finished_at: now() });
      await this.notifyFinished(row.id);
      return { status: 'succeeded' };
    } catch (err) {
      const retryable = err instanceof OutboundError && err.retryable && !(err instanceof OutcomeUnknownError);
      if (retryable && ctx.attempt < MAX_ATTEMPTS) throw err;
      await this.deps.vault.remove(this.secretRef(row.tenant_id, row.id));
      await this.transition(row.id, ['inProgress'], { status: 'failed', error: describeFailure(err), finished_at: now() });
      await this.notifyFinished(row.id);
      return { status: 'failed' };
    }
  }

  private secretRef(tenantId: string, actionId: string) {
    return { tenantId, ownerKind: 'response_action', ownerId: actionId };
  }

  private async expire(id: string): Promise<void> {
    const row = await this.db.selectFrom('response_actions').select('tenant_id').where('id', '=', id).executeTakeFirst();
    if (row) await this.deps.vault.remove(this.secretRef(row.tenant_id, id));
    await this.transition(id, ['awaitingApproval'], { status: 'timedOut', finished_at: now(), error: 'nobody approved the action within its approval window' });
  }

  async purgeTenants(tenantIds: string[], trx: Kysely<any>): Promise<void> {
    await (trx as unknown as Db).deleteFrom('response_actions').where('tenant_id', 'in', tenantIds).execute();
    // Secret parameters of those actions sit in the vault under the same tenants: the vault's own purge removes them.
  }
}
