import { Type, type Static } from 'typebox';
import { defineConnector, type ActionTarget, type CheckResult, type ConnectorContext } from '../framework/contract.ts';

/**
 * A generic HTTPS webhook: posts JSON to a URL, optionally with a secret header. The smallest
 * real connector, used to drive the framework end to end without any product.
 */
const configSchema = Type.Object(
  {
    url: Type.String({ format: 'uri', pattern: '^https://', maxLength: 2048, title: 'URL', description: 'HTTPS endpoint that receives the JSON' }),
    headerName: Type.String({ pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$", default: 'Authorization', title: 'Secret header name' }),
    caCertificate: Type.Optional(Type.String({ maxLength: 20_000, title: 'CA certificate (PEM)', description: 'Trust a private CA for this endpoint' })),
    timeoutSeconds: Type.Integer({ minimum: 1, maximum: 120, default: 10, title: 'Timeout, seconds' }),
    proxy: Type.Boolean({ default: false, title: 'Use the installation proxy', description: 'Root tenant only' }),
  },
  { additionalProperties: false },
);
const secretsSchema = Type.Object(
  { headerValue: Type.String({ minLength: 1, maxLength: 4096, title: 'Secret header value', description: 'Sent in the secret header (write-only)' }) },
  { additionalProperties: false },
);

const listParams = Type.Object(
  { list: Type.String({ minLength: 1, maxLength: 128, default: 'xdrhub-blocklist', title: 'List name', description: 'Name of the list on the receiving side' }) },
  { additionalProperties: false },
);
const LIST_TARGETS = ['observable:ip', 'observable:domain', 'observable:url', 'observable:md5', 'observable:sha256', 'host', 'account'] as const;

/** Posts one list operation; the receiver (a SOAR, a firewall manager, a script) applies it. */
async function postListChange(ctx: ConnectorContext<Config, Secrets>, op: 'add' | 'remove', target: ActionTarget, list: string) {
  const res = await ctx.http.request({
    method: 'POST',
    url: ctx.config.url,
    headers: headers(ctx),
    json: { op, list, target: { kind: target.kind, value: target.value } },
    timeoutMs: ctx.config.timeoutSeconds * 1000,
    tls: tlsOf(ctx.config),
    responseType: 'text',
    maxResponseBytes: 64 * 1024,
  });
  if (res.status < 200 || res.status >= 300) throw Object.assign(new Error(`the webhook answered HTTP ${res.status}`), { status: res.status });
  return { summary: `${op === 'add' ? 'added to' : 'removed from'} ${list} (HTTP ${res.status})`, output: { status: res.status, list } };
}

const postJsonParams = Type.Object({ payload: Type.Record(Type.String(), Type.Unknown(), { description: 'JSON object to send' }) }, { additionalProperties: false });

type Config = Static<typeof configSchema>;
type Secrets = Static<typeof secretsSchema>;

function headers(ctx: ConnectorContext<Config, Secrets>): Record<string, string> {
  const out: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'xdrhub-webhook' };
  if (ctx.secrets.headerValue) out[ctx.config.headerName.toLowerCase()] = ctx.secrets.headerValue;
  return out;
}

function tlsOf(config: Config) {
  return config.caCertificate ? { ca: config.caCertificate } : undefined;
}

export const webhookConnector = defineConnector({
  type: 'webhook',
  title: 'HTTPS webhook',
  description: 'Posts JSON to an HTTPS endpoint, optionally authenticated by a secret header.',
  configSchema,
  secretsSchema,
  rootOnlyFields: ['proxy'],
  async check(ctx): Promise<CheckResult> {
    // HEAD has no side effects on a well-behaved endpoint; a 405 still proves reachability.
    const res = await ctx.http.request({ method: 'HEAD', url: ctx.config.url, headers: headers(ctx), timeoutMs: ctx.config.timeoutSeconds * 1000, tls: tlsOf(ctx.config), retry: { retries: 0 } });
    if (res.status === 401) return { ok: false, stage: 'authenticate', message: 'the endpoint refused the secret header (401): replace the header value' };
    if (res.status === 403) return { ok: false, stage: 'authorize', message: 'the endpoint answered 403 forbidden: check the header value and its rights' };
    if (res.status >= 500) return { ok: false, stage: 'request', message: `the endpoint answered ${res.status}: it is reachable but failing` };
    return { ok: true, stage: 'request', message: `reachable (HTTP ${res.status})`, details: { status: res.status } };
  },
  actions: {
    addToBlocklist: {
      title: 'Add to a blocklist',
      description: 'POST {"op":"add","list","target"} so the receiver blocks the value; undone by "Remove from a blocklist"',
      targetKinds: [...LIST_TARGETS],
      paramsSchema: listParams,
      undo: 'removeFromBlocklist',
      execute: (ctx, target, params: Static<typeof listParams>) => postListChange(ctx, 'add', target, params.list),
    },
    removeFromBlocklist: {
      title: 'Remove from a blocklist',
      description: 'POST {"op":"remove","list","target"}',
      targetKinds: [...LIST_TARGETS],
      paramsSchema: listParams,
      undo: 'addToBlocklist',
      execute: (ctx, target, params: Static<typeof listParams>) => postListChange(ctx, 'remove', target, params.list),
    },
    postJson: {
      title: 'Post JSON',
      description: 'POST a JSON payload to the webhook URL',
      targetKinds: ['none', 'alert', 'incident', 'host', 'account', 'observable:ip', 'observable:domain', 'observable:url'],
      paramsSchema: postJsonParams,
      async execute(ctx, target, params: Static<typeof postJsonParams>) {
        const body = { target: { kind: target.kind, value: target.value }, payload: params.payload };
        const res = await ctx.http.request({ method: 'POST', url: ctx.config.url, headers: headers(ctx), json: body, timeoutMs: ctx.config.timeoutSeconds * 1000, tls: tlsOf(ctx.config), responseType: 'text', maxResponseBytes: 64 * 1024 });
        if (res.status < 200 || res.status >= 300) {
          throw Object.assign(new Error(`the webhook answered HTTP ${res.status}`), { status: res.status });
        }
        const text = String(res.body ?? '');
        return { summary: `delivered (HTTP ${res.status})`, output: { status: res.status, response: text.slice(0, 2000) } };
      },
    },
  },
});
