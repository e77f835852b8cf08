import type { ConnectorContext } from '../framework/contract.ts';
import { OutboundError, normalizeFingerprint, type HttpMethod, type OutboundErrorKind, type TlsOptions } from '../../platform/outbound/index.ts';
import { originOf, type KataConfig, type KataSecrets } from './settings.ts';

export type KataContext = ConnectorContext<KataConfig, KataSecrets>;

/** Thrown when the settings cannot make a call at all (no identity, bad host); stage 'config'. */
export class KataConfigError extends Error {
  override name = 'KataConfigError';
}

/** A pin no certificate has: the guard refuses it and tells which fingerprint was presented. */
const PROBE_PIN = '00'.repeat(32);

export interface KataTrust {
  tls: TlsOptions;
  /** Set when this call recorded the server's fingerprint (trust on first use). */
  firstUse?: { fingerprint: string; recorded: boolean };
  /** Which setting decides trust, for messages. */
  mode: 'pin' | 'ca' | 'firstUse';
}

/**
 * The client certificate and the server trust of one connection. Without a CA or a pinned
 * fingerprint, the first call learns the Central Node's fingerprint (a connection refused by a
 * probe pin before any request is written) and records it in the instance's config; from then on
 * it is a pin, so a replaced certificate is refused until the user accepts it.
 */
export async function resolveTrust(ctx: KataContext): Promise<KataTrust> {
  const { config, secrets } = ctx;
  if (!config.xdrId || !config.certificatePem || !secrets.privateKey) {
    throw new KataConfigError('this connection has no client identity yet: run "Generate identity" and have the KATA administrator approve it');
  }
  const tls: TlsOptions = { cert: config.certificatePem, key: secrets.privateKey };
  if (config.serverFingerprint) return { tls: { ...tls, ca: config.caCertificate, pinSha256: config.serverFingerprint }, mode: 'pin' };
  if (config.caCertificate) return { tls: { ...tls, ca: config.caCertificate }, mode: 'ca' };
  if (config.observedServerFingerprint) return { tls: { ...tls, pinSha256: config.observedServerFingerprint }, mode: 'firstUse' };

  let seen: string | undefined;
  try {
    await ctx.http.request({ method: 'GET', url: `${originOf(config)}/`, tls: { ...tls, pinSha256: PROBE_PIN }, timeoutMs: config.timeoutSeconds * 1000, retry: { retries: 0 }, responseType: 'text' });
  } catch (err) {
    if (!(err instanceof OutboundError) || err.reason !== 'pinMismatch' || !err.peerFingerprint) throw err;
    seen = normalizeFingerprint(err.peerFingerprint);
  }
  if (!seen) throw new OutboundError('tls', `could not read the certificate of ${config.host}: pin its fingerprint or add its CA certificate`, { reason: 'handshake' });
  let recorded = false;
  if (ctx.updateOwnSettings) {
    await ctx.updateOwnSettings({ config: { observedServerFingerprint: seen } });
    ctx.config.observedServerFingerprint = seen;
    recorded = true;
    ctx.logger.info({ fingerprint: seen }, 'KATA server fingerprint recorded on first use');
  }
  return { tls: { ...tls, pinSha256: seen }, firstUse: { fingerprint: seen, recorded }, mode: 'firstUse' };
}

export interface KataAnswer<T> {
  status: number;
  body: T;
}

/**
 * One call to the Central Node with mutual TLS. Non-2xx answers become OutboundErrors whose
 * message says what they mean for KATA (401: the request awaits approval; 403: rejected), except
 * those listed in `accept`, which the caller interprets (e.g. 404 on a settings read).
 */
export async function kataCall<T = unknown>(
  ctx: KataContext,
  trust: KataTrust,
  req: { method: HttpMethod; api?: 'response' | 'scanner'; path: string; query?: Record<string, string | number | undefined>; json?: unknown; idempotent?: boolean; accept?: number[] },
): Promise<KataAnswer<T>> {
  const { config } = ctx;
  const id = encodeURIComponent(config.xdrId!);
  const base = req.api === 'scanner' ? `${originOf(config)}/kata/scanner/v1/sensors/${id}` : `${originOf(config)}/kata/response_api/v1/${id}`;
  const wrap = (err: unknown) => (err instanceof OutboundError && err.reason === 'pinMismatch' && trust.mode === 'firstUse' ? firstUseChanged(config, err) : err);
  let res;
  try {
    res = await ctx.http.request<T>({ method: req.method, url: `${base}${req.path}`, query: req.query, json: req.json, idempotent: req.idempotent, tls: trust.tls, timeoutMs: config.timeoutSeconds * 1000, maxResponseBytes: 64 * 1024 * 1024 });
  } catch (err) {
    throw wrap(err);
  }
  if ((res.status >= 200 && res.status < 300) || req.accept?.includes(res.status)) return { status: res.status, body: res.body };
  throw statusError(config, res.status);
}

/** KATA's documented return codes in words (reference §4.2), as OutboundErrors for the response module. */
export function statusError(config: KataConfig, status: number): OutboundError {
  const host = config.host;
  const words: Record<number, [OutboundErrorKind, string]> = {
    400: ['invalid', `KATA at ${host} refused the parameters (HTTP 400)`],
    401: ['auth', `KATA at ${host} has not approved this external system yet: ask the KATA administrator to accept the authorization request of XDR ID ${config.xdrId} with certificate fingerprint ${config.certificateFingerprint ?? '(see the connection)'} (External systems)`],
    403: ['forbidden', `KATA at ${host} rejected this external system (XDR ID ${config.xdrId}): generate a new identity and have it approved, or ask the administrator to accept it`],
    404: ['notFound', `host not known to this KATA (${host})`],
    429: ['quota', `KATA at ${host} answered that too many requests were made (HTTP 429): try again later`],
  };
  const known = words[status];
  if (known) return new OutboundError(known[0], known[1], { status });
  if (status >= 500) return new OutboundError(status === 501 || status === 505 ? 'permanent' : 'transient', `KATA at ${host} had an internal error (HTTP ${status}): try again later`, { status });
  return new OutboundError('permanent', `KATA at ${host} answered HTTP ${status}`, { status });
}

function firstUseChanged(config: KataConfig, err: OutboundError): OutboundError {
  return new OutboundError(
    'tls',
    `the certificate of ${config.host} changed since it was first seen (recorded ${config.observedServerFingerprint}, now ${err.peerFingerprint ?? 'unknown'}): if it was replaced on purpose, clear the recorded fingerprint or pin the new one`,
    { reason: 'pinMismatch', peerFingerprint: err.peerFingerprint },
  );
}
