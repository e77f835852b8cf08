import { request as undiciRequest, type Dispatcher } from 'undici';
import type { Logger } from '../log/index.ts';
import { DispatcherCache, parseProxyUrl } from './dispatchers.ts';
import { OutboundError, classifyHttpStatus, classifyNetworkError, httpError, type NetworkContext } from './errors.ts';
import { TokenBuckets, sleep } from './rate-limit.ts';
import { RETRY_STATUSES, nextDelayMs, parseRetryAfter, retryPolicy, type RetryOptions } from './retry.ts';
import { HandshakeLog, type TlsOptions } from './tls.ts';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

export interface OutboundRequest {
  method: HttpMethod;
  url: string;
  headers?: Record<string, string>;
  /** Added to the URL's query; arrays repeat the parameter. */
  query?: Record<string, string | number | boolean | undefined | (string | number | boolean)[]>;
  /** Sent as JSON with content-type application/json (unless a content-type is given). */
  json?: unknown;
  body?: string | Buffer;
  /** Per attempt, covering connect and the whole response. Default 30 s. */
  timeoutMs?: number;
  /** Through the installation proxy. Fails (never goes direct) when no proxy is configured. */
  useProxy?: boolean;
  tls?: TlsOptions;
  retry?: RetryOptions;
  /** The server treats this call idempotently (e.g. a POST with an idempotency key): retry it too. */
  idempotent?: boolean;
  /** Token bucket per key (e.g. a credential fingerprint), shared by every call in this process. */
  rateLimit?: { key: string; perSecond: number; burst?: number };
  /** Default 'json' (falls back to the text when the body is not JSON). */
  responseType?: 'json' | 'text' | 'buffer';
  /** Default 10 MiB; a larger answer fails with kind 'tooLarge'. */
  maxResponseBytes?: number;
  /** Throw an OutboundError classified by status for non-2xx, instead of returning the response. */
  throwOnHttpError?: boolean;
  signal?: AbortSignal;
}

export interface OutboundResponse<T = unknown> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
  /** The URL requested, query included. */
  url: string;
}

/** Settings applied to every request of a client (a request's own values win; headers merge). */
export type OutboundDefaults = Pick<OutboundRequest, 'headers' | 'timeoutMs' | 'useProxy' | 'retry' | 'responseType' | 'maxResponseBytes' | 'throwOnHttpError' | 'signal'>;

export interface OutboundStats {
  /** Calls to request(). */
  calls: number;
  /** Attempts sent (calls plus retries). */
  requests: number;
  retries: number;
  /** Failed attempts by kind: network errors, and non-2xx answers classified by status. */
  errorsByKind: Record<string, number>;
  /** TCP/TLS connections opened per origin: fewer than calls means keep-alive reuse works. */
  connectionsByOrigin: Record<string, number>;
  /** Time spent waiting for rate-limit tokens. */
  rateLimitWaitMs: number;
  /** Connection pools currently kept (one per distinct TLS/proxy option set, bounded). */
  dispatchers: number;
}

export interface OutboundClient {
  request<T = unknown>(req: OutboundRequest): Promise<OutboundResponse<T>>;
  /** The same client (same connections, buckets and stats) with more defaults, e.g. a connector's proxy toggle and abort signal. */
  scoped(defaults: OutboundDefaults): OutboundClient;
  stats(): OutboundStats;
  close(): Promise<void>;
}

