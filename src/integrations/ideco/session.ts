import { createHash } from 'node:crypto';
import { OutboundError, type HttpMethod, type TlsOptions } from '../../platform/outbound/index.ts';
import type { ConnectorContext } from '../framework/contract.ts';
import type { IdecoConfig, IdecoSecrets } from './settings.ts';

export type IdecoContext = ConnectorContext<IdecoConfig, IdecoSecrets>;

/**
 * Ideco's REST API authenticates with session cookies: POST /web/auth/login sets
 * `insecure-ideco-session` and `__Secure-ideco-<uuid>`, sent back on every call; DELETE
 * /web/auth/login ends the session. Sessions live in this module only, one per integration
 * instance and credential (never shared across instances or tenants), and are reused across
 * actions; an expired session (401) is replaced by one new login and the call retried once.
 */
const IDLE_MS = 10 * 60_000;
const MAX_SESSIONS = 1000;

interface Session {
  cookie: string;
  lastUsed: number;
}
const sessions = new Map<string, Session>();
const loggingIn = new Map<string, Promise<Session>>();

export function tlsOf(config: IdecoConfig): TlsOptions | undefined {
  const tls: TlsOptions = {};
  if (config.caCertificate) tls.ca = config.caCertificate;
  if (config.pinSha256) tls.pinSha256 = config.pinSha256;
  if (config.verifyTls === false) tls.rejectUnauthorized = false;
  return Object.keys(tls).length ? tls : undefined;
}

/** The cache key: instance, address and a fingerprint of the credentials (so edits log in anew). */
export function sessionKey(ctx: IdecoContext): string {
  const cred = createHash('sha256').update(`${ctx.secrets.login ?? ''}\u0000${ctx.secrets.password ?? ''}`).digest('hex').slice(0, 16);
  return `${ctx.instance.tenantId}\u0000${ctx.instance.id}\u0000${ctx.config.address}\u0000${cred}`;
}

function base(ctx: IdecoContext): string {
  return ctx.config.address.replace(/\/+$/, '');
}

function host(ctx: IdecoContext): string {
  return new URL(ctx.config.address).host;
}

/** `name=value` pairs of the Set-Cookie headers, without attributes or cleared cookies. */
function cookiesFrom(setCookie: string | string[] | undefined): string {
  const list = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  return list
    .map((c) => c.split(';')[0].trim())
    .filter((pair) => /^[^=\s]+=./.test(pair) && !/^[^=]+=("")?$/.test(pair))
    .join('; ');
}

/** Logs in and returns the session (not cached: callers decide). */
export async function login(ctx: IdecoContext): Promise<Session> {
  const { login: user, password } = ctx.secrets;
  if (!user || !password) throw new OutboundError('auth', `no login or password is set for ${host(ctx)}: enter the administrator's credentials`);
  const res = await ctx.http.request<{ message?: string }>({
    method: 'POST',
    url: `${base(ctx)}/web/auth/login`,
    json: { login: user, password, rest_path: '/' },
    timeoutMs: ctx.config.timeoutSeconds * 1000,
    tls: tlsOf(ctx.config),
    maxResponseBytes: 256 * 1024,
  });
  if (res.status === 429) throw new OutboundError('quota', `${host(ctx)} is limiting login attempts (HTTP 429): wait and try again`, { status: 429 });
  if (res.status >= 500) throw new OutboundError('transient', `${host(ctx)} failed to log in (HTTP ${res.status}): try again later`, { status: res.status });
  if (res.status >= 400) throw new OutboundError('auth', `${host(ctx)} refused the login (HTTP ${res.status}): check the login and password of the administrator`, { status: res.status });
  const cookie = cookiesFrom(res.headers['set-cookie']);
  if (!cookie) throw new OutboundError('auth', `${host(ctx)} accepted the login but set no session cookie: is this an Ideco server?`, { stage: 'authenticate' });
  return { cookie, lastUsed: Date.now() };
}

export async function logout(ctx: IdecoContext, session: Session): Promise<number> {
  const res = await ctx.http.request({ method: 'DELETE', url: `${base(ctx)}/web/auth/login`, headers: { cookie: session.cookie }, timeoutMs: ctx.config.timeoutSeconds * 1000, tls: tlsOf(ctx.config), retry: { retries: 0 }, responseType: 'text', maxResponseBytes: 64 * 1024 });
  return res.status;
}

