import { invalidField } from '../platform/errors.ts';
import { JqError, type Jq } from './jq.ts';

/**
 * The playbook format (docs/playbooks.md). Every string marked "jq" is a real jq program; step
 * programs read the run's context document: {alert | incident, input: {observables, assets},
 * steps: {<step id>: output}, item (inside a split), tenant: {id}, run: {id}}. The trigger reads
 * the alert or incident itself.
 */
export const MODES = ['auto', 'training', 'manual'] as const;
export type Mode = (typeof MODES)[number];
export type Scope = 'alert' | 'incident';

export interface Approval {
  required: boolean;
  windowMinutes?: number;
}

interface StepBase {
  id: string;
  name?: string;
  timeoutSeconds?: number;
  onError?: 'stop' | 'continue';
}
export interface ActionStep extends StepBase {
  kind: 'action';
  /** Connector type(s); the step runs on every enabled instance of them in the run's tenant. */
  connector: string | string[];
  /** Only the instance with this name. */
  instance?: string;
  action: string;
  /** jq → array of targets ({kind, value} or observables/assets of the alert). */
  targets: string;
  /** Literal parameters, or jq → object. */
  params?: Record<string, unknown> | string;
  approval?: Approval;
}
export interface UpdateStep extends StepBase {
  kind: 'updateData';
  /** Literal patch, or jq → patch: {assigneeId, status, resolution, severity, externalRef, additionalData, comment}. */
  update: Record<string, unknown> | string;
  /** The step waits (state awaitingApproval) until an approver decides, as response actions do. */
  approval?: Approval;
}
export interface EnrichmentStep extends StepBase {
  kind: 'enrichment';
  /** jq → [{type, value}]; default: every observable of the item. */
  observables?: string;
  force?: boolean;
  approval?: Approval;
}
export interface BranchStep extends StepBase {
  kind: 'branch';
  cases: { when: string; steps: Step[] }[];
  default?: Step[];
}
export interface SplitStep extends StepBase {
  kind: 'split';
  /** jq → array; the steps run once per item (`.item`), at most `concurrency` at once. */
  items: string;
  concurrency?: number;
  steps: Step[];
}
export type Step = ActionStep | UpdateStep | EnrichmentStep | BranchStep | SplitStep;

export interface PlaybookDefinition {
  name: string;
  description: string;
  tags: string[];
  scope: Scope;
  mode: Mode;
  /** jq → true/false on the alert or incident; required for auto and training. */
  trigger: string | null;
  steps: Step[];
  runTimeoutMinutes: number;
  enabled: boolean;
  offerToChildren: boolean;
}

export const DEFAULT_RUN_TIMEOUT_MINUTES = 24 * 60;
export const MAX_RUN_TIMEOUT_MINUTES = 48 * 60;
const NAME_FORBIDDEN = /[<>"\u0000-\u001f]/;
const STEP_ID = /^[A-Za-z0-9_-]{1,64}$/;
const STEP_KINDS = ['action', 'updateData', 'enrichment', 'branch', 'split'];
const MAX_STEPS = 200;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function str(o: Obj, key: string, path: string, opts: { optional?: boolean; max?: number } = {}): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) {
    if (opts.optional) return undefined;
    throw invalidField(`${path}.${key}`, 'is required');
  }
  if (typeof v !== 'string' || (!opts.optional && v.trim() === '')) throw invalidField(`${path}.${key}`, 'must be a non-empty string');
  if (v.length > (opts.max ?? 20_000)) throw invalidField(`${path}.${key}`, `must be at most ${opts.max ?? 20_000} characters`);
  return v;
}

function onlyKeys(o: Obj, allowed: string[], path: string): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw invalidField(`${path}.${k}`, 'is not a known field');
}

/**
 * Validates a playbook body with messages that name the field, then checks every jq program
 * with jq itself: an invalid one is refused with jq's own error.
 */
