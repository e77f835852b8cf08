import { Type, type Static } from 'typebox';
import { OutboundError } from '../../platform/outbound/index.ts';
import { defineConnector, type ActionTarget, type CheckResult, type ConnectorAction, type TargetKind } from '../framework/contract.ts';
import { Batcher, instanceKey } from '../firewall-common/batcher.ts';
import { applyIpBatch, type BatchOutcome } from './ip-block.ts';
import { configSchema, secretsSchema, type IdecoConfig, type IdecoSecrets } from './settings.ts';
import { login, logout, tlsOf, type IdecoContext } from './session.ts';
import { applyUrlBatch } from './url-block.ts';
import { InvalidValue, normalizeDomain, normalizeIp, normalizeUrl } from './values.ts';
import { NGFW, UTM, type IdecoVariant } from './variant.ts';

/**
 * Ideco NGFW and Ideco UTM (REST with session cookies, reference §8): block and unblock IPs
 * through a managed address list referenced by FORWARD drop rules, URLs and domains through a
 * managed content-filter category and deny rule. One module for both; the differences live in
 * variant.ts.
 */

const MAX_EXTRA = 5000;
const extraValues = (what: string) =>
  Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 4096 }), { maxItems: MAX_EXTRA, title: `More ${what}`, description: `Further ${what} applied in the same batch as the target` }));
const ipParams = Type.Object({ values: extraValues('IP addresses') }, { additionalProperties: false });
const urlParams = Type.Object({ values: extraValues('URLs') }, { additionalProperties: false });
const domainParams = Type.Object({ values: extraValues('domains') }, { additionalProperties: false });
type ValuesParams = { values?: string[] };

type OpKind = 'blockIp' | 'unblockIp' | 'blockUrl' | 'unblockUrl';

/**
 * Every batch of every Ideco instance in this process, keyed by instance and settings: the
 * response module runs one action per target, and the calls that arrive together are applied
 * as one list update (firewall-common/batcher.ts, shared with the other firewalls).
 */
const batcher = new Batcher<IdecoContext & { variant: IdecoVariant }, OpKind>(async (ctx, kind, values) =>
  kind === 'blockIp' || kind === 'unblockIp' ? applyIpBatch(ctx, ctx.variant, kind === 'blockIp' ? 'block' : 'unblock', values) : applyUrlBatch(ctx, kind === 'blockUrl' ? 'block' : 'unblock', values),
);
export const idecoBatchSizes = batcher.stats.batchSizes;

function valuesOf(target: ActionTarget, params: ValuesParams, normalize: (v: string) => string): string[] {
  const out: string[] = [];
  const invalid: string[] = [];
  for (const raw of [target.value, ...(params.values ?? [])]) {
    try {
      out.push(normalize(raw));
    } catch (err) {
      if (!(err instanceof InvalidValue)) throw err;
      invalid.push(err.message);
    }
  }
  // All or nothing: a batch with a bad value is refused whole, so the history never half-applies.
  if (invalid.length) throw new OutboundError('invalid', `refused ${invalid.length} value(s), nothing was changed: ${invalid.slice(0, 3).join('; ')}${invalid.length > 3 ? '; …' : ''}`);
  return [...new Set(out)];
}

function describe(outcome: BatchOutcome, verb: string, already: string, noun: string, where: string) {
  const list = (xs: string[]) => (xs.length <= 3 ? xs.join(', ') : `${xs.slice(0, 3).join(', ')} and ${xs.length - 3} more`);
  const parts: string[] = [];
  if (outcome.changed.length) parts.push(`${verb} ${list(outcome.changed)}`);
  if (outcome.unchanged.length) parts.push(`${list(outcome.unchanged)} ${already}`);
  let summary = `${parts.join('; ')} (${noun} ${where})`;
  if (outcome.created.length) summary += `; created ${outcome.created.join(', ')}`;
  return summary;
}

