import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import pLimit from 'p-limit';
import type { Database } from '../platform/db/index.ts';
import { newId, now } from '../platform/ids.ts';
import { conflict, invalidField, notFound } from '../platform/errors.ts';
import type { Actor } from '../platform/actor.ts';
import type { AuditLog } from '../platform/audit/index.ts';
import type { JobContext, JobQueue } from '../platform/jobs/index.ts';
import type { Logger } from '../platform/log/index.ts';
import type { AlertsService } from '../alerts/alerts.ts';
import type { EnrichmentService } from '../enrichment/index.ts';
import { enrichAndRecord } from '../alerts/enrich.ts';
import type { IntegrationsService } from '../integrations/framework/instances.ts';
import type { ActionTarget } from '../integrations/framework/contract.ts';
import type { ResponseService } from '../response/response.ts';
import type { ResponseAction } from '../response/rows.ts';
import { DEFAULT_APPROVAL_MINUTES } from '../response/response.ts';
import { decodeCursor, encodeCursor } from '../alerts/paging.ts';
import { JqError, type Jq } from './jq.ts';
import type { ActionStep, Approval, BranchStep, EnrichmentStep, PlaybookDefinition, SplitStep, Step, UpdateStep } from './model.ts';
import type { Playbook } from './playbooks.ts';

export const RUN_JOB = 'playbook.run';
export const RUN_APPROVAL_JOB = 'playbook.run-approval-expiry';
export const RUN_STATUSES = ['awaitingApproval', 'queued', 'running', 'succeeded', 'failed', 'timedOut', 'cancelled', 'rejected'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
const FINAL_RUN: RunStatus[] = ['succeeded', 'failed', 'timedOut', 'cancelled', 'rejected'];
const FINAL_ACTION = ['succeeded', 'failed', 'rejected', 'timedOut', 'cancelled'];
const DEFAULT_STEP_TIMEOUT_S = 3600;
/** After its timeout a step gets this long to wind down (withdraw pending actions, stop split items) before it is recorded as timed out. */
const STEP_GRACE_MS = 3000;
/** Step states in which a step has not finished: a resumed run picks it up where it was. */
const OPEN_STEP = ['running', 'awaitingApproval', 'approved', 'rejected', 'expired'];
const TRAINING_APPROVAL_MINUTES = 60;

export type RunRow = {
  id: string;
  tenant_id: string;
  playbook_id: string;
  playbook_name: string;
  playbook_version: number;
  definition: string;
  scope: string;
  item_id: string;
  trigger: string;
  once_key: string | null;
  launcher_kind: string;
  launcher_id: string | null;
  launcher_name: string;
  input: string;
  status: string;
  error: string | null;
  approval_deadline: number | null;
  decided_by_name: string | null;
  created_at: number;
  started_at: number | null;
  deadline: number | null;
  finished_at: number | null;
};
export type StepRow = {
  run_id: string;
  path: string;
  tenant_id: string;
  step_id: string;
  kind: string;
  status: string;
  input: string | null;
  output: string | null;
  error: string | null;
  started_at: number;
  finished_at: number | null;
  /** Steps with `approval.required`: when the approval window ends, the decision and who made it. */
  approval_deadline: number | null;
  approval_decision: string | null;
  decided_by_name: string | null;
  decided_at: number | null;
};
type Tables = { playbook_runs: RunRow; playbook_run_steps: StepRow };

export interface Run {
  id: string;
  tenantId: string;
  playbookId: string;
  playbookName: string;
  playbookVersion: number;
  scope: string;
  itemId: string;
  trigger: 'auto' | 'training' | 'manual';
  launcher: { kind: string; id: string | null; name: string };
  input: { observableIds?: string[]; assetIds?: string[] };
  status: RunStatus;
  error: string | null;
  approvalDeadline: number | null;
  decidedBy: string | null;
  createdAt: number;
  startedAt: number | null;
  deadline: number | null;
  finishedAt: number | null;
}

export interface RunStep {
  path: string;
  stepId: string;
  kind: string;
  status: string;
  input: unknown;
  output: unknown;
  error: string | null;
  startedAt: number;
  finishedAt: number | null;
  /** Only for steps that need approval: the window's end, and the decision once made. */
  approval: { deadline: number | null; decision: 'approved' | 'rejected' | 'expired' | null; decidedBy: string | null; decidedAt: number | null } | null;
}

/** A step awaiting approval, as the approvals queue shows it. */
export interface AwaitingStep {
  path: string;
  stepId: string;
  kind: string;
  startedAt: number;
  deadline: number | null;
}
/** The alert or incident a run is for, as lists show it. */
export interface RunItem {
  kind: 'alert' | 'incident';
  id: string;
  shortId: string;
  title: string;
}

const num = (v: number | null) => (v == null ? null : Number(v));
function toRun(r: RunRow): Run {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    playbookId: r.playbook_id,
    playbookName: r.playbook_name,
    playbookVersion: r.playbook_version,
    scope: r.scope,
    itemId: r.item_id,
    trigger: r.trigger as Run['trigger'],
    launcher: { kind: r.launcher_kind, id: r.launcher_id, name: r.launcher_name },
    input: JSON.parse(r.input),
    status: r.status as RunStatus,
    error: r.error,
    approvalDeadline: num(r.approval_deadline),
    decidedBy: r.decided_by_name,
    createdAt: Number(r.created_at),
    startedAt: num(r.started_at),
    deadline: num(r.deadline),
    finishedAt: num(r.finished_at),
  };
}
function toStep(r: StepRow): RunStep {
  const approval = r.approval_deadline == null ? null : { deadline: num(r.approval_deadline), decision: r.approval_decision as NonNullable<RunStep['approval']>['decision'], decidedBy: r.decided_by_name, decidedAt: num(r.decided_at) };
  return { path: r.path, stepId: r.step_id, kind: r.kind, status: r.status, input: r.input ? JSON.parse(r.input) : null, output: r.output ? JSON.parse(r.output) : null, error: r.error, startedAt: Number(r.started_at), finishedAt: num(r.finished_at), approval };
}

