/**
 * The error taxonomy of every outbound call (DESIGN.md "Errors"). A connector's check-connection
 * report shows `stage`; users read `message`, which says what to do. Messages carry the host and
 * the status only: never header values, bodies, query strings or proxy credentials.
 */
export type OutboundErrorKind =
  | 'resolve'
  | 'connect'
  | 'tls'
  | 'timeout'
  | 'aborted'
  | 'proxy'
  | 'auth'
  | 'forbidden'
  | 'quota'
  | 'notFound'
  | 'invalid'
  | 'transient'
  | 'permanent'
  | 'tooLarge';

/** Why a TLS connection failed: each has a different fix. */
export type TlsFailureReason = 'untrusted' | 'pinMismatch' | 'clientCertRefused' | 'expired' | 'hostnameMismatch' | 'handshake';

export type OutboundStage = 'resolve' | 'connect' | 'tls' | 'authenticate' | 'authorize' | 'quota' | 'request';

const DEFAULT_STAGE: Record<OutboundErrorKind, OutboundStage> = {
  resolve: 'resolve',
  connect: 'connect',
  proxy: 'connect',
  tls: 'tls',
  timeout: 'request',
  aborted: 'request',
  auth: 'authenticate',
  forbidden: 'authorize',
  quota: 'quota',
  notFound: 'request',
  invalid: 'request',
  transient: 'request',
  permanent: 'request',
  tooLarge: 'request',
};

/** Kinds worth another attempt (for idempotent calls); the client decides whether it retries. */
const RETRYABLE = new Set<OutboundErrorKind>(['connect', 'timeout', 'transient', 'quota']);

export interface OutboundErrorDetails {
  status?: number;
  /** Seconds the server asked us to wait (Retry-After). */
  retryAfterSeconds?: number;
  /** For kind 'tls'. */
  reason?: TlsFailureReason;
  /** Overrides the kind's default stage, e.g. a connect timeout is stage 'connect'. */
  stage?: OutboundStage;
  /** For reason 'pinMismatch': the SHA-256 fingerprint the server presented (public), for trust on first use. */
  peerFingerprint?: string;
}

export class OutboundError extends Error {
  override name = 'OutboundError';
  readonly stage: OutboundStage;
  readonly retryable: boolean;
  readonly status?: number;
  readonly retryAfterSeconds?: number;
  readonly reason?: TlsFailureReason;
  readonly peerFingerprint?: string;

  constructor(
    readonly kind: OutboundErrorKind,
    message: string,
    details: OutboundErrorDetails = {},
  ) {
    super(message);
    this.stage = details.stage ?? DEFAULT_STAGE[kind];
    this.retryable = RETRYABLE.has(kind);
    this.status = details.status;
    this.retryAfterSeconds = details.retryAfterSeconds;
    this.reason = details.reason;
    this.peerFingerprint = details.peerFingerprint;
  }
}

/** The default meaning of an HTTP status (null for success); connectors refine it per product. */
export function classifyHttpStatus(status: number): OutboundErrorKind | null {
  if (status < 400) return null;
  if (status === 401) return 'auth';
  if (status === 403) return 'forbidden';
  if (status === 404 || status === 410) return 'notFound';
  if (status === 407) return 'proxy';
  if (status === 408) return 'timeout';
  if (status === 413) return 'tooLarge';
  if (status === 429) return 'quota';
  if (status === 400 || status === 409 || status === 422) return 'invalid';
  if (status >= 500) return status === 501 || status === 505 ? 'permanent' : 'transient';
  return 'permanent';
}

/** An error for a non-2xx answer, in words that say what to do. */
export function httpError(status: number, host: string, retryAfterSeconds?: number): OutboundError {
  const kind = classifyHttpStatus(status) ?? 'permanent';
  const wait = retryAfterSeconds !== undefined ? ` (it asked to wait ${Math.ceil(retryAfterSeconds)} s)` : '';
  const words: Partial<Record<OutboundErrorKind, string>> = {
    auth: `${host} refused the credentials (HTTP 401): replace the token or password`,
    forbidden: `${host} denied access (HTTP 403): give the account the rights this call needs`,
    notFound: `${host} answered ${status} not found: check the URL and the object's identifier`,
    proxy: `${host} asked for proxy authentication (HTTP 407): check the proxy credentials`,
    timeout: `${host} timed out waiting for the request (HTTP 408): try again`,
    tooLarge: `${host} refused the request as too large (HTTP 413): send less at once`,
    quota: `${host} is rate limiting or out of quota (HTTP 429)${wait}: wait, or lower the request rate`,
    invalid: `${host} rejected the request as invalid (HTTP ${status}): check the parameters`,
    transient: `${host} is failing (HTTP ${status})${wait}: try again later`,
    permanent: `${host} answered HTTP ${status}: the call cannot succeed as sent`,
  };
  return new OutboundError(kind, words[kind] ?? `${host} answered HTTP ${status}`, { status, retryAfterSeconds });
}

const TLS_UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'INVALID_CA',
]);

/** Alerts a server sends about *our* certificate (TLS 1.2, or TLS 1.3 when the alert is read). */
const CLIENT_CERT_ALERT = /ALERT_(CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_UNKNOWN|CERTIFICATE_REVOKED|CERTIFICATE_EXPIRED|UNSUPPORTED_CERTIFICATE|ACCESS_DENIED)/;

const CLOSED = new Set(['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE', 'UND_ERR_CLOSED']);