export interface OutboundClientOptions {
  logger: Logger;
  /** The installation proxy, e.g. http://user:pass@proxy:3128. */
  proxyUrl?: string;
  defaults?: OutboundDefaults;
  /** Connections kept per origin and TLS option set. Default 32. */
  connectionsPerOrigin?: number;
  /** Idle keep-alive connections are kept this long (servers' keep-alive hints can shorten it). Default 30 s. */
  keepAliveTimeoutMs?: number;
  /** Distinct TLS/proxy option sets with their own connection pools. Default 256. */
  maxDispatchers?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024;

export function createOutboundClient(options: OutboundClientOptions): OutboundClient {
  const { logger } = options;
  const proxy = options.proxyUrl ? parseProxyUrl(options.proxyUrl) : undefined;
  const stats: OutboundStats = { calls: 0, requests: 0, retries: 0, errorsByKind: {}, connectionsByOrigin: {}, rateLimitWaitMs: 0, dispatchers: 0 };
  const handshakes = new HandshakeLog();
  const dispatchers = new DispatcherCache({
    proxy,
    connectionsPerOrigin: options.connectionsPerOrigin ?? 32,
    keepAliveTimeoutMs: options.keepAliveTimeoutMs ?? 30_000,
    connectTimeoutMs: DEFAULT_TIMEOUT_MS,
    maxDispatchers: options.maxDispatchers ?? 256,
    handshakes,
    onConnection: (origin) => {
      stats.connectionsByOrigin[origin] = (stats.connectionsByOrigin[origin] ?? 0) + 1;
    },
  });
  const buckets = new TokenBuckets();

  const countError = (kind: string) => {
    stats.errorsByKind[kind] = (stats.errorsByKind[kind] ?? 0) + 1;
  };

  /** One attempt: send, then read the body within the size limit. */
  async function attempt<T>(req: OutboundRequest, url: URL): Promise<OutboundResponse<T>> {
    const timeout = AbortSignal.timeout(req.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
    const headers: Record<string, string> = { ...req.headers };
    let body = req.body;
    if (req.json !== undefined) {
      body = JSON.stringify(req.json);
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
    }
    const network = (err: unknown, info?: SocketInfo): OutboundError => {
      if (req.signal?.aborted) return new OutboundError('aborted', `the call to ${url.host} was cancelled`);
      const ctx: NetworkContext = { host: url.host, timedOut: timeout.aborted, viaProxy: req.useProxy && proxy ? { host: proxy.display } : undefined };
      const facts = handshakes.lookup(info);
      if (facts?.certificateRequested && info?.bytesRead === 0) ctx.closedAfterCertificateRequest = { certificateSent: facts.certificateSent };
      return classifyNetworkError(err, ctx);
    };

    let res: Dispatcher.ResponseData;
    try {
      const dispatcher = dispatchers.get(req.tls, !!req.useProxy);
      res = await untilAborted(undiciRequest(url, { method: req.method, headers, body, signal, dispatcher }), signal);
    } catch (err) {
      throw network(err, (err as { socket?: SocketInfo }).socket);
    }
    // Destroying the body early (size limit, abort) makes it emit an error nobody else listens to.
    res.body.on('error', () => {});

    const limit = req.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    const tooLarge = () => new OutboundError('tooLarge', `the answer of ${url.host} is larger than ${limit} bytes: ask for less (filters, paging) or raise the limit`);
    // A HEAD answer declares the length of a body it does not send.
    const declared = req.method === 'HEAD' ? NaN : Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      res.body.destroy();
      throw tooLarge();
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of res.body) {
        size += (chunk as Buffer).length;
        if (size > limit) {
          res.body.destroy();
          throw tooLarge();
        }
        chunks.push(chunk as Buffer);
      }
    } catch (err) {
      throw err instanceof OutboundError ? err : network(err);
    }
    return { status: res.statusCode, headers: res.headers, body: parseBody(Buffer.concat(chunks), req.responseType ?? 'json') as T, url: url.toString() };
  }

  async function request<T>(req: OutboundRequest): Promise<OutboundResponse<T>> {
    stats.calls++;
    const url = buildUrl(req);
    const policy = retryPolicy(req.method, req.retry, req.idempotent);
    for (let n = 0; ; n++) {
      if (req.rateLimit) {
        try {
          stats.rateLimitWaitMs += await buckets.take(req.rateLimit.key, req.rateLimit.perSecond, req.rateLimit.burst, req.signal);
        } catch (err) {
          throw cancelled(err, req, url);
        }
      }
      stats.requests++;
      let failure: OutboundError;
      let retryAfter: number | undefined;
      try {
        const res = await attempt<T>(req, url);
        const kind = classifyHttpStatus(res.status);
        if (kind === null) return res;
        countError(kind);
        retryAfter = parseRetryAfter(res.headers['retry-after']);
        if (!RETRY_STATUSES.has(res.status) || n >= policy.retries) {
          if (req.throwOnHttpError) throw httpError(res.status, url.host, retryAfter);
          return res;
        }
        failure = httpError(res.status, url.host, retryAfter);
        // Give the answer back rather than hold the call for a longer pause than allowed.
        if (nextDelayMs(n, policy, retryAfter) === null) {
          if (req.throwOnHttpError) throw failure;
          return res;
        }
      } catch (err) {
        if (!(err instanceof OutboundError)) throw err;
        if (err.status === undefined) countError(err.kind);
        // 'proxy' failures are never retried directly, and never fall back to a direct connection.
        if (!err.retryable || err.status !== undefined || n >= policy.retries || req.signal?.aborted) throw err;
        failure = err;
      }
      const waitMs = nextDelayMs(n, policy, retryAfter) ?? policy.maxDelayMs;
      stats.retries++;
      logger.debug({ host: url.host, path: url.pathname, attempt: n + 1, kind: failure.kind, status: failure.status, waitMs: Math.round(waitMs) }, 'outbound call will be retried');
      try {
        await sleep(waitMs, req.signal);
      } catch (err) {
        throw cancelled(err, req, url);
      }
    }
  }

