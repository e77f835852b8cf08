import { randomUUID } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import { Type, type Static, type TSchema } from 'typebox';
import type { ActionResult, ActionTarget, ConnectorAction } from '../framework/contract.ts';
import { OutboundError } from '../../platform/outbound/index.ts';
import { kataCall, resolveTrust, type KataContext, type KataTrust } from './client.ts';
import { resolveSensor } from './sensors.ts';
import type { KataConfig, KataSecrets } from './settings.ts';

/** Endpoint response actions through the KATA Threat Response API (reference §4.2). */

const HOURS_MAX = 9999;

const exclusion = Type.Object(
  {
    direction: Type.Union([Type.Literal('inbound'), Type.Literal('outbound'), Type.Literal('both')], { default: 'both', title: 'Direction' }),
    remoteAddress: Type.Optional(Type.String({ maxLength: 64, title: 'Remote IP address' })),
    remotePort: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, title: 'Remote port' })),
    protocol: Type.Union([Type.Literal('tcp'), Type.Literal('udp'), Type.Literal('any')], { default: 'any', title: 'Protocol' }),
  },
  { additionalProperties: false, title: 'Exclusion', description: 'Traffic still allowed while the host is isolated (e.g. the KATA server, a jump host)' },
);

const isolateParams = Type.Object(
  {
    timeoutHours: Type.Integer({ minimum: 1, maximum: HOURS_MAX, default: 8, title: 'Turn off after, hours', description: 'KATA lifts the isolation by itself after this long (1–9999 hours)' }),
    exclusions: Type.Array(exclusion, { maxItems: 100, default: [], title: 'Exclusions' }),
  },
  { additionalProperties: false },
);
const noParams = Type.Object({}, { additionalProperties: false });
const runParams = Type.Object(
  {
    path: Type.String({ minLength: 1, maxLength: 1024, title: 'Executable path', description: 'The file must already exist on the host; it runs as SYSTEM' }),
    arguments: Type.String({ maxLength: 8192, default: '', title: 'Arguments' }),
    workingDirectory: Type.String({ maxLength: 1024, default: '', title: 'Working directory' }),
  },
  { additionalProperties: false },
);
const HASH = '^([0-9A-Fa-f]{32}|[0-9A-Fa-f]{64})$';
const ruleParams = Type.Object(
  {
    hashes: Type.Array(Type.String({ pattern: HASH }), { maxItems: 1000, default: [], title: 'MD5 or SHA256 hashes', description: 'Added to the hash of an observable target' }),
    fileName: Type.Optional(Type.String({ maxLength: 260, title: 'File name', description: 'Shown in KATA next to the rule' })),
    host: Type.Optional(Type.String({ maxLength: 255, title: 'Host', description: 'For an observable target: the host name, IP or KATA agent id the rule applies to; empty applies it to all hosts' })),
  },
  { additionalProperties: false },
);

type Ctx = KataContext;
type Action<P extends TSchema> = ConnectorAction<KataConfig, KataSecrets, P>;
type IsolateParams = Static<typeof isolateParams>;
type RuleParams = Static<typeof ruleParams>;

interface IsolationState {
  autoTurnoffTimeoutInSec?: number;
  excludedRules?: IsolateParams['exclusions'];
}
interface PreventionObject {
  file: { md5?: string; sha256?: string; name?: string };
}

function checkExclusions(exclusions: IsolateParams['exclusions']): void {
  for (const [i, e] of exclusions.entries()) {
    if (e.remoteAddress !== undefined && !ipaddr.isValid(e.remoteAddress)) throw new OutboundError('invalid', `exclusion ${i + 1}: ${e.remoteAddress} is not an IP address`);
  }
}

async function session(ctx: Ctx, target: ActionTarget): Promise<{ trust: KataTrust; sensorId: string }> {
  const trust = await resolveTrust(ctx);
  return { trust, sensorId: await resolveSensor(ctx, trust, target) };
}