export async function validatePlaybook(raw: unknown, jq: Jq): Promise<PlaybookDefinition> {
  if (!isObj(raw)) throw invalidField('body', 'must be an object');
  onlyKeys(raw, ['name', 'description', 'tags', 'scope', 'mode', 'trigger', 'steps', 'runTimeoutMinutes', 'enabled', 'offerToChildren'], 'body');
  const name = str(raw, 'name', 'body', { max: 255 })!.trim();
  if (NAME_FORBIDDEN.test(name)) throw invalidField('body.name', 'must not contain <, > or "');
  const description = str(raw, 'description', 'body', { optional: true, max: 10_000 }) ?? '';
  const tags = raw.tags ?? [];
  if (!Array.isArray(tags) || tags.length > 30) throw invalidField('body.tags', 'must be a list of at most 30 tags');
  tags.forEach((t, i) => {
    if (typeof t !== 'string' || t.trim() === '' || t.length > 50) throw invalidField(`body.tags.${i}`, 'must be a non-empty string of at most 50 characters');
  });
  if (raw.scope !== 'alert' && raw.scope !== 'incident') throw invalidField('body.scope', 'must be alert or incident');
  if (!MODES.includes(raw.mode as Mode)) throw invalidField('body.mode', 'must be auto, training or manual');
  const mode = raw.mode as Mode;
  const trigger = str(raw, 'trigger', 'body', { optional: true, max: 10_000 }) ?? null;
  if (mode !== 'manual' && !trigger?.trim()) throw invalidField('body.trigger', `is required in ${mode} mode`);
  const runTimeoutMinutes = raw.runTimeoutMinutes ?? DEFAULT_RUN_TIMEOUT_MINUTES;
  if (!Number.isInteger(runTimeoutMinutes) || (runTimeoutMinutes as number) < 1 || (runTimeoutMinutes as number) > MAX_RUN_TIMEOUT_MINUTES) {
    throw invalidField('body.runTimeoutMinutes', `must be a whole number of minutes from 1 to ${MAX_RUN_TIMEOUT_MINUTES} (48 hours)`);
  }
  for (const flag of ['enabled', 'offerToChildren']) if (raw[flag] !== undefined && typeof raw[flag] !== 'boolean') throw invalidField(`body.${flag}`, 'must be true or false');
  if (!Array.isArray(raw.steps) || raw.steps.length === 0) throw invalidField('body.steps', 'must be a non-empty list of steps');

  const programs: { path: string; program: string }[] = [];
  if (trigger) programs.push({ path: 'body.trigger', program: trigger });
  const ids = new Set<string>();
  let count = 0;
  const steps = validateSteps(raw.steps, 'body.steps', ids, programs, () => ++count);
  for (const { path, program } of programs) {
    let error: string | null;
    try {
      error = await jq.check(program);
    } catch (err) {
      // The check runs the program on null: one that does not end there is refused, not a 500.
      if (err instanceof JqError) throw invalidField(path, `jq: ${err.message} (while checking it on a null input)`);
      throw err;
    }
    if (error) throw invalidField(path, error.startsWith("jq:") ? error : `jq: ${error}`);
  }
  return {
    name,
    description,
    tags: (tags as string[]).map((t) => t.trim()),
    scope: raw.scope,
    mode,
    trigger,
    steps,
    runTimeoutMinutes: runTimeoutMinutes as number,
    enabled: raw.enabled !== false,
    offerToChildren: raw.offerToChildren === true,
  };
}

/** `approval: {required, windowMinutes?}`, the shape response actions take (window 1–10080 minutes, default 60). */
function approvalOf(raw: Obj, p: string): Approval | undefined {
  const approval = raw.approval;
  if (approval === undefined) return undefined;
  if (!isObj(approval) || typeof approval.required !== 'boolean') throw invalidField(`${p}.approval`, 'must be {required: boolean, windowMinutes?}');
  onlyKeys(approval, ['required', 'windowMinutes'], `${p}.approval`);
  if (approval.windowMinutes !== undefined && (!Number.isInteger(approval.windowMinutes) || (approval.windowMinutes as number) < 1 || (approval.windowMinutes as number) > 10_080)) {
    throw invalidField(`${p}.approval.windowMinutes`, 'must be from 1 to 10080');
  }
  return approval as unknown as Approval;
}

