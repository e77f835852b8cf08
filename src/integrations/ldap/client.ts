import { createHash } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { Attribute, Change, Client, ResultCodeError, type Filter } from 'ldapts';
import type { ConnectorContext } from '../framework/contract.ts';
import { OutboundError } from '../../platform/outbound/index.ts';
import { describeBindFailure, isNetworkFailure, networkError, operationError } from './errors.ts';
import { endpointsOf, type DcEndpoint, type LdapConfig, type LdapSecrets, type TlsMode } from './settings.ts';

/**
 * The LDAP side of the Active Directory connector: connections to the DCs in order (failover on
 * network and TLS failures), TLS per mode, the service account's bind, and a small pool of bound
 * connections per instance so look-ups do not pay a TCP + TLS + bind each.
 *
 * A session is exactly one TCP connection. ldapts would silently reconnect a dropped socket
 * (unbound, and for StartTLS unencrypted); the socket hooks below refuse any second connection,
 * so an operation can never go out over a connection we did not set up and check.
 */
export type Ctx = ConnectorContext<LdapConfig, LdapSecrets>;

export class LdapSession {
  private socket: net.Socket | undefined;
  /** The TCP socket under a StartTLS upgrade. */
  private raw: net.Socket | undefined;
  private connections = 0;
  idleTimer: NodeJS.Timeout | undefined;
  readonly client: Client;

  constructor(
    readonly dc: DcEndpoint,
    readonly mode: TlsMode,
    private readonly tlsOptions: tls.ConnectionOptions,
    timeoutMs: number,
  ) {
    this.client = new Client({
      url: dc.url,
      timeout: timeoutMs,
      connectTimeout: timeoutMs,
      strictDN: false,
      // ldapts connects with TLS whenever tlsOptions is set: only for ldaps.
      tlsOptions: mode === 'ldaps' ? tlsOptions : undefined,
      createConnection: ((port: number, host: string) => this.track(() => net.connect(port, host))) as never,
      createSecureConnection: ((...args: unknown[]) => {
        // ldaps: (port, host, options); StartTLS: (options with the plain socket).
        if (typeof args[0] === 'number') return this.track(() => tls.connect(args[0] as number, args[1] as string, args[2] as tls.ConnectionOptions));
        const upgraded = tls.connect(args[0] as tls.ConnectionOptions);
        this.socket = upgraded;
        return upgraded;
      }) as never,
    });
  }

  private track<T extends net.Socket>(open: () => T): T {
    if (this.connections++ > 0) {
      const dead = new net.Socket();
      process.nextTick(() => dead.destroy(new Error('Connection closed: xdrhub does not reconnect a session silently')));
      return dead as T;
    }
    const s = open();
    this.socket = s;
    this.raw = s;
    return s;
  }

  /** True only when the socket the next request goes out on is encrypted. */
  get encrypted(): boolean {
    const s = this.socket;
    return s instanceof tls.TLSSocket && s.encrypted === true && !s.destroyed && this.mode !== 'plain';
  }

  get usable(): boolean {
    return this.client.isBound && !!this.socket && !this.socket.destroyed;
  }

  async open(bindAccount: string, password: string): Promise<void> {
    if (this.mode === 'starttls') await this.client.startTLS(this.tlsOptions);
    try {
      await this.client.bind(bindAccount, password);
    } catch (err) {
      if (err instanceof ResultCodeError && err.code === 49) throw describeBindFailure(err, bindAccount, this.dc.label);
      throw err;
    }
  }

  /** Idle in the pool: the socket must not keep the process alive. */
  park(): void {
    this.socket?.unref();
    this.raw?.unref();
  }

  unpark(): void {
    this.socket?.ref();
    this.raw?.ref();
  }

  close(): void {
    clearTimeout(this.idleTimer);
    this.client.unbind().catch(() => undefined);
    this.socket?.destroy();
    this.raw?.destroy();
  }
}

/** Bound sessions of one instance and settings, waiting for the next call. */
class SessionPool {
  private readonly idle: LdapSession[] = [];
  constructor(
    private readonly maxIdle: number,
    private readonly idleMs: number,
  ) {}

  take(): LdapSession | undefined {
    for (let s = this.idle.pop(); s; s = this.idle.pop()) {
      clearTimeout(s.idleTimer);
      if (s.usable) {
        s.unpark();
        return s;
      }
      s.close();
    }
    return undefined;
  }

  give(s: LdapSession): void {
    if (!s.usable || this.idle.length >= this.maxIdle) return s.close();
    s.idleTimer = setTimeout(() => {
      const i = this.idle.indexOf(s);
      if (i >= 0) this.idle.splice(i, 1);
      s.close();
    }, this.idleMs);
    s.idleTimer.unref();
    s.park();
    this.idle.push(s);
  }

  closeAll(): void {
    for (let s = this.idle.pop(); s; s = this.idle.pop()) s.close();
  }
}

/** Keyed by instance and a fingerprint of settings + password: a change starts a new pool. */
const pools = new Map<string, SessionPool>();
export const POOL = { maxIdle: 4, idleMs: 30_000 };

function poolKey(ctx: Ctx): string {
  const h = createHash('sha256').update(JSON.stringify([ctx.config, ctx.secrets.bindPassword ?? ''])).digest('hex').slice(0, 32);
  return `${ctx.instance.id}:${h}`;
}

/** Closes every pooled connection (tests, benchmarks, shutdown). */
export function closeAllLdapSessions(): void {
  for (const p of pools.values()) p.closeAll();
  pools.clear();
}