export const enableNetworkIsolation: Action<typeof isolateParams> = {
  title: 'Enable network isolation',
  description: 'Cuts the host off the network except for the exclusions, until disabled or the timeout ends; repeating it overwrites the parameters',
  targetKinds: ['host'],
  paramsSchema: isolateParams,
  undo: 'disableNetworkIsolation',
  async execute(ctx, target, params): Promise<ActionResult> {
    checkExclusions(params.exclusions);
    const { trust, sensorId } = await session(ctx, target);
    const seconds = params.timeoutHours * 3600;
    await kataCall(ctx, trust, { method: 'POST', path: '/settings', query: { sensor_id: sensorId, settings_type: 'network_isolation' }, json: { settings: { autoTurnoffTimeoutInSec: seconds, excludedRules: params.exclusions } }, idempotent: true });
    return {
      summary: `network isolation on for ${target.value} (KATA sensor ${sensorId}), off after ${params.timeoutHours} h${params.exclusions.length ? `, ${params.exclusions.length} exclusion(s)` : ''}`,
      output: { sensorId, autoTurnoffTimeoutInSec: seconds, exclusions: params.exclusions.length, undoParams: {} },
    };
  },
};

export const disableNetworkIsolation: Action<typeof noParams> = {
  title: 'Disable network isolation',
  description: 'Gives the host its network back',
  targetKinds: ['host'],
  paramsSchema: noParams,
  undo: 'enableNetworkIsolation',
  async execute(ctx, target): Promise<ActionResult> {
    const { trust, sensorId } = await session(ctx, target);
    // Read what is switched off, so Undo restores the same isolation rather than a default one.
    const before = await kataCall<IsolationState[]>(ctx, trust, { method: 'GET', path: '/settings', query: { sensor_id: sensorId, settings_type: 'network_isolation' }, accept: [404] });
    const state = before.status === 200 && Array.isArray(before.body) ? before.body[0] : undefined;
    await kataCall(ctx, trust, { method: 'DELETE', path: '/settings', query: { sensor_id: sensorId, settings_type: 'network_isolation' } });
    const undoParams = state?.autoTurnoffTimeoutInSec
      ? { timeoutHours: Math.min(HOURS_MAX, Math.max(1, Math.ceil(state.autoTurnoffTimeoutInSec / 3600))), exclusions: state.excludedRules ?? [] }
      : {};
    return { summary: `network isolation off for ${target.value} (KATA sensor ${sensorId})${state ? '' : '; it was not isolated'}`, output: { sensorId, wasIsolated: !!state, undoParams } };
  },
};

export const runExecutable: Action<typeof runParams> = {
  title: 'Run executable file',
  description: 'Starts a file that already exists on the host, with arguments and a working directory (as SYSTEM)',
  targetKinds: ['host'],
  paramsSchema: runParams,
  async execute(ctx, target, params): Promise<ActionResult> {
    const { trust, sensorId } = await session(ctx, target);
    const taskId = randomUUID();
    await kataCall(ctx, trust, {
      method: 'POST',
      path: `/tasks/${taskId}`,
      query: { sensor_id: sensorId, task_type: 'run_process' },
      json: { task: { schedule: { startNow: true }, execCommand: params.path, cmdLineParameters: params.arguments, workingDirectory: params.workingDirectory } },
    });
    return { summary: `started ${params.path} on ${target.value} (KATA sensor ${sensorId}, task ${taskId})`, output: { sensorId, taskId } };
  },
};

// The prevention list is replaced as a whole by every POST: two read-merge-writes on one list in
// this process run one after the other, or the later would drop the earlier's hashes.
const listLocks = new Map<string, Promise<unknown>>();
async function serialized<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const previous = listLocks.get(key) ?? Promise.resolve();
  const run = previous.then(fn, fn);
  const tail = run.catch(() => {});
  listLocks.set(key, tail);
  try {
    return await run;
  } finally {
    if (listLocks.get(key) === tail) listLocks.delete(key);
  }
}

interface RuleTargets {
  hashes: { type: 'md5' | 'sha256'; value: string }[];
  sensorId: string;
  trust: KataTrust;
}