function validateSteps(list: unknown, path: string, ids: Set<string>, programs: { path: string; program: string }[], counter: () => number): Step[] {
  if (!Array.isArray(list)) throw invalidField(path, 'must be a list of steps');
  return list.map((raw, i) => {
    const p = `${path}.${i}`;
    if (counter() > MAX_STEPS) throw invalidField(p, `a playbook has at most ${MAX_STEPS} steps`);
    if (!isObj(raw)) throw invalidField(p, 'must be an object');
    const id = str(raw, 'id', p, { max: 64 })!;
    if (!STEP_ID.test(id)) throw invalidField(`${p}.id`, 'use 1–64 letters, digits, - or _');
    if (ids.has(id)) throw invalidField(`${p}.id`, `duplicates the step id "${id}"`);
    ids.add(id);
    if (!STEP_KINDS.includes(raw.kind as string)) throw invalidField(`${p}.kind`, `must be one of ${STEP_KINDS.join(', ')}`);
    const base = {
      id,
      name: str(raw, 'name', p, { optional: true, max: 255 }),
      timeoutSeconds: raw.timeoutSeconds as number | undefined,
      onError: raw.onError as 'stop' | 'continue' | undefined,
    };
    if (base.timeoutSeconds !== undefined && (!Number.isInteger(base.timeoutSeconds) || base.timeoutSeconds < 1 || base.timeoutSeconds > 48 * 3600)) {
      throw invalidField(`${p}.timeoutSeconds`, 'must be a whole number of seconds from 1 to 172800');
    }
    if (base.onError !== undefined && base.onError !== 'stop' && base.onError !== 'continue') throw invalidField(`${p}.onError`, 'must be stop or continue');
    const common = ['id', 'name', 'kind', 'timeoutSeconds', 'onError'];
    // A branch or split only routes: what needs approval is a step inside it.
    if ((raw.kind === 'branch' || raw.kind === 'split') && raw.approval !== undefined) {
      throw invalidField(`${p}.approval`, `is not available on a ${raw.kind} step: put the approval on the steps inside it`);
    }
    const jqField = (key: string, optional = false) => {
      const v = str(raw, key, p, { optional });
      if (v !== undefined) programs.push({ path: `${p}.${key}`, program: v });
      return v;
    };
    switch (raw.kind) {
      case 'action': {
        onlyKeys(raw, [...common, 'connector', 'instance', 'action', 'targets', 'params', 'approval'], p);
        const connector = raw.connector;
        if (!(typeof connector === 'string' && connector) && !(Array.isArray(connector) && connector.length > 0 && connector.every((c) => typeof c === 'string' && c))) {
          throw invalidField(`${p}.connector`, 'must be a connector type or a list of them');
        }
        const params = raw.params;
        if (typeof params === 'string') programs.push({ path: `${p}.params`, program: params });
        else if (params !== undefined && !isObj(params)) throw invalidField(`${p}.params`, 'must be an object or a jq program');
        return { ...base, kind: 'action', connector: connector as string | string[], instance: str(raw, 'instance', p, { optional: true, max: 255 }), action: str(raw, 'action', p, { max: 100 })!, targets: jqField('targets')!, params: params as ActionStep['params'], approval: approvalOf(raw, p) };
      }
      case 'updateData': {
        onlyKeys(raw, [...common, 'update', 'approval'], p);
        if (typeof raw.update === 'string') programs.push({ path: `${p}.update`, program: raw.update });
        else if (!isObj(raw.update)) throw invalidField(`${p}.update`, 'must be an object or a jq program');
        return { ...base, kind: 'updateData', update: raw.update as UpdateStep['update'], approval: approvalOf(raw, p) };
      }
      case 'enrichment': {
        onlyKeys(raw, [...common, 'observables', 'force', 'approval'], p);
        if (raw.force !== undefined && typeof raw.force !== 'boolean') throw invalidField(`${p}.force`, 'must be true or false');
        return { ...base, kind: 'enrichment', observables: jqField('observables', true), force: raw.force as boolean | undefined, approval: approvalOf(raw, p) };
      }
      case 'branch': {
        onlyKeys(raw, [...common, 'cases', 'default'], p);
        if (!Array.isArray(raw.cases) || raw.cases.length === 0) throw invalidField(`${p}.cases`, 'must be a non-empty list of {when, steps}');
        const cases = raw.cases.map((c, j) => {
          if (!isObj(c)) throw invalidField(`${p}.cases.${j}`, 'must be {when, steps}');
          onlyKeys(c, ['when', 'steps'], `${p}.cases.${j}`);
          const when = str(c, 'when', `${p}.cases.${j}`)!;
          programs.push({ path: `${p}.cases.${j}.when`, program: when });
          return { when, steps: validateSteps(c.steps, `${p}.cases.${j}.steps`, ids, programs, counter) };
        });
        const dflt = raw.default === undefined ? undefined : validateSteps(raw.default, `${p}.default`, ids, programs, counter);
        return { ...base, kind: 'branch', cases, default: dflt };
      }
      default: {
        onlyKeys(raw, [...common, 'items', 'concurrency', 'steps'], p);
        const concurrency = raw.concurrency ?? 4;
        if (!Number.isInteger(concurrency) || (concurrency as number) < 1 || (concurrency as number) > 32) throw invalidField(`${p}.concurrency`, 'must be from 1 to 32');
        return { ...base, kind: 'split', items: jqField('items')!, concurrency: concurrency as number, steps: validateSteps(raw.steps, `${p}.steps`, ids, programs, counter) };
      }
    }
  });
}
