import { createHash } from 'node:crypto';
import { Agent, Pool, ProxyAgent, buildConnector, type Dispatcher } from 'undici';
import { OutboundError } from './errors.ts';
import { HandshakeLog, guardConnector, normalizeFingerprint, tlsConnectOptions, type TlsOptions } from './tls.ts';

/** The installation proxy, with its credentials split off the URL. */
export interface ProxyConfig {
  /** The proxy URL without userinfo. */
  uri: string;
  /** `Basic …` for Proxy-Authorization, if the URL had credentials. */
  token?: string;
  /** host:port, safe to show in messages and logs. */
  display: string;
}

export function parseProxyUrl(raw: string): ProxyConfig {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    // Never echo the value: it may hold the proxy password.
    throw new OutboundError('proxy', 'the configured proxy URL is not a valid URL (expected http://[user:password@]host:port)', { stage: 'connect' });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new OutboundError('proxy', `the configured proxy uses ${u.protocol} but only http:// and https:// proxies are supported`, { stage: 'connect' });
  }
  const token = u.username ? `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}` : undefined;
  u.username = '';
  u.password = '';
  return { uri: u.toString(), token, display: u.host };
}

export interface DispatcherCacheOptions {
  proxy?: ProxyConfig;
  connectionsPerOrigin: number;
  keepAliveTimeoutMs: number;
  /** Cap on TCP+TLS connection setup; each request's own timeout usually fires first. */
  connectTimeoutMs: number;
  maxDispatchers: number;
  handshakes: HandshakeLog;
  onConnection(origin: string): void;
}

/**
 * One undici dispatcher per distinct (TLS options, proxy) set, kept so connections and TLS
 * sessions are reused across calls; least recently used ones are closed past the cap (close()
 * lets their in-flight requests finish).
 */
export class DispatcherCache {
  private readonly dispatchers = new Map<string, Dispatcher>();

  constructor(private readonly options: DispatcherCacheOptions) {}

  get size(): number {
    return this.dispatchers.size;
  }

  get(tls: TlsOptions | undefined, useProxy: boolean): Dispatcher {
    if (useProxy && !this.options.proxy) {
      throw new OutboundError('proxy', 'this integration is set to use the proxy, but no proxy is configured for the installation (XDRHUB_PROXY_URL): configure one or switch the proxy off', { stage: 'connect' });
    }
    const pin = tls?.pinSha256 ? normalizeFingerprint(tls.pinSha256) : undefined;
    const key = cacheKey(tls, pin, useProxy);
    const found = this.dispatchers.get(key);
    if (found) {
      this.dispatchers.delete(key);
      this.dispatchers.set(key, found);
      return found;
    }
    if (this.dispatchers.size >= this.options.maxDispatchers) {
      const [oldestKey, oldest] = this.dispatchers.entries().next().value as [string, Dispatcher];
      this.dispatchers.delete(oldestKey);
      void oldest.close().catch(() => {});
    }
    const dispatcher = this.create(tls, pin, useProxy);
    this.dispatchers.set(key, dispatcher);
    return dispatcher;
  }

  /** Lets in-flight calls finish for up to `graceMs`, then destroys what is left (a hung connect). */
  async close(graceMs = 2_000): Promise<void> {
    const all = [...this.dispatchers.values()];
    this.dispatchers.clear();
    await Promise.all(
      all.map(async (d) => {
        let timer: NodeJS.Timeout | undefined;
        const graceful = d.close().then(() => true, () => true);
        const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs)));
        const closed = await Promise.race([graceful, late]);
        clearTimeout(timer);
        if (!closed) await d.destroy().catch(() => {});
      }),
    );
  }

  private create(tls: TlsOptions | undefined, pin: string | undefined, useProxy: boolean): Dispatcher {
    const o = this.options;
    const guard = { pin, certificateConfigured: !!(tls?.cert && tls?.key), handshakes: o.handshakes, onConnection: o.onConnection };
    // A resumed TLS session shows no peer certificate, so the pin could not be checked on it:
    // pinned connections always do a full handshake (keep-alive still makes them rare).
    const tlsOptions = { ...tlsConnectOptions(tls), timeout: o.connectTimeoutMs, maxCachedSessions: pin ? 0 : 100 };
    const pool = { connections: o.connectionsPerOrigin, keepAliveTimeout: o.keepAliveTimeoutMs };
    if (!useProxy) {
      return new Agent({ ...pool, connect: guardConnector(buildConnector(tlsOptions), guard) });
    }
    const proxy = o.proxy!;
    return new ProxyAgent({
      ...pool,
      uri: proxy.uri,
      token: proxy.token,
      requestTls: tlsOptions,
      proxyTls: { timeout: o.connectTimeoutMs },
      // The proxy agent hands each origin's pool a connector that opens the CONNECT tunnel (and
      // TLS inside it); wrapping it gives proxied connections the same pin check and counting.
      factory: (origin, opts) => {
        const options = opts as Pool.Options & { connect: buildConnector.connector };
        return new Pool(origin, { ...options, connect: guardConnector(options.connect, guard) });
      },
    });
  }
}

/** A digest, so private keys and passphrases are not kept as map keys. */
function cacheKey(tls: TlsOptions | undefined, pin: string | undefined, useProxy: boolean): string {
  const parts = [useProxy, tls?.ca ?? null, tls?.cert ?? null, tls?.key ?? null, tls?.passphrase ?? null, tls?.servername ?? null, tls?.rejectUnauthorized ?? true, pin ?? null];
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}