/** A step failed; `stop` ends the run unless the step says continue. */
class StepFailure extends Error {
  /** The step's recorded status when it stops the run. */
  readonly status: string = 'failed';
}
/** A step ran past its timeout or its approval window: a failure recorded as timedOut. */
class StepTimedOut extends StepFailure {
  override readonly status = 'timedOut';
}
/**
 * The abort reason of a step whose timeout passed. The step it names fails (on-error applies);
 * steps inside it (a branch's or a split's) that were still running stop with it.
 */
class StepDeadline extends Error {
  constructor(readonly path: string, message: string) {
    super(message);
  }
}
/** The run must end now (timeout or cancellation) whatever the steps say. */
class RunAborted extends Error {
  constructor(readonly status: 'timedOut' | 'cancelled', message: string) {
    super(message);
  }
}

/** Deterministic UUID-shaped id: a resumed run re-launches nothing (the response launch is keyed on it). */
function stableId(...parts: string[]): string {
  const h = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

interface RunContext {
  run: RunRow;
  def: PlaybookDefinition;
  /** The jq document: {alert|incident, input, steps, item, tenant, run}. */
  doc: Record<string, unknown>;
  stepOutputs: Record<string, unknown>;
  job: JobContext<{ runId: string }>;
  actor: Actor;
  /** Aborted when the job's lease is lost, or when the timeout of the enclosing step passes. */
  signal: AbortSignal;
}

export interface StartRequest {
  playbook: Playbook;
  tenantId: string;
  itemId: string;
  trigger: 'auto' | 'training' | 'manual';
  launcher: Actor;
  input?: Run['input'];
}

export interface RunsDeps {
  database: Database;
  audit: AuditLog;
  jobs: JobQueue;
  jq: Jq;
  alerts: AlertsService;
  response: ResponseService;
  integrations: IntegrationsService;
  enrichment: EnrichmentService;
  logger: Logger;
  /** Whether a user may be assigned the tenant's alerts and incidents (active, with alerts.read there): the API's rule. */
  canBeAssigned: (userId: string, tenantId: string) => Promise<boolean>;
  pollMs?: number;
  leaseMs?: number;
}

/**
 * Playbook runs: created by triggers (auto), by approval of a training match, or by a user
 * (manual); executed by a durable job that records every step, so a killed runner resumes
 * from the last completed step and side effects never repeat.
 */
export class RunsService {
  private readonly db: Kysely<Tables>;

  constructor(private readonly deps: RunsDeps) {
    this.db = deps.database.db.withTables<Tables>() as unknown as Kysely<Tables>;
    deps.jobs.register(RUN_JOB, (ctx) => this.execute(ctx as JobContext<{ runId: string }>), { concurrency: 16, leaseMs: deps.leaseMs, timeoutMs: 48 * 3600_000 + 60_000 });
    deps.jobs.register(RUN_APPROVAL_JOB, async (ctx) => {
      const { runId } = ctx.payload as { runId: string };
      await this.transition(runId, ['awaitingApproval'], { status: 'timedOut', finished_at: now(), error: 'nobody approved the training run within its approval window' });
    });
  }

  /**
   * Starts a run. Auto and training runs happen once per (playbook, item): a second match
   * returns null. Training runs wait for approval first.
   */
  async start(request: StartRequest): Promise<Run | null> {
    const [id] = await this.startMany([request]);
    return id ? this.get(request.tenantId, id) : null;
  }

  /** Starts many runs in one transaction (a trigger batch); returns each new run's id or null. */
  async startMany(requests: StartRequest[]): Promise<(string | null)[]> {
    if (requests.length === 0) return [];
    const t = now();
    const rows = requests.map((request): RunRow => {
      const training = request.trigger === 'training';
      return {
        id: newId(),
        tenant_id: request.tenantId,
        playbook_id: request.playbook.id,
        playbook_name: request.playbook.name,
        playbook_version: request.playbook.version,
        definition: JSON.stringify({ ...request.playbook, id: undefined }),
        scope: request.playbook.scope,
        item_id: request.itemId,
        trigger: request.trigger,
        once_key: request.trigger === 'manual' ? null : `${request.playbook.id}:${request.tenantId}:${request.itemId}`,
        launcher_kind: request.launcher.kind,
        launcher_id: request.launcher.id,
        launcher_name: request.launcher.name,
        input: JSON.stringify(request.input ?? {}),
        status: training ? 'awaitingApproval' : 'queued',
        error: null,
        approval_deadline: training ? t + TRAINING_APPROVAL_MINUTES * 60_000 : null,
        decided_by_name: null,
        created_at: t,
        started_at: null,
        deadline: null,
        finished_at: null,
      };
    });
    try {
      return await this.db.transaction().execute(async (trx) => {
        const keys = rows.map((r) => r.once_key).filter((k): k is string => !!k);
        const taken = new Set(keys.length ? (await trx.selectFrom('playbook_runs').select('once_key').where('once_key', 'in', keys).execute()).map((r) => r.once_key) : []);
        const out: (string | null)[] = [];
        for (const row of rows) {
          if (row.once_key && taken.has(row.once_key)) {
            out.push(null);
            continue;
          }
          if (row.once_key) taken.add(row.once_key);
          await trx.insertInto('playbook_runs').values(row).execute();
          if (row.status === 'awaitingApproval') await this.deps.jobs.enqueue(RUN_APPROVAL_JOB, { runId: row.id }, { runAt: row.approval_deadline!, idempotencyKey: `${RUN_APPROVAL_JOB}:${row.id}`, tenantId: row.tenant_id, trx });
          else await this.deps.jobs.enqueue(RUN_JOB, { runId: row.id }, { idempotencyKey: `${RUN_JOB}:${row.id}`, tenantId: row.tenant_id, maxAttempts: 10, trx });
          await this.deps.audit.append({ actor: { kind: row.launcher_kind as Actor['kind'], id: row.launcher_id, name: row.launcher_name }, tenantId: row.tenant_id, action: 'playbook.run.start', target: { kind: 'playbook_run', id: row.id }, details: { playbookId: row.playbook_id, trigger: row.trigger, itemId: row.item_id } }, trx);
          out.push(row.id);
        }
        return out;
      });
    } catch (err) {
      // Another process started one of these at the same moment: retry one by one.
      if (requests.length > 1 && /unique|duplicate/i.test(String((err as Error).message))) {
        const out: (string | null)[] = [];
        for (const r of requests) out.push(...(await this.startMany([r]).catch(() => [null])));
        return out;
      }
      if (/unique|duplicate/i.test(String((err as Error).message))) return [null];
      throw err;
    }
  }

  async get(tenantId: string, id: string): Promise<Run> {
    const row = await this.db.selectFrom('playbook_runs').selectAll().where('id', '=', id).where('tenant_id', '=', tenantId).executeTakeFirst();
    if (!row) throw notFound('playbook run');
    return toRun(row);
  }

  async steps(runId: string): Promise<RunStep[]> {
    return (await this.db.selectFrom('playbook_run_steps').selectAll().where('run_id', '=', runId).orderBy('started_at').orderBy('path').execute()).map(toStep);
  }

  /**
   * Runs newest first. `awaitingApproval`: only what an approver can decide now: training runs
   * awaiting approval, and running runs with a step awaiting approval whose window is still open.
   */
  async list(filter: { tenantIds: string[]; playbookId?: string; itemId?: string; status?: RunStatus[]; awaitingApproval?: boolean; limit: number; cursor?: string }): Promise<{ items: Run[]; nextCursor: string | null }> {
    let q = this.db.selectFrom('playbook_runs').selectAll().where('tenant_id', 'in', filter.tenantIds);
    if (filter.playbookId) q = q.where('playbook_id', '=', filter.playbookId);
    if (filter.itemId) q = q.where('item_id', '=', filter.itemId);
    if (filter.status?.length) q = q.where('status', 'in', filter.status);
    if (filter.awaitingApproval) {
      const t = now();
      q = q.where((eb) =>
        eb.or([
          eb('status', '=', 'awaitingApproval'),
          eb.and([
            eb('status', '=', 'running'),
            eb.exists(
              eb.selectFrom('playbook_run_steps').select('playbook_run_steps.path').whereRef('playbook_run_steps.run_id', '=', 'playbook_runs.id').where('playbook_run_steps.status', '=', 'awaitingApproval').where('playbook_run_steps.approval_deadline', '>', t),
            ),
          ]),
        ]),
      );
    }
    if (filter.cursor) {
      const c = decodeCursor(filter.cursor);
      if (!c) throw invalidField('querystring.cursor', 'is not a cursor this API returned');
      q = q.where((eb) => eb.or([eb('created_at', '<', c.v), eb.and([eb('created_at', '=', c.v), eb('id', '<', c.id)])]));
    }
    const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit + 1).execute();
    const page = rows.slice(0, filter.limit);
    const last = page.at(-1);
    return { items: page.map(toRun), nextCursor: rows.length > filter.limit && last ? encodeCursor(Number(last.created_at), last.id) : null };
  }

  /**
   * For a page of runs (the approvals queue): the steps of each awaiting approval with an open
   * window, and the alert or incident each run is for (short id and title), in three queries.
   */
  async approvalContext(runs: Run[]): Promise<Map<string, { awaitingSteps: AwaitingStep[]; item: RunItem | null }>> {
    const out = new Map<string, { awaitingSteps: AwaitingStep[]; item: RunItem | null }>();
    if (runs.length === 0) return out;
    for (const r of runs) out.set(r.id, { awaitingSteps: [], item: null });
    const t = now();
    const running = runs.filter((r) => r.status === 'running');
    if (running.length) {
      const rows = await this.db
        .selectFrom('playbook_run_steps')
        .select(['run_id', 'tenant_id', 'path', 'step_id', 'kind', 'started_at', 'approval_deadline'])
        .where('run_id', 'in', running.map((r) => r.id))
        .where('status', '=', 'awaitingApproval')
        .where('approval_deadline', '>', t)
        .orderBy('started_at')
        .orderBy('path')
        .execute();
      const tenantOf = new Map(running.map((r) => [r.id, r.tenantId]));
      for (const s of rows) {
        if (tenantOf.get(s.run_id) !== s.tenant_id) continue;
        out.get(s.run_id)!.awaitingSteps.push({ path: s.path, stepId: s.step_id, kind: s.kind, startedAt: Number(s.started_at), deadline: num(s.approval_deadline) });
      }
    }
    for (const kind of ['alert', 'incident'] as const) {
      const mine = runs.filter((r) => r.scope === kind);
      const headlines = await this.deps.alerts.headlines(kind, mine.map((r) => ({ tenantId: r.tenantId, id: r.itemId })));
      for (const r of mine) {
        const h = headlines.get(`${r.tenantId}:${r.itemId}`);
        out.get(r.id)!.item = h ? { kind, id: r.itemId, ...h } : null;
      }
    }
    return out;
  }

  async decide(tenantId: string, id: string, decision: 'approve' | 'reject', actor: Actor): Promise<Run> {
    const run = await this.get(tenantId, id);
    if (run.status !== 'awaitingApproval') throw conflict(`the run is ${run.status}, not awaiting approval`);
    await this.db.transaction().execute(async (trx) => {
      const res = await trx
        .updateTable('playbook_runs')
        .set(decision === 'approve' ? { status: 'queued', decided_by_name: actor.name } : { status: 'rejected', decided_by_name: actor.name, finished_at: now() })
        .where('id', '=', id)
        .where('status', '=', 'awaitingApproval')
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) !== 1) throw conflict('the run is no longer awaiting approval');
      if (decision === 'approve') await this.deps.jobs.enqueue(RUN_JOB, { runId: id }, { idempotencyKey: `${RUN_JOB}:${id}`, tenantId, maxAttempts: 10, trx });
      await this.deps.audit.append({ actor, tenantId, action: `playbook.run.${decision}`, target: { kind: 'playbook_run', id }, details: {} }, trx);
    });
    return this.get(tenantId, id);
  }

  /** One step of a run (404 for an unknown path). */
  async step(tenantId: string, runId: string, path: string): Promise<RunStep> {
    await this.get(tenantId, runId);
    const row = await this.db.selectFrom('playbook_run_steps').selectAll().where('run_id', '=', runId).where('path', '=', path).executeTakeFirst();
    if (!row) throw notFound('run step');
    return toStep(row);
  }

  /**
   * Approves or rejects an updateData or enrichment step waiting for approval. The decision is
   * written to the step's row; the run's worker (this process or another, after a restart) sees
   * it and goes on: approved, the step runs; rejected, it fails with "rejected by <user>".
   */
  async decideStep(tenantId: string, runId: string, path: string, decision: 'approve' | 'reject', actor: Actor): Promise<RunStep> {
    const run = await this.get(tenantId, runId);
    const step = await this.step(tenantId, runId, path);
    if (step.status !== 'awaitingApproval') throw conflict(`the step is ${step.status}, not awaiting approval`);
    if (run.status !== 'running') throw conflict(`the run is ${run.status}: its steps can no longer be decided`);
    const t = now();
    if (step.approval?.deadline != null && step.approval.deadline <= t) throw conflict('the approval window has ended: the step timed out');
    await this.db.transaction().execute(async (trx) => {
      const res = await trx
        .updateTable('playbook_run_steps')
        .set({ status: decision === 'approve' ? 'approved' : 'rejected', approval_decision: decision === 'approve' ? 'approved' : 'rejected', decided_by_name: actor.name, decided_at: t })
        .where('run_id', '=', runId)
        .where('path', '=', path)
        .where('status', '=', 'awaitingApproval')
        .where('approval_deadline', '>', t)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) !== 1) throw conflict('the step is no longer awaiting approval');
      await this.deps.audit.append({ actor, tenantId, action: `playbook.step.${decision}`, target: { kind: 'playbook_run', id: runId }, details: { path, stepId: step.stepId, kind: step.kind, playbookId: run.playbookId } }, trx);
    });
    return this.step(tenantId, runId, path);
  }

  async cancel(tenantId: string, id: string, actor: Actor): Promise<Run> {
    const run = await this.get(tenantId, id);
    if (FINAL_RUN.includes(run.status)) throw conflict(`the run already ended (${run.status})`);
    await this.transition(id, ['awaitingApproval', 'queued', 'running'], { status: 'cancelled', finished_at: now(), error: `cancelled by ${actor.name}` });
    await this.deps.audit.append({ actor, tenantId, action: 'playbook.run.cancel', target: { kind: 'playbook_run', id }, details: {} });
    return this.get(tenantId, id);
  }

  async purgeTenants(tenantIds: string[], trx: Transaction<any>): Promise<void> {
    const t = trx as unknown as Transaction<Tables>;
    await t.deleteFrom('playbook_run_steps').where('tenant_id', 'in', tenantIds).execute();
    await t.deleteFrom('playbook_runs').where('tenant_id', 'in', tenantIds).execute();
  }

  private async transition(id: string, from: string[], set: Partial<RunRow>): Promise<boolean> {
    const res = await this.db.updateTable('playbook_runs').set(set).where('id', '=', id).where('status', 'in', from).executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  // ── execution ──────────────────────────────────────────────────────────────

  private async execute(job: JobContext<{ runId: string }>): Promise<unknown> {
    let run = await this.db.selectFrom('playbook_runs').selectAll().where('id', '=', job.payload.runId).executeTakeFirst();
    if (!run || (run.status !== 'queued' && run.status !== 'running')) return { skipped: run?.status ?? 'gone' };
    if (run.status === 'queued') {
      const def = JSON.parse(run.definition) as PlaybookDefinition;
      const t = now();
      await this.transition(run.id, ['queued'], { status: 'running', started_at: t, deadline: t + def.runTimeoutMinutes * 60_000 });
      run = (await this.db.selectFrom('playbook_runs').selectAll().where('id', '=', run.id).executeTakeFirstOrThrow())!;
    }
    const def = JSON.parse(run.definition) as PlaybookDefinition;
    const ctx: RunContext = { run, def, doc: {}, stepOutputs: {}, job, actor: { kind: 'playbook', id: run.id, name: `playbook ${run.playbook_name}` }, signal: job.signal };
    try {
      ctx.doc = await this.documentFor(run);
      ctx.doc.steps = ctx.stepOutputs;
      await this.runSteps(ctx, def.steps, '', ctx.doc, ctx.stepOutputs);
      await this.transition(run.id, ['running'], { status: 'succeeded', finished_at: now() });
    } catch (err) {
      if (err instanceof RunAborted) await this.transition(run.id, ['running'], { status: err.status, error: err.message, finished_at: now() });
      else if (err instanceof StepFailure || err instanceof JqError) await this.transition(run.id, ['running'], { status: 'failed', error: err.message, finished_at: now() });
      else {
        this.deps.logger.warn({ runId: run.id, err: (err as Error).message }, 'playbook run interrupted; it will resume');
        throw err; // transient (database, lease): the job retries and the run resumes
      }
    }
    return { runId: run.id };
  }

  /** The jq document of a run: the item (as the API shows it) and the user's selection. */
  private async documentFor(run: RunRow): Promise<Record<string, unknown>> {
    const selection = JSON.parse(run.input) as Run['input'];
    const { alerts } = this.deps;
    let item: Record<string, unknown>;
    let alertIds: string[];
    if (run.scope === 'alert') {
      const a = await alerts.get(run.tenant_id, run.item_id);
      item = a as unknown as Record<string, unknown>;
      alertIds = [a.id];
    } else {
      const inc = await alerts.getIncident(run.tenant_id, run.item_id);
      const linked = await alerts.list({ tenantIds: [run.tenant_id], incidentId: inc.id, limit: 200 });
      alertIds = linked.items.map((a) => a.id);
      item = { ...inc, alerts: linked.items, observables: await alerts.observablesOf(run.tenant_id, alertIds), assets: await alerts.assetsOf(run.tenant_id, alertIds) };
    }
    const input = {
      observables: selection.observableIds?.length ? await alerts.observablesOf(run.tenant_id, [], selection.observableIds) : [],
      assets: selection.assetIds?.length ? await alerts.assetsOf(run.tenant_id, [], selection.assetIds) : [],
    };
    return { [run.scope]: item, input, tenant: { id: run.tenant_id }, run: { id: run.id, playbook: run.playbook_name } };
  }

  private runTimeoutMessage(ctx: RunContext): string {
    return `the run exceeded its timeout of ${ctx.def.runTimeoutMinutes} minutes and was stopped`;
  }

  private async checkAlive(ctx: RunContext): Promise<void> {
    // A passed step timeout (or a lost lease) ends what runs inside the step.
    if (ctx.signal.aborted) throw ctx.signal.reason;
    const row = await this.db.selectFrom('playbook_runs').select(['status', 'deadline']).where('id', '=', ctx.run.id).executeTakeFirst();
    if (!row || row.status === 'cancelled') throw new RunAborted('cancelled', row?.status === 'cancelled' ? 'cancelled' : 'the run was removed');
    if (row.deadline && now() > Number(row.deadline)) throw new RunAborted('timedOut', this.runTimeoutMessage(ctx));
  }

  private async runSteps(ctx: RunContext, steps: Step[], prefix: string, doc: Record<string, unknown>, outputs: Record<string, unknown>): Promise<void> {
    for (const step of steps) {
      await this.checkAlive(ctx);
      const path = `${prefix}${step.id}`;
      let recorded = await this.db.selectFrom('playbook_run_steps').selectAll().where('run_id', '=', ctx.run.id).where('path', '=', path).executeTakeFirst();
      // Done in an earlier attempt. A branch that recorded its decision may still have steps to run.
      if (recorded && (recorded.status === 'failedContinued' || (recorded.status === 'succeeded' && step.kind !== 'branch'))) {
        outputs[step.id] = recorded.output ? JSON.parse(recorded.output) : null;
        continue;
      }
      if (recorded && !OPEN_STEP.includes(recorded.status) && recorded.status !== 'succeeded') {
        // Stopped with an enclosing step in an earlier attempt that did not record its own end: start afresh.
        await this.db.deleteFrom('playbook_run_steps').where('run_id', '=', ctx.run.id).where('path', '=', path).execute();
        recorded = undefined;
      }
      const approval = step.kind === 'updateData' || step.kind === 'enrichment' ? step.approval : undefined;
      const needsApproval = approval?.required === true;
      if (!recorded) {
        const t = now();
        recorded = {
          run_id: ctx.run.id,
          path,
          tenant_id: ctx.run.tenant_id,
          step_id: step.id,
          kind: step.kind,
          status: needsApproval ? 'awaitingApproval' : 'running',
          input: null,
          output: null,
          error: null,
          started_at: t,
          finished_at: null,
          approval_deadline: needsApproval ? t + (approval!.windowMinutes ?? DEFAULT_APPROVAL_MINUTES) * 60_000 : null,
          approval_decision: null,
          decided_by_name: null,
          decided_at: null,
        };
        await this.db.insertInto('playbook_run_steps').values(recorded).execute();
      }
      try {
        // The step's timeout counts from its start, or from its approval: a resumed step keeps its deadline.
        const workStart = needsApproval ? await this.awaitApproval(ctx, path, approval!) : Number(recorded.started_at);
        const limitS = step.timeoutSeconds ?? DEFAULT_STEP_TIMEOUT_S;
        const row = recorded;
        const output = await this.timed(ctx, path, workStart + limitS * 1000, limitS, (stepCtx) => this.runStep(stepCtx, step, path, doc, outputs, row));
        outputs[step.id] = output;
        if (step.kind !== 'branch' && step.kind !== 'split') await this.finishStep(ctx.run.id, path, 'succeeded', output, null, true);
      } catch (caught) {
        let err = caught;
        if (err instanceof RunAborted) {
          await this.finishStep(ctx.run.id, path, err.status, null, err.message);
          throw err;
        }
        if (err instanceof StepDeadline) {
          // An enclosing step's timeout: this step stops with it.
          if (err.path !== path) {
            await this.finishStep(ctx.run.id, path, 'timedOut', null, `stopped: ${err.message}`);
            throw err;
          }
          err = new StepTimedOut(err.message);
        }
        if (!(err instanceof StepFailure) && !(err instanceof JqError)) throw err;
        const message = err instanceof JqError ? `jq: ${err.message}` : err.message;
        if (step.onError === 'continue') {
          outputs[step.id] = { error: message };
          await this.finishStep(ctx.run.id, path, 'failedContinued', { error: message }, message);
          continue;
        }
        await this.finishStep(ctx.run.id, path, err instanceof StepFailure ? err.status : 'failed', null, message);
        // A timeout's message names the step already.
        throw new StepFailure(err instanceof StepTimedOut ? message : `step ${path} failed: ${message}`);
      }
    }
  }

  /**
   * Runs a step's work under its deadline (its timeout, or the run's if that comes first).
   * At the deadline the step's signal aborts: lookups stop, pending actions are withdrawn,
   * split items stop; after a short grace the step ends whatever its work still does, and
   * that work can no longer record anything (every late write checks the signal or the row).
   */
  private async timed<T>(ctx: RunContext, path: string, stepEnd: number, limitS: number, fn: (stepCtx: RunContext) => Promise<T>): Promise<T> {
    const runEnd = ctx.run.deadline == null ? Infinity : Number(ctx.run.deadline);
    const reason = stepEnd <= runEnd ? new StepDeadline(path, `step ${path} exceeded its timeout of ${limitS} s`) : new RunAborted('timedOut', this.runTimeoutMessage(ctx));
    const controller = new AbortController();
    const signal = AbortSignal.any([ctx.signal, controller.signal]);
    const timer = setTimeout(() => controller.abort(reason), Math.max(0, Math.min(stepEnd, runEnd) - now()));
    let grace: NodeJS.Timeout | undefined;
    const work = fn({ ...ctx, signal });
    work.catch(() => {});
    try {
      return await new Promise<T>((resolve, reject) => {
        work.then(resolve, (err) => reject(signal.aborted ? signal.reason : err));
        const onAbort = () => {
          grace = setTimeout(() => reject(signal.reason), STEP_GRACE_MS);
        };
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      });
    } finally {
      clearTimeout(timer);
      clearTimeout(grace);
    }
  }

  /**
   * Waits for the decision on a step that needs approval; returns when the step's work may
   * start (the approval time). Everything is on the step's row, so a restarted worker resumes
   * waiting where this one was. Rejection fails the step; the end of the window times it out.
   */
  private async awaitApproval(ctx: RunContext, path: string, approval: Approval): Promise<number> {
    let delay = Math.min(this.deps.pollMs ?? 100, 1000);
    for (;;) {
      const row = await this.db.selectFrom('playbook_run_steps').selectAll().where('run_id', '=', ctx.run.id).where('path', '=', path).executeTakeFirstOrThrow();
      switch (row.status) {
        case 'running':
          return Number(row.decided_at ?? row.started_at);
        case 'approved':
          await this.db.updateTable('playbook_run_steps').set({ status: 'running' }).where('run_id', '=', ctx.run.id).where('path', '=', path).where('status', '=', 'approved').execute();
          return Number(row.decided_at ?? now());
        case 'rejected':
          throw new StepFailure(`rejected by ${row.decided_by_name ?? 'an approver'}`);
        case 'expired':
          throw new StepTimedOut(`nobody approved step ${path} within its approval window of ${approval.windowMinutes ?? DEFAULT_APPROVAL_MINUTES} minutes`);
      }
      if (row.approval_deadline != null && now() >= Number(row.approval_deadline)) {
        await this.db.updateTable('playbook_run_steps').set({ status: 'expired', approval_decision: 'expired' }).where('run_id', '=', ctx.run.id).where('path', '=', path).where('status', '=', 'awaitingApproval').execute();
        continue;
      }
      await this.checkAlive(ctx);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 1000);
    }
  }

  /** Records a step's end. `ifRunning`: only while it still runs (late work cannot overwrite a timeout). */
  private async finishStep(runId: string, path: string, status: string, output: unknown, error: string | null, ifRunning = false): Promise<void> {
    let q = this.db.updateTable('playbook_run_steps').set({ status, output: output === null ? null : JSON.stringify(output), error, finished_at: now() }).where('run_id', '=', runId).where('path', '=', path);
    if (ifRunning) q = q.where('status', '=', 'running');
    await q.execute();
  }

  private async runStep(ctx: RunContext, step: Step, path: string, doc: Record<string, unknown>, outputs: Record<string, unknown>, recorded: StepRow): Promise<unknown> {
    switch (step.kind) {
      case 'action':
        return this.actionStep(ctx, step, path, doc);
      case 'updateData':
        return this.updateStep(ctx, step, path, doc);
      case 'enrichment':
        return this.enrichmentStep(ctx, step, path, doc);
      case 'branch':
        return this.branchStep(ctx, step, path, doc, outputs, recorded);
      case 'split':
        return this.splitStep(ctx, step, path, doc, outputs);
    }
  }

  private async jqFirst(program: string, doc: unknown): Promise<unknown> {
    return this.deps.jq.first(program, doc);
  }

  private toTarget(t: unknown): ActionTarget {
    if (t && typeof t === 'object') {
      const o = t as Record<string, unknown>;
      // An observable of the alert ({type, value}) or an asset ({kind: host|account, name, attributes}).
      if (typeof o.type === 'string' && typeof o.value === 'string') return { kind: `observable:${o.type}` as ActionTarget['kind'], value: o.value, attributes: { observableId: o.id } };
      if ((o.kind === 'host' || o.kind === 'account') && typeof o.name === 'string') {
        const attrs = (o.attributes as Record<string, unknown>) ?? {};
        return { kind: o.kind, value: o.kind === 'account' ? String(attrs.login ?? o.name) : o.name, attributes: { ...attrs, assetId: o.id } };
      }
      if (typeof o.kind === 'string' && typeof o.value === 'string') return { kind: o.kind as ActionTarget['kind'], value: o.value, attributes: (o.attributes as Record<string, unknown>) ?? {} };
    }
    if (typeof t === 'string') throw new StepFailure(`a target must be an object ({kind, value}, an observable or an asset), got the string "${t.slice(0, 100)}"`);
    throw new StepFailure('each target must be an object: {kind, value}, an observable or an asset');
  }

  private async actionStep(ctx: RunContext, step: ActionStep, path: string, doc: Record<string, unknown>): Promise<unknown> {
    const rawTargets = await this.jqFirst(step.targets, doc);
    const list = rawTargets === null ? [] : Array.isArray(rawTargets) ? rawTargets : [rawTargets];
    const targets = list.map((t) => this.toTarget(t));
    const params = typeof step.params === 'string' ? await this.jqFirst(step.params, doc) : (step.params ?? {});
    await this.db.updateTable('playbook_run_steps').set({ input: JSON.stringify({ targets, params }) }).where('run_id', '=', ctx.run.id).where('path', '=', path).execute();
    if (targets.length === 0) return { actions: [], note: 'no targets' };
    const types = Array.isArray(step.connector) ? step.connector : [step.connector];
    const instances = [];
    for (const type of types) for (const i of await this.deps.integrations.enabledOfType(ctx.run.tenant_id, type)) if (!step.instance || i.name === step.instance) instances.push(i);
    if (instances.length === 0) throw new StepFailure(`no enabled ${types.join(' or ')} integration${step.instance ? ` named "${step.instance}"` : ''} in this tenant`);
    const item = ctx.run.scope === 'alert' ? { alertId: ctx.run.item_id } : { incidentId: ctx.run.item_id };
    // With several connections of a type, each target goes to the one that knows it (a KATA
    // Central Node managing the host); the others are not asked to act on it.
    const { routes, unrouted } = await this.deps.integrations.routeTargets(ctx.run.tenant_id, instances, targets);
    const launches: string[] = [];
    for (const { instance, targets: routed } of routes) {
      ctx.signal.throwIfAborted();
      const launchId = stableId(ctx.run.id, path, instance.id);
      try {
        await this.deps.response.launch(
          ctx.run.tenant_id,
          { instanceId: instance.id, action: step.action, params, targets: routed, approval: step.approval, launchId, ...item },
          { kind: 'playbook', id: ctx.run.id, name: `playbook ${ctx.run.playbook_name}` },
        );
      } catch (err) {
        throw new StepFailure(`${instance.name}: ${(err as Error).message}`);
      }
      launches.push(launchId);
    }
    // Wait for every entry to end (approval included), within the step and run deadlines.
    for (;;) {
      const actions: ResponseAction[] = [];
      for (const id of launches) actions.push(...(await this.deps.response.launchActions(ctx.run.tenant_id, id)));
      if (actions.every((a) => FINAL_ACTION.includes(a.status))) {
        const summary = actions.map((a) => ({ id: a.id, instance: a.instanceName, target: a.target.value, status: a.status, result: a.result, error: a.error }));
        const failed = actions.filter((a) => a.status !== 'succeeded');
        const output = { actions: summary, succeeded: actions.length - failed.length, failed: failed.length };
        const problems = [
          ...failed.map((a) => `${a.target.value} ${a.status}${a.error ? ` (${a.error})` : ''}`),
          ...unrouted.map((u) => `${u.target.value}: no connection knows it (${u.answers.join('; ')})`),
        ];
        if (problems.length) throw new StepFailure(`${problems.length} of ${actions.length + unrouted.length} actions did not succeed: ${problems.join('; ').slice(0, 1000)}`);
        return output;
      }
      // Ending early (step timeout, run timeout, cancel) withdraws what has not started yet.
      const withdraw = async () => {
        for (const a of actions) if (a.status === 'queued' || a.status === 'awaitingApproval') await this.deps.response.cancel(ctx.run.tenant_id, a.id, ctx.actor).catch(() => {});
      };
      try {
        await this.checkAlive(ctx);
      } catch (err) {
        await withdraw();
        throw err;
      }
      await new Promise((r) => setTimeout(r, this.deps.pollMs ?? 100));
    }
  }

  private async updateStep(ctx: RunContext, step: UpdateStep, path: string, doc: Record<string, unknown>): Promise<unknown> {
    const patch = typeof step.update === 'string' ? await this.jqFirst(step.update, doc) : step.update;
    if (!patch || typeof patch !== 'object' || Array.isArray(patch)) throw new StepFailure('update must produce an object');
    const { comment, ...fields } = patch as Record<string, unknown>;
    const allowed = ['assigneeId', 'status', 'resolution', 'severity', 'externalRef', 'additionalData', ...(ctx.run.scope === 'incident' ? ['priority', 'title', 'description'] : [])];
    for (const k of Object.keys(fields)) if (!allowed.includes(k)) throw new StepFailure(`update: "${k}" is not a field a playbook can change (${allowed.join(', ')}, comment)`);
    if (typeof fields.assigneeId === 'string' && !(await this.deps.canBeAssigned(fields.assigneeId, ctx.run.tenant_id))) {
      throw new StepFailure(`update: assigneeId ${fields.assigneeId.slice(0, 64)} is not an active user who can read this tenant's alerts`);
    }
    // Journalled: a resumed run never applies the same change or comment twice.
    return ctx.job.effect(`update:${path}`, async () => {
      // Past the step's timeout nothing is changed (throwing here records that the effect did not happen).
      ctx.signal.throwIfAborted();
      try {
        if (Object.keys(fields).length) {
          if (ctx.run.scope === 'alert') await this.deps.alerts.update(ctx.run.tenant_id, ctx.run.item_id, fields as never, ctx.actor);
          else await this.deps.alerts.updateIncident(ctx.run.tenant_id, ctx.run.item_id, fields as never, ctx.actor);
        }
        if (typeof comment === 'string' && comment.trim()) await this.deps.alerts.comment(ctx.run.tenant_id, ctx.run.scope as 'alert' | 'incident', ctx.run.item_id, comment, ctx.actor);
      } catch (err) {
        throw new StepFailure(`update: ${(err as Error).message}`);
      }
      return { changed: Object.keys(fields), commented: typeof comment === 'string' };
    }, { onUnknown: async () => ({ changed: Object.keys(fields), commented: typeof comment === 'string', note: 'outcome recorded after a restart' }) });
  }

  private async enrichmentStep(ctx: RunContext, step: EnrichmentStep, path: string, doc: Record<string, unknown>): Promise<unknown> {
    const item = doc[ctx.run.scope] as { observables?: { type: string; value: string }[] };
    const chosen = step.observables ? await this.jqFirst(step.observables, doc) : item.observables ?? [];
    if (!Array.isArray(chosen)) throw new StepFailure('observables must produce a list of {type, value}');
    const observables = chosen.filter((o): o is { type: string; value: string } => !!o && typeof o.type === 'string' && typeof o.value === 'string').map((o) => ({ type: o.type, value: o.value }));
    await this.db.updateTable('playbook_run_steps').set({ input: JSON.stringify({ observables }) }).where('run_id', '=', ctx.run.id).where('path', '=', path).execute();
    // The step's signal aborts the outstanding lookups at its timeout; results that come later change nothing here.
    const results = await enrichAndRecord(this.deps.alerts, this.deps.enrichment, ctx.run.tenant_id, observables, { force: step.force, signal: ctx.signal });
    ctx.signal.throwIfAborted();
    const zones = results.map((r) => ({ type: r.type, value: r.value, status: r.status, zone: r.enrichment?.zone ?? null, verdict: r.enrichment?.verdict ?? null, error: r.error?.message ?? null }));
    // Re-read the item so later steps' jq sees the fresh Enrichment column.
    const fresh = await this.documentFor(ctx.run);
    ctx.signal.throwIfAborted();
    doc[ctx.run.scope] = fresh[ctx.run.scope];
    return { results: zones, red: zones.filter((z) => z.zone === 'Red').length };
  }

  private async branchStep(ctx: RunContext, step: BranchStep, path: string, doc: Record<string, unknown>, outputs: Record<string, unknown>, recorded: StepRow): Promise<unknown> {
    let output: { case: number };
    // A resumed run takes the way recorded before the children ran.
    if (recorded.status === 'succeeded' && recorded.output) output = JSON.parse(recorded.output) as { case: number };
    else {
      let chosen = -1;
      for (let j = 0; j < step.cases.length && chosen < 0; j++) {
        const v = await this.jqFirst(step.cases[j].when, doc);
        if (v !== false && v !== null && v !== undefined) chosen = j;
      }
      output = { case: chosen };
      ctx.signal.throwIfAborted();
      // Record the decision before the children run, so a resumed run takes the same way.
      await this.finishStep(ctx.run.id, path, 'succeeded', output, null, true);
    }
    outputs[step.id] = output;
    const steps = output.case >= 0 ? step.cases[output.case].steps : (step.default ?? []);
    await this.runSteps(ctx, steps, `${path}/${output.case >= 0 ? `case${output.case}` : 'default'}/`, doc, outputs);
    return output;
  }

  private async splitStep(ctx: RunContext, step: SplitStep, path: string, doc: Record<string, unknown>, outputs: Record<string, unknown>): Promise<unknown> {
    const recorded = await this.db.selectFrom('playbook_run_steps').select('input').where('run_id', '=', ctx.run.id).where('path', '=', path).executeTakeFirst();
    // The list is computed once and recorded, so a resumed run iterates the same items.
    let items: unknown[];
    if (recorded?.input) items = JSON.parse(recorded.input).items;
    else {
      const v = await this.jqFirst(step.items, doc);
      if (!Array.isArray(v)) throw new StepFailure('items must produce a list');
      if (v.length > 1000) throw new StepFailure('a split runs at most 1000 items');
      items = v;
      await this.db.updateTable('playbook_run_steps').set({ input: JSON.stringify({ items }) }).where('run_id', '=', ctx.run.id).where('path', '=', path).execute();
    }
    const limit = pLimit(step.concurrency ?? 4);
    const results = await Promise.allSettled(
      items.map((item, i) =>
        limit(async () => {
          const itemOutputs: Record<string, unknown> = { ...outputs };
          const itemDoc = { ...doc, item, steps: itemOutputs };
          await this.runSteps(ctx, step.steps, `${path}[${i}]/`, itemDoc, itemOutputs);
          return itemOutputs;
        }),
      ),
    );
    const aborted = results.find((r) => r.status === 'rejected' && r.reason instanceof RunAborted);
    if (aborted) throw (aborted as PromiseRejectedResult).reason;
    const failures = results.filter((r) => r.status === 'rejected');
    const unexpected = failures.find((r) => !((r as PromiseRejectedResult).reason instanceof StepFailure));
    if (unexpected) throw (unexpected as PromiseRejectedResult).reason;
    const output = { items: items.length, failed: failures.length };
    if (failures.length) {
      const message = `${failures.length} of ${items.length} items failed: ${((failures[0] as PromiseRejectedResult).reason as Error).message}`;
      throw new StepFailure(message);
    }
    ctx.signal.throwIfAborted();
    await this.finishStep(ctx.run.id, path, 'succeeded', output, null, true);
    return output;
  }
}