function makeConnector(variant: IdecoVariant) {
  type Ctx = IdecoContext;
  const run = async (ctx: Ctx, kind: OpKind, values: string[]) =>
    batcher.submit(instanceKey(ctx, variant.type), kind, values, { ...ctx, variant });

  const ipAction = (block: boolean): ConnectorAction<IdecoConfig, IdecoSecrets, typeof ipParams> => ({
    title: block ? 'Block IP addresses' : 'Unblock IP addresses',
    description: block
      ? `Adds the IP (v4 or v6) to the managed address list dropped by the FORWARD rules of ${variant.product}; undone by "Unblock IP addresses"`
      : `Removes the IP from the managed address list of ${variant.product}`,
    targetKinds: ['observable:ip'] as TargetKind[],
    paramsSchema: ipParams,
    undo: block ? 'unblockIp' : 'blockIp',
    async execute(ctx, target, params: Static<typeof ipParams>) {
      const values = valuesOf(target, params, normalizeIp);
      const outcome = await run(ctx, block ? 'blockIp' : 'unblockIp', values);
      const summary = describe(outcome, block ? 'blocked' : 'unblocked', block ? 'already blocked' : 'not blocked', 'address list', `"${ctx.config.addressListName}"`);
      return { summary, output: { [block ? 'blocked' : 'unblocked']: outcome.changed, [block ? 'alreadyBlocked' : 'notBlocked']: outcome.unchanged, created: outcome.created, list: ctx.config.addressListName } };
    },
  });

  const contentAction = (block: boolean, noun: 'URL' | 'domain', schema: typeof urlParams, normalize: (v: string) => string): ConnectorAction<IdecoConfig, IdecoSecrets, typeof urlParams> => ({
    title: `${block ? 'Block' : 'Unblock'} ${noun}s`,
    description: block
      ? `Adds the ${noun} to the managed content-filter category denied by the managed rule of ${variant.product}; undone by "Unblock ${noun}s"`
      : `Removes the ${noun} from the managed content-filter category of ${variant.product}`,
    targetKinds: [noun === 'URL' ? 'observable:url' : 'observable:domain'] as TargetKind[],
    paramsSchema: schema,
    undo: `${block ? 'unblock' : 'block'}${noun === 'URL' ? 'Url' : 'Domain'}`,
    async execute(ctx, target, params: Static<typeof urlParams>) {
      const values = valuesOf(target, params, normalize);
      const outcome = await run(ctx, block ? 'blockUrl' : 'unblockUrl', values);
      const summary = describe(outcome, block ? 'blocked' : 'unblocked', block ? 'already blocked' : 'not blocked', 'content-filter category', `"${ctx.config.contentCategoryName}"`);
      return { summary, output: { [block ? 'blocked' : 'unblocked']: outcome.changed, [block ? 'alreadyBlocked' : 'notBlocked']: outcome.unchanged, created: outcome.created, category: ctx.config.contentCategoryName } };
    },
  });

  return defineConnector({
    type: variant.type,
    title: variant.title,
    description: `Blocks IP addresses, URLs and domains on ${variant.product} through its REST API (managed address list, drop rules, content filter).`,
    configSchema,
    secretsSchema,
    rootOnlyFields: ['proxy'],
    async check(ctx): Promise<CheckResult> {
      if (!ctx.secrets.login || !ctx.secrets.password) return { ok: false, stage: 'config', message: 'enter the login and password of an Ideco administrator' };
      // A fresh session, never the cached one: the check proves that these credentials log in.
      const session = await login(ctx);
      const host = new URL(ctx.config.address).host;
      const probe = variant.ipStore === 'addressList' ? '/aliases/ip_address_lists' : '/aliases/lists/addresses';
      let res;
      try {
        res = await ctx.http.request({ method: 'GET', url: `${ctx.config.address.replace(/\/+$/, '')}${probe}`, headers: { cookie: session.cookie }, timeoutMs: ctx.config.timeoutSeconds * 1000, tls: tlsOf(ctx.config), retry: { retries: 0 }, maxResponseBytes: 32 * 1024 * 1024 });
      } finally {
        await logout(ctx, session).catch(() => undefined);
      }
      if (res.status === 403) return { ok: false, stage: 'authorize', message: `logged in, but ${host} denied reading the address lists (HTTP 403): the administrator needs full rights` };
      if (res.status === 404) return { ok: false, stage: 'request', message: `logged in, but ${host} has no ${probe} (HTTP 404): is this ${variant.product}? Choose the other Ideco type if not` };
      if (res.status < 200 || res.status >= 300) return { ok: false, stage: 'request', message: `logged in, but reading ${probe} failed (HTTP ${res.status})` };
      const lists = Array.isArray(res.body) ? (res.body as { title?: string }[]) : [];
      const managed = lists.some((l) => l.title === ctx.config.addressListName);
      return {
        ok: true,
        stage: 'request',
        message: `logged in to ${variant.product} at ${host}, read the address lists and logged out${managed ? '' : `; the list "${ctx.config.addressListName}" will be created on first block`}`,
        details: { addressLists: lists.length, managedListExists: managed },
      };
    },
    actions: {
      blockIp: ipAction(true),
      unblockIp: ipAction(false),
      blockUrl: contentAction(true, 'URL', urlParams, normalizeUrl),
      unblockUrl: contentAction(false, 'URL', urlParams, normalizeUrl),
      blockDomain: contentAction(true, 'domain', domainParams, normalizeDomain),
      unblockDomain: contentAction(false, 'domain', domainParams, normalizeDomain),
    },
  });
}

export const idecoNgfwConnector = makeConnector(NGFW);
export const idecoUtmConnector = makeConnector(UTM);
