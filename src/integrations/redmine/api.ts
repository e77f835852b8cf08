import { OutboundError, type TlsOptions } from '../../platform/outbound/index.ts';
import type { ConnectorContext } from '../framework/contract.ts';
import type { RedmineConfig, RedmineSecrets } from './settings.ts';

export type RedmineContext = ConnectorContext<RedmineConfig, RedmineSecrets>;

/** Redmine's REST answers as far as xdrhub reads them. */
export interface RedmineIssue {
  id: number;
  subject: string;
  description?: string | null;
  status: { id: number; name: string; is_closed?: boolean };
  priority?: { id: number; name: string };
  tracker?: { id: number; name: string };
  project?: { id: number; name: string };
  custom_fields?: { id: number; name: string; value: unknown }[];
}

/** The TLS options of the settings: a private CA, a pinned fingerprint, or (lab only) none. */
export function tlsOf(config: RedmineConfig): TlsOptions | undefined {
  if (!config.url.startsWith('https:')) return undefined;
  const tls: TlsOptions = {};
  if (config.caCertificate) tls.ca = config.caCertificate;
  if (config.pinSha256) tls.pinSha256 = config.pinSha256;
  if (config.verifyTls === false) tls.rejectUnauthorized = false;
  return Object.keys(tls).length ? tls : undefined;
}

export function issueUrl(config: RedmineConfig, id: number): string {
  return `${baseUrl(config)}/issues/${id}`;
}

function baseUrl(config: RedmineConfig): string {
  return config.url.replace(/\/+$/, '');
}

/**
 * One REST call with the API key header. Non-2xx answers become an OutboundError whose message
 * says what to do; Redmine's 422 `{"errors":[…]}` is quoted (it names fields, never secrets).
 */
export async function redmine<T = unknown>(
  ctx: RedmineContext,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  opts: { query?: Record<string, string | number | undefined>; json?: unknown; notFoundIsNull?: boolean } = {},
): Promise<{ status: number; body: T } | null> {
  const apiKey = ctx.secrets.apiKey;
  if (!apiKey) throw new OutboundError('auth', 'no Redmine API key is set: paste the key from "My account → API access key"');
  const res = await ctx.http.request<T>({
    method,
    url: `${baseUrl(ctx.config)}${path}`,
    headers: { 'x-redmine-api-key': apiKey, accept: 'application/json', 'user-agent': 'xdrhub-redmine' },
    query: opts.query,
    json: opts.json,
    timeoutMs: ctx.config.timeoutSeconds * 1000,
    tls: tlsOf(ctx.config),
    maxResponseBytes: 8 * 1024 * 1024,
  });
  if (res.status >= 200 && res.status < 300) return { status: res.status, body: res.body };
  if (res.status === 404 && opts.notFoundIsNull) return null;
  throw redmineError(res.status, res.body, new URL(ctx.config.url).host);
}

export function redmineError(status: number, body: unknown, host: string): OutboundError {
  if (status === 401) return new OutboundError('auth', `Redmine at ${host} refused the API key (HTTP 401): paste the key from "My account → API access key"`, { status });
  if (status === 403) {
    return new OutboundError('forbidden', `Redmine at ${host} denied the call (HTTP 403): enable the REST API (Administration → Settings → API) and give the key's user the rights it needs in the project`, { status });
  }
  if (status === 404) return new OutboundError('notFound', `Redmine at ${host} answered 404: the issue or project does not exist or is not visible to the key's user`, { status });
  if (status === 422) {
    const errors = Array.isArray((body as { errors?: unknown })?.errors) ? ((body as { errors: unknown[] }).errors.map(String).join('; ').slice(0, 500)) : 'validation failed';
    return new OutboundError('invalid', `Redmine at ${host} rejected the issue (HTTP 422): ${errors}`, { status });
  }
  if (status === 429) return new OutboundError('quota', `Redmine at ${host} is rate limiting (HTTP 429): try again later`, { status });
  if (status >= 500) return new OutboundError('transient', `Redmine at ${host} is failing (HTTP ${status}): try again later`, { status });
  return new OutboundError('permanent', `Redmine at ${host} answered HTTP ${status}`, { status });
}