function tlsOptionsFor(config: LdapConfig, dc: DcEndpoint): tls.ConnectionOptions {
  const servername = config.tlsServerName ?? (net.isIP(dc.host) ? undefined : dc.host);
  return {
    host: dc.host,
    ...(servername ? { servername } : {}),
    ...(config.caCertificate ? { ca: config.caCertificate } : {}),
    minVersion: 'TLSv1.2',
  };
}

/** Rejects when `signal` aborts or `ms` pass, running `onStop` so the socket is torn down. */
function bounded<T>(work: Promise<T>, ms: number, signal: AbortSignal, onStop: () => void, what: string, stage: 'connect' | 'request'): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const stop = (err: Error) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', aborted);
      onStop();
      reject(err);
    };
    const aborted = () => stop(new OutboundError('aborted', `${what} was cancelled`));
    const timer = setTimeout(() => stop(new OutboundError('timeout', `${what} did not finish within ${ms / 1000} s: check that the DC is up, or raise the timeout`, { stage })), ms);
    if (signal.aborted) return aborted();
    signal.addEventListener('abort', aborted, { once: true });
    work.then(
      (v) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', aborted);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', aborted);
        reject(e);
      },
    );
  });
}

/**
 * Connects and binds to the first DC that answers. Network and TLS failures move on to the
 * next DC; an answer from a DC (wrong password, rights) stops, since every DC of the domain
 * would say the same and more wrong binds only lock the account out.
 */
export async function connect(ctx: Ctx): Promise<LdapSession> {
  // Throws LdapConfigError for settings mistakes: the check reports those at stage 'config'.
  const endpoints = endpointsOf(ctx.config);
  const password = ctx.secrets.bindPassword;
  if (!password) throw new OutboundError('auth', 'no bind password is set: add the password of the bind account');
  const timeoutMs = ctx.config.timeoutSeconds * 1000;
  const failures: string[] = [];
  let last: OutboundError | undefined;
  for (const dc of endpoints) {
    const session = new LdapSession(dc, ctx.config.tlsMode, tlsOptionsFor(ctx.config, dc), timeoutMs);
    try {
      await bounded(session.open(ctx.config.bindAccount, password), timeoutMs, ctx.signal, () => session.close(), `connecting to ${dc.label}`, 'connect');
      if (failures.length) ctx.logger.warn({ dc: dc.label, failed: failures }, 'ldap: failed over to a later domain controller');
      return session;
    } catch (err) {
      session.close();
      if (err instanceof OutboundError && err.kind === 'aborted') throw err;
      const network = err instanceof OutboundError ? (err.stage === 'connect' || err.stage === 'tls' || err.stage === 'resolve' ? err : undefined) : isNetworkFailure(err) ? networkError(err, dc.label) : undefined;
      if (!network) throw err instanceof OutboundError ? err : operationError(err, `binding to ${dc.label}`, dc.label);
      failures.push(`${dc.label}: ${network.message}`);
      last = network;
    }
  }
  if (endpoints.length === 1 && last) throw last;
  throw new OutboundError(last?.kind ?? 'connect', `no domain controller answered: ${failures.join('; ')}`, { stage: last?.stage, reason: last?.reason });
}

/**
 * Runs `fn` on a pooled session (or a fresh one), returning the session to the pool unless it
 * failed at the network level. `fresh` skips the pool (the benchmark's baseline).
 */
export async function withSession<T>(ctx: Ctx, fn: (s: LdapSession) => Promise<T>, opts: { fresh?: boolean } = {}): Promise<T> {
  const key = poolKey(ctx);
  let pool = pools.get(key);
  if (!pool) pools.set(key, (pool = new SessionPool(POOL.maxIdle, POOL.idleMs)));
  const session = (!opts.fresh && pool.take()) || (await connect(ctx));
  let healthy = true;
  try {
    return await bounded(fn(session), ctx.config.timeoutSeconds * 1000, ctx.signal, () => ((healthy = false), session.close()), `the request to ${session.dc.label}`, 'request');
  } catch (err) {
    // An LDAP answer (not found, rights, policy) leaves the connection fine; a dropped socket does not.
    if (!session.usable) healthy = false;
    throw err;
  } finally {
    if (healthy && !opts.fresh) pool.give(session);
    else if (healthy) session.close();
  }
}

export interface SearchOptions {
  scope?: 'base' | 'one' | 'sub';
  attributes?: string[];
  sizeLimit?: number;
  binary?: string[];
}

export async function search(session: LdapSession, base: string, filter: Filter | string, opts: SearchOptions = {}): Promise<Record<string, unknown>[]> {
  const res = await session.client.search(base, {
    scope: opts.scope ?? 'sub',
    filter,
    attributes: opts.attributes,
    sizeLimit: opts.sizeLimit ?? 0,
    explicitBufferAttributes: opts.binary,
  });
  return res.searchEntries as Record<string, unknown>[];
}

export async function replace(session: LdapSession, dn: string, attribute: string, values: (string | Buffer)[]): Promise<void> {
  await session.client.modify(dn, new Change({ operation: 'replace', modification: new Attribute({ type: attribute, values: values as string[] }) }));
}

/** A modify whose changes must apply together (e.g. unicodePwd and pwdLastSet). */
export async function modify(session: LdapSession, dn: string, changes: { op: 'add' | 'delete' | 'replace'; attribute: string; values: (string | Buffer)[] }[]): Promise<void> {
  await session.client.modify(dn, changes.map((c) => new Change({ operation: c.op, modification: new Attribute({ type: c.attribute, values: c.values as string[] }) })));
}
