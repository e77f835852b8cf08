import { createHash, X509Certificate } from 'node:crypto';
import { TLSSocket } from 'node:tls';
import { Agent, ProxyAgent, buildConnector, request as undiciRequest, type Dispatcher } from 'undici';
import type { Logger } from '../log/index.ts';
import { OutboundError, classifyNetworkError, httpError } from './errors.ts';
import { TokenBuckets } from './rate-limit.ts';

export interface TlsOptions {
  /** PEM of CA certificate(s) to trust instead of the system store. */
  ca?: string;
  /** Client certificate and key (PEM) for mutual TLS. */
  cert?: string;
  key?: string;
  passphrase?: string;
  servername?: string;
  /** Default true. */
  rejectUnauthorized?: boolean;
  /** The server certificate's SHA-256 fingerprint: any other certificate is refused, trusted or not. */
  pinSha256?: string;
}

export interface OutboundRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';
  url: string;
  headers?: Record<string, string>;
  query?: Record<string, string | number | boolean | undefined>;
  json?: unknown;
  body?: string | Buffer;
  /** Covers connect and the whole response. Default 30 s. */
  timeoutMs?: number;
  /** Through the installation proxy. Fails (never goes direct) when no proxy is configured. */
  useProxy?: boolean;
  tls?: TlsOptions;
  retry?: { retries?: number; minDelayMs?: number; maxDelayMs?: number };
  /** A POST that the server treats idempotently may be retried too. */
  idempotent?: boolean;
  rateLimit?: { key: string; perSecond: number; burst?: number };
  responseType?: 'json' | 'text' | 'buffer';
  /** Default 10 MiB. */
  maxResponseBytes?: number;
  /** Throw an OutboundError for non-2xx instead of returning it. */
  throwOnHttpError?: boolean;
  signal?: AbortSignal;
}

export interface OutboundResponse<T = unknown> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
  url: string;
}

export interface OutboundStats {
  requests: number;
  errorsByKind: Record<string, number>;
  /** TCP/TLS connections opened per origin (connection reuse shows here). */
  connectionsByOrigin: Record<string, number>;
}

export interface OutboundClient {
  request<T = unknown>(req: OutboundRequest): Promise<OutboundResponse<T>>;
  /** The same client with defaults (a connector's proxy toggle and abort signal). */
  scoped(defaults: { useProxy?: boolean; signal?: AbortSignal }): OutboundClient;
  stats(): OutboundStats;
  close(): Promise<void>;
}

export interface OutboundClientOptions {
  logger: Logger;
  /** The installation proxy, e.g. http://user:pass@proxy:3128. */
  proxyUrl?: string;
  /** Connections kept per origin. */
  connectionsPerOrigin?: number;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);
const RETRY_STATUSES = new Set([429, 502, 503, 504]);
const MAX_AGENTS = 256;

/** Uppercase hex with colons, as `openssl x509 -fingerprint -sha256` prints it. */
export function fingerprintSha256(certificate: string | Buffer): string {
  const der = typeof certificate === 'string' ? new X509Certificate(certificate).raw : certificate;
  return createHash('sha256').update(der).digest('hex').toUpperCase().match(/.{2}/g)!.join(':');
}

export function normalizeFingerprint(fp: string): string {
  return fp.replace(/^sha256:/i, '').replace(/[^0-9a-f]/gi, '').toUpperCase();
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(signal.reason);
    }, { once: true });
  });