async function cachedSession(ctx: IdecoContext, key: string): Promise<Session> {
  const s = sessions.get(key);
  if (s && Date.now() - s.lastUsed < IDLE_MS) return s;
  sessions.delete(key);
  // Concurrent calls of one instance share a single login.
  let pending = loggingIn.get(key);
  if (!pending) {
    sessionStats.logins++;
    pending = login(ctx).then((fresh) => {
      if (sessions.size >= MAX_SESSIONS) sessions.delete(sessions.keys().next().value!);
      sessions.set(key, fresh);
      return fresh;
    });
    loggingIn.set(key, pending);
    pending.finally(() => loggingIn.delete(key)).catch(() => {});
  }
  return pending;
}

/** Drops the cached session of this instance (e.g. after credentials changed). */
export function forgetSession(ctx: IdecoContext): void {
  sessions.delete(sessionKey(ctx));
}

export interface IdecoCall {
  query?: Record<string, string | number | boolean | undefined>;
  json?: unknown;
  /** Answer null for 404 instead of throwing. */
  notFoundIsNull?: boolean;
}

/** Counts of the logins this module made, for tests and the benchmark. */
export const sessionStats = { logins: 0, relogins: 0 };

/** One authenticated call; on 401 logs in once more and retries. Non-2xx becomes an OutboundError. */
export async function call<T = unknown>(ctx: IdecoContext, method: HttpMethod, path: string, opts: IdecoCall = {}): Promise<T | null> {
  const key = sessionKey(ctx);
  for (let attempt = 0; ; attempt++) {
    const session = await cachedSession(ctx, key);
    const res = await ctx.http.request<T>({
      method,
      url: `${base(ctx)}${path}`,
      headers: { cookie: session.cookie },
      query: opts.query,
      json: opts.json,
      timeoutMs: ctx.config.timeoutSeconds * 1000,
      tls: tlsOf(ctx.config),
      maxResponseBytes: 32 * 1024 * 1024,
    });
    if (res.status === 401 && attempt === 0) {
      // The session expired (idle timeout, server restart, another admin logged it out).
      if (sessions.get(key) === session) sessions.delete(key);
      sessionStats.relogins++;
      ctx.logger.debug({ path }, 'Ideco session expired: logging in again');
      continue;
    }
    session.lastUsed = Date.now();
    if (res.status >= 200 && res.status < 300) return res.body;
    if (res.status === 404 && opts.notFoundIsNull) return null;
    throw idecoError(res.status, res.body, host(ctx), method, path);
  }
}

/** An error for a non-2xx answer, quoting Ideco's own message (it names objects, never secrets). */
export function idecoError(status: number, body: unknown, hostName: string, method: string, path: string): OutboundError {
  const said = messageOf(body);
  const where = `${method} ${path.split('?')[0]}`;
  if (status === 401) return new OutboundError('auth', `${hostName} refused the session twice (HTTP 401): check the administrator's credentials`, { status });
  if (status === 403) return new OutboundError('forbidden', `${hostName} denied ${where} (HTTP 403): the administrator needs full (not read-only) rights${said}`, { status });
  if (status === 404) return new OutboundError('notFound', `${hostName} has no ${where} (HTTP 404): check the product type (Ideco NGFW or UTM) and its version${said}`, { status });
  if (status === 429) return new OutboundError('quota', `${hostName} is rate limiting (HTTP 429): try again later`, { status });
  if (status >= 500) return new OutboundError('transient', `${hostName} failed on ${where} (HTTP ${status}): try again later${said}`, { status });
  return new OutboundError('invalid', `${hostName} rejected ${where} (HTTP ${status})${said}`, { status });
}

function messageOf(body: unknown): string {
  if (!body || typeof body !== 'object') return '';
  const b = body as Record<string, unknown>;
  const text = [b.message, b.detail, b.error].find((v) => typeof v === 'string') as string | undefined;
  // eslint-disable-next-line no-control-regex
  return text ? `: ${text.replace(/[\u0000-\u001f]/g, ' ').slice(0, 300)}` : '';
}