  function make(defaults: OutboundDefaults): OutboundClient {
    return {
      request: <T>(req: OutboundRequest) => request<T>(withDefaults(defaults, req)),
      scoped: (more) => make(mergeDefaults(defaults, more)),
      stats: () => ({ ...structuredClone(stats), dispatchers: dispatchers.size }),
      close: () => dispatchers.close(),
    };
  }
  return make(options.defaults ?? {});
}

interface SocketInfo {
  localAddress?: string;
  localPort?: number;
  remoteAddress?: string;
  remotePort?: number;
  bytesRead?: number;
}

/**
 * undici applies an abort only once the request has a connection, so a connect or TLS handshake
 * that hangs would outlive the timeout; this settles the call when the signal fires regardless.
 * The late request is still aborted by undici when its connection arrives.
 */
function untilAborted(pending: Promise<Dispatcher.ResponseData>, signal: AbortSignal): Promise<Dispatcher.ResponseData> {
  if (signal.aborted) {
    pending.then((r) => r.body.destroy(), () => {});
    return Promise.reject(signal.reason);
  }
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      pending.then((r) => r.body.on('error', () => {}).destroy(), () => {});
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    pending.then(
      (r) => (signal.removeEventListener('abort', onAbort), resolve(r)),
      (e) => (signal.removeEventListener('abort', onAbort), reject(e)),
    );
  });
}

function buildUrl(req: OutboundRequest): URL {
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    throw new OutboundError('invalid', 'the URL is not valid: check the address (for example https://host:port/path)');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new OutboundError('invalid', `the URL scheme ${url.protocol} is not supported: use https:// (or http://)`);
  }
  for (const [name, value] of Object.entries(req.query ?? {})) {
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      url.searchParams.delete(name);
      for (const v of value) url.searchParams.append(name, String(v));
    } else url.searchParams.set(name, String(value));
  }
  return url;
}

function parseBody(raw: Buffer, type: 'json' | 'text' | 'buffer'): unknown {
  if (type === 'buffer') return raw;
  const text = raw.toString('utf8');
  if (type === 'text') return text;
  if (text.length === 0) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function cancelled(err: unknown, req: OutboundRequest, url: URL): unknown {
  return req.signal?.aborted ? new OutboundError('aborted', `the call to ${url.host} was cancelled`) : err;
}

function mergeDefaults(base: OutboundDefaults, more: OutboundDefaults): OutboundDefaults {
  return {
    ...base,
    ...stripUndefined(more),
    headers: base.headers || more.headers ? { ...base.headers, ...more.headers } : undefined,
    retry: base.retry || more.retry ? { ...base.retry, ...more.retry } : undefined,
    signal: both(base.signal, more.signal),
  };
}

function withDefaults(defaults: OutboundDefaults, req: OutboundRequest): OutboundRequest {
  return {
    ...stripUndefined(defaults),
    ...stripUndefined(req),
    headers: defaults.headers || req.headers ? { ...defaults.headers, ...req.headers } : undefined,
    retry: defaults.retry || req.retry ? { ...defaults.retry, ...req.retry } : undefined,
    signal: both(defaults.signal, req.signal),
  } as OutboundRequest;
}

function both(a?: AbortSignal, b?: AbortSignal): AbortSignal | undefined {
  return a && b ? AbortSignal.any([a, b]) : (a ?? b);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