export function createOutboundClient(options: OutboundClientOptions): OutboundClient {
  const agents = new Map<string, Dispatcher>();
  const buckets = new TokenBuckets();
  const stats: OutboundStats = { requests: 0, errorsByKind: {}, connectionsByOrigin: {} };
  const proxy = options.proxyUrl ? parseProxy(options.proxyUrl) : undefined;

  function countConnection(origin: string): void {
    stats.connectionsByOrigin[origin] = (stats.connectionsByOrigin[origin] ?? 0) + 1;
  }

  /** One dispatcher per distinct TLS/proxy option set, so connections are reused. */
  function dispatcherFor(tls: TlsOptions | undefined, useProxy: boolean): Dispatcher {
    const key = createHash('sha256').update(JSON.stringify([useProxy, tls ?? null])).digest('hex');
    let agent = agents.get(key);
    if (agent) return agent;
    if (agents.size >= MAX_AGENTS) {
      const [oldestKey, oldest] = agents.entries().next().value as [string, Dispatcher];
      agents.delete(oldestKey);
      void oldest.close().catch(() => {});
    }
    const pin = tls?.pinSha256 ? normalizeFingerprint(tls.pinSha256) : undefined;
    const tlsConnect = {
      ca: tls?.ca,
      cert: tls?.cert,
      key: tls?.key,
      passphrase: tls?.passphrase,
      servername: tls?.servername,
      // A pin without a CA replaces chain validation: the exact certificate is what we trust.
      rejectUnauthorized: pin && !tls?.ca ? false : (tls?.rejectUnauthorized ?? true),
    };
    if (useProxy) {
      if (!proxy) throw new OutboundError('proxy', 'the proxy is switched on but no proxy is configured for this installation (XDRHUB_PROXY_URL)');
      agent = new ProxyAgent({ uri: proxy.uri, token: proxy.token, requestTls: { ...tlsConnect, ...(pin ? { checkServerIdentity: pinCheck(pin) } : {}) } });
    } else {
      const base = buildConnector({ ...tlsConnect, maxCachedSessions: 100 });
      agent = new Agent({
        connections: options.connectionsPerOrigin ?? 16,
        keepAliveTimeout: 30_000,
        connect: (opts, callback) =>
          base(opts, (err, socket) => {
            if (err || !socket) return callback(err ?? new Error('no socket'), null);
            if (pin && socket instanceof TLSSocket) {
              const seen = normalizeFingerprint(socket.getPeerCertificate().fingerprint256 ?? '');
              if (seen !== pin) {
                socket.destroy();
                return callback(new OutboundError('tls', `the certificate of ${opts.hostname} does not match the pinned fingerprint: if the server's certificate was replaced on purpose, pin the new fingerprint`), null);
              }
            }
            countConnection(`${opts.protocol}//${opts.hostname}:${opts.port}`);
            callback(null, socket);
          }),
      });
    }
    agents.set(key, agent);
    return agent;
  }

  async function once<T>(req: OutboundRequest, url: URL): Promise<OutboundResponse<T>> {
    const timeout = AbortSignal.timeout(req.timeoutMs ?? 30_000);
    const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
    const headers: Record<string, string> = { ...(req.headers ?? {}) };
    let body = req.body;
    if (req.json !== undefined) {
      body = JSON.stringify(req.json);
      headers['content-type'] ??= 'application/json';
    }
    let res: Dispatcher.ResponseData;
    try {
      res = await undiciRequest(url, { method: req.method, headers, body, signal, dispatcher: dispatcherFor(req.tls, !!req.useProxy) });
    } catch (err) {
      if (req.signal?.aborted) throw new OutboundError('aborted', `the call to ${url.host} was cancelled`);
      throw classifyNetworkError(err, url.host, timeout.aborted, url.protocol === 'https:');
    }
    const limit = req.maxResponseBytes ?? 10 * 1024 * 1024;
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of res.body) {
        size += chunk.length;
        if (size > limit) {
          res.body.destroy();
          throw new OutboundError('tooLarge', `the answer of ${url.host} exceeded ${limit} bytes`);
        }
        chunks.push(chunk as Buffer);
      }
    } catch (err) {
      if (err instanceof OutboundError) throw err;
      throw classifyNetworkError(err, url.host, timeout.aborted);
    }
    const raw = Buffer.concat(chunks);
    let parsed: unknown = raw;
    const type = req.responseType ?? 'json';
    if (type === 'text') parsed = raw.toString('utf8');
    else if (type === 'json') {
      const text = raw.toString('utf8');
      try {
        parsed = text.length ? JSON.parse(text) : null;
      } catch {
        parsed = text;
      }
    }
    const out: OutboundResponse<T> = { status: res.statusCode, headers: res.headers, body: parsed as T, url: url.toString() };
    return out;
  }

  async function request<T>(req: OutboundRequest): Promise<OutboundResponse<T>> {
    const url = new URL(req.url);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const retries = req.retry?.retries ?? (IDEMPOTENT.has(req.method) || req.idempotent ? 2 : 0);
    const minDelay = req.retry?.minDelayMs ?? 200;
    const maxDelay = req.retry?.maxDelayMs ?? 5_000;
    for (let attempt = 0; ; attempt++) {
      if (req.rateLimit) await buckets.take(req.rateLimit.key, req.rateLimit.perSecond, req.rateLimit.burst ?? req.rateLimit.perSecond, req.signal);
      stats.requests++;
      let retryAfter: number | undefined;
      try {
        const res = await once<T>(req, url);
        if (RETRY_STATUSES.has(res.status) && attempt < retries) {
          retryAfter = retryAfterSeconds(res.headers['retry-after']);
        } else {
          if (req.throwOnHttpError && res.status >= 400) throw httpError(res.status, url.host, retryAfterSeconds(res.headers['retry-after']));
          return res;
        }
      } catch (err) {
        const e = err instanceof OutboundError ? err : classifyNetworkError(err, url.host, false);
        stats.errorsByKind[e.kind] = (stats.errorsByKind[e.kind] ?? 0) + 1;
        if (!(e.retryable && e.kind !== 'quota') || attempt >= retries || req.signal?.aborted) throw e;
      }
      // Exponential backoff with full jitter; a server's Retry-After wins when it is longer.
      const backoff = Math.random() * Math.min(maxDelay, minDelay * 2 ** attempt);
      const wait = Math.min(maxDelay * 4, Math.max(backoff, (retryAfter ?? 0) * 1000));
      options.logger.debug({ host: url.host, attempt: attempt + 1, waitMs: Math.round(wait) }, 'outbound retry');
      await sleep(wait, req.signal);
    }
  }

  function make(defaults: { useProxy?: boolean; signal?: AbortSignal }): OutboundClient {
    return {
      request: <T>(req: OutboundRequest) => {
        const signal = defaults.signal && req.signal ? AbortSignal.any([defaults.signal, req.signal]) : (req.signal ?? defaults.signal);
        return request<T>({ ...req, useProxy: req.useProxy ?? defaults.useProxy, signal });
      },
      scoped: (more) => make({ ...defaults, ...more }),
      stats: () => structuredClone(stats),
      close: async () => {
        await Promise.all([...agents.values()].map((a) => a.close().catch(() => {})));
        agents.clear();
      },
    };
  }
  return make({});
}

function retryAfterSeconds(value: string | string[] | undefined): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  const n = Number(v);
  if (Number.isFinite(n)) return Math.max(0, n);
  const date = Date.parse(v);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000);
}

function parseProxy(raw: string): { uri: string; token?: string } {
  const u = new URL(raw);
  const token = u.username ? `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}` : undefined;
  u.username = '';
  u.password = '';
  return { uri: u.toString(), token };
}

function pinCheck(pin: string) {
  return (_host: string, cert: { fingerprint256?: string }) =>
    normalizeFingerprint(cert.fingerprint256 ?? '') === pin ? undefined : new Error('the server certificate does not match the pinned fingerprint');
}