async function ruleTargets(ctx: Ctx, target: ActionTarget, params: RuleParams): Promise<RuleTargets> {
  const values = [...params.hashes];
  if (target.kind === 'observable:md5' || target.kind === 'observable:sha256') values.unshift(target.value);
  const hashes = [...new Set(values.map((v) => v.trim().toLowerCase()))].map((value) => {
    if (!/^([0-9a-f]{32}|[0-9a-f]{64})$/.test(value)) throw new OutboundError('invalid', `${value} is not an MD5 or SHA256 hash`);
    return { type: value.length === 32 ? ('md5' as const) : ('sha256' as const), value };
  });
  if (hashes.length === 0) throw new OutboundError('invalid', 'no hash to act on: target an MD5/SHA256 observable or give hashes');
  const trust = await resolveTrust(ctx);
  let sensorId: string;
  if (target.kind === 'host') sensorId = await resolveSensor(ctx, trust, target);
  else if (params.host) sensorId = await resolveSensor(ctx, trust, { value: params.host, attributes: /^[0-9a-f-]{36}$/i.test(params.host) ? { agentIds: { kata: params.host } } : {} });
  else sensorId = 'all';
  return { hashes, sensorId, trust };
}

async function readRules(ctx: Ctx, trust: KataTrust, sensorId: string): Promise<PreventionObject[]> {
  const res = await kataCall<{ objects?: PreventionObject[] }[]>(ctx, trust, { method: 'GET', path: '/settings', query: { sensor_id: sensorId, settings_type: 'prevention' }, accept: [404] });
  if (res.status === 404 || !Array.isArray(res.body)) return [];
  return res.body.flatMap((s) => s.objects ?? []).filter((o) => o && typeof o.file === 'object');
}

const sameHash = (o: PreventionObject, h: { type: 'md5' | 'sha256'; value: string }) => o.file[h.type]?.toLowerCase() === h.value;
const where = (sensorId: string, target: ActionTarget) => (sensorId === 'all' ? 'all hosts' : `${target.kind === 'host' ? target.value : 'host'} (KATA sensor ${sensorId})`);

export const addPreventionRule: Action<typeof ruleParams> = {
  title: 'Add prevention rule',
  description: 'Blocks files with these MD5/SHA256 hashes from running, on one host or all hosts; merged into the existing rules',
  targetKinds: ['observable:md5', 'observable:sha256', 'host'],
  paramsSchema: ruleParams,
  undo: 'deletePreventionRule',
  async execute(ctx, target, params): Promise<ActionResult> {
    const { hashes, sensorId, trust } = await ruleTargets(ctx, target, params);
    return serialized(`${ctx.instance.id}|${sensorId}`, async () => {
      const rules = await readRules(ctx, trust, sensorId);
      const added = hashes.filter((h) => !rules.some((o) => sameHash(o, h)));
      if (added.length) {
        const next = [...rules, ...added.map((h) => ({ file: { [h.type]: h.value, ...(params.fileName ? { name: params.fileName } : {}) } }))];
        await kataCall(ctx, trust, { method: 'POST', path: '/settings', query: { sensor_id: sensorId, settings_type: 'prevention' }, json: { settings: { objects: next } }, idempotent: true });
      }
      return {
        summary: added.length ? `prevention rule added for ${added.length} hash(es) on ${where(sensorId, target)}` : `already prevented on ${where(sensorId, target)}`,
        output: { sensorId, added: added.map((h) => h.value), alreadyPresent: hashes.filter((h) => !added.includes(h)).map((h) => h.value), rules: rules.length + added.length },
      };
    });
  },
};

export const deletePreventionRule: Action<typeof ruleParams> = {
  title: 'Delete prevention rule',
  description: 'Lets files with these hashes run again; other rules stay',
  targetKinds: ['observable:md5', 'observable:sha256', 'host'],
  paramsSchema: ruleParams,
  undo: 'addPreventionRule',
  async execute(ctx, target, params): Promise<ActionResult> {
    const { hashes, sensorId, trust } = await ruleTargets(ctx, target, params);
    return serialized(`${ctx.instance.id}|${sensorId}`, async () => {
      const rules = await readRules(ctx, trust, sensorId);
      const kept = rules.filter((o) => !hashes.some((h) => sameHash(o, h)));
      const removed = rules.length - kept.length;
      if (removed > 0) {
        const query = { sensor_id: sensorId, settings_type: 'prevention' };
        if (kept.length) await kataCall(ctx, trust, { method: 'POST', path: '/settings', query, json: { settings: { objects: kept } }, idempotent: true });
        else await kataCall(ctx, trust, { method: 'DELETE', path: '/settings', query });
      }
      return {
        summary: removed ? `prevention rule deleted for ${removed} hash(es) on ${where(sensorId, target)}` : `no such prevention rule on ${where(sensorId, target)}`,
        output: { sensorId, removed, rules: kept.length },
      };
    });
  },
};