/** What the client knows about the failed attempt beyond the error itself. */
export interface NetworkContext {
  host: string;
  /** Our own timeout fired (as opposed to the caller's signal). */
  timedOut?: boolean;
  /** The call went through the installation proxy: connection failures are the proxy's. */
  viaProxy?: { host: string };
  /**
   * The connection closed before any answer on a TLS connection whose server had asked for a
   * client certificate: with TLS 1.3 that is how a refused (or missing) client certificate looks,
   * since the server decides after the handshake has completed on our side.
   */
  closedAfterCertificateRequest?: { certificateSent: boolean };
}

interface ErrorShape {
  code?: string;
  name?: string;
  message?: string;
  cause?: ErrorShape;
}

/** Every error code, outermost first: undici and the proxy agent wrap Node's errors in `cause`. */
function codes(err: ErrorShape | undefined): string[] {
  const out: string[] = [];
  for (let e = err, depth = 0; e && depth < 4; e = e.cause, depth++) if (e.code) out.push(e.code);
  return out;
}

/** Maps a network-level failure (undici, Node's net/tls, the proxy) to the taxonomy. */
export function classifyNetworkError(err: unknown, ctx: NetworkContext): OutboundError {
  if (err instanceof OutboundError) return err;
  const e = (err ?? {}) as ErrorShape;
  const all = codes(e);
  const has = (...c: string[]) => all.some((x) => c.includes(x));
  const code = all[all.length - 1] ?? '';
  const message = `${e.message ?? ''} ${e.cause?.message ?? ''}`;
  const { host } = ctx;
  const proxy = ctx.viaProxy?.host;

  if (ctx.timedOut || has('UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT')) {
    const connecting = has('UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT');
    if (connecting && proxy) return new OutboundError('proxy', `the proxy ${proxy} did not accept the connection in time: check that it is running`, { stage: 'connect' });
    return new OutboundError('timeout', connecting
      ? `could not connect to ${host} in time: check that it is up and reachable from xdrhub`
      : `${host} did not answer in time: check that it is up, or raise the timeout`, { stage: connecting ? 'connect' : 'request' });
  }
  const proxyStatus = /Proxy response \((\d+)\)/.exec(message)?.[1];
  if (proxyStatus) {
    const status = Number(proxyStatus);
    // 407 is the standard answer; some proxies (tinyproxy) answer a CONNECT with 401 instead.
    if (status === 407 || status === 401) return new OutboundError('proxy', `the proxy refused our credentials (HTTP ${status}): check the user and password of the configured proxy`, { status });
    return new OutboundError('proxy', `the proxy could not open a tunnel to ${host} (HTTP ${status}): check that the proxy may reach it`, { status });
  }
  if (has('ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL')) {
    if (proxy) return new OutboundError('proxy', `the proxy's name ${proxy} could not be resolved: check the configured proxy address`, { stage: 'resolve' });
    return new OutboundError('resolve', `the name ${host} could not be resolved: check the address`);
  }
  if (has('ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL')) {
    // Through the proxy, we only ever connect to the proxy itself; the target's failures come
    // back as a proxy status.
    if (proxy) return new OutboundError('proxy', `the proxy ${proxy} is not reachable: check that it is running and the configured address`, { stage: 'connect' });
    if (has('ECONNREFUSED')) return new OutboundError('connect', `${host} refused the connection: check the address and port`);
    return new OutboundError('connect', `${host} is unreachable from xdrhub: check routing and firewalls`);
  }
  const untrusted = all.find((c) => TLS_UNTRUSTED.has(c));
  if (untrusted) {
    return new OutboundError('tls', `the certificate of ${host} is not trusted: add its CA certificate or pin its fingerprint`, { reason: 'untrusted' });
  }
  if (has('CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID')) {
    return new OutboundError('tls', `the certificate of ${host} is expired or not yet valid: renew it on the server, or check the clocks`, { reason: 'expired' });
  }
  if (has('ERR_TLS_CERT_ALTNAME_INVALID')) {
    return new OutboundError('tls', `the certificate of ${host} does not name that host: use the name it was issued for, or set the TLS server name`, { reason: 'hostnameMismatch' });
  }
  if (CLIENT_CERT_ALERT.test(code)) {
    return new OutboundError('tls', `${host} refused our client certificate: check that it is configured, issued by a CA the server trusts, and approved there`, { reason: 'clientCertRefused' });
  }
  if (ctx.closedAfterCertificateRequest && all.some((c) => CLOSED.has(c))) {
    const sent = ctx.closedAfterCertificateRequest.certificateSent;
    return new OutboundError('tls', sent
      ? `${host} refused our client certificate: check that it was issued by a CA the server trusts and approved there`
      : `${host} requires a client certificate: configure one for this integration`, { reason: 'clientCertRefused' });
  }
  if (all.some((c) => CLOSED.has(c)) && /before secure TLS connect/.test(message)) {
    // TLS 1.2 servers that dislike our client certificate often just hang up mid-handshake.
    return new OutboundError('tls', `${host} closed the connection during the TLS handshake: if it requires a client certificate, check that ours is configured and trusted there`, { reason: 'handshake' });
  }
  if (has('ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE')) {
    return new OutboundError('tls', `${host} refused the TLS handshake: it may require a client certificate, or accept none of our TLS versions and ciphers`, { reason: 'handshake' });
  }
  if (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || /SSL|TLS/.test(code) || e.name === 'SecureProxyConnectionError') {
    return new OutboundError('tls', `the TLS handshake with ${host} failed (${code || 'secure connection error'})`, { reason: 'handshake' });
  }
  if (all.some((c) => CLOSED.has(c))) {
    return new OutboundError('connect', `the connection to ${host} was closed before it answered: try again; if it persists, check the server`);
  }
  if (e.name === 'AbortError' || has('ABORT_ERR', 'UND_ERR_ABORTED')) return new OutboundError('aborted', `the call to ${host} was cancelled`);
  return new OutboundError('connect', `the call to ${host} failed (${code || 'network error'})`);
}
