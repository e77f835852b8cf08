/**
 * The error taxonomy of every outbound call (DESIGN.md "Errors"). Messages say what to do and
 * never carry header values, bodies or proxy credentials.
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

export type OutboundStage = 'resolve' | 'connect' | 'tls' | 'authenticate' | 'authorize' | 'quota' | 'request';

const STAGE: Record<OutboundErrorKind, OutboundStage> = {
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

const RETRYABLE = new Set<OutboundErrorKind>(['connect', 'timeout', 'transient', 'quota']);

export class OutboundError extends Error {
  override name = 'OutboundError';
  readonly stage: OutboundStage;
  readonly retryable: boolean;
  constructor(
    readonly kind: OutboundErrorKind,
    message: string,
    readonly status?: number,
    /** Seconds the server asked us to wait (Retry-After). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.stage = STAGE[kind];
    this.retryable = RETRYABLE.has(kind);
  }
}

/** The default meaning of an HTTP status; connectors refine it with the product's semantics. */
export function classifyHttpStatus(status: number): OutboundErrorKind | null {
  if (status < 400) return null;
  if (status === 401) return 'auth';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'notFound';
  if (status === 408) return 'timeout';
  if (status === 429) return 'quota';
  if (status === 400 || status === 409 || status === 422) return 'invalid';
  if (status === 502 || status === 503 || status === 504 || status === 500) return 'transient';
  return 'permanent';
}

export function httpError(status: number, host: string, retryAfterSeconds?: number): OutboundError {
  const kind = classifyHttpStatus(status) ?? 'permanent';
  const words: Record<string, string> = {
    auth: `${host} refused the credentials (HTTP 401): replace the token or password`,
    forbidden: `${host} denied access (HTTP 403): check the account's rights`,
    notFound: `${host} answered 404 not found: check the URL`,
    quota: `${host} is rate limiting or out of quota (HTTP 429): wait and try again`,
    invalid: `${host} rejected the request (HTTP ${status})`,
    transient: `${host} is failing (HTTP ${status}): try again later`,
    timeout: `${host} timed out (HTTP ${status})`,
    permanent: `${host} answered HTTP ${status}`,
  };
  return new OutboundError(kind, words[kind] ?? `${host} answered HTTP ${status}`, status, retryAfterSeconds);
}

const TLS_UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_UNTRUSTED',
]);

/** Maps a network-level failure (undici, Node's net/tls) to the taxonomy. */
export function classifyNetworkError(err: unknown, host: string, timedOut: boolean, overTls = false): OutboundError {
  if (err instanceof OutboundError) return err;
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e?.cause?.code ?? e?.code ?? '';
  const message = `${e?.message ?? ''} ${e?.cause?.message ?? ''}`;
  if (timedOut || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new OutboundError('timeout', `${host} did not answer in time: check that it is up and reachable, or raise the timeout`);
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') {
    return new OutboundError('resolve', `the name ${host} could not be resolved: check the address`);
  }
  if (/Proxy response \((\d+)\)/.test(message)) {
    const status = /Proxy response \((\d+)\)/.exec(message)![1];
    return new OutboundError('proxy', status === '407' ? 'the proxy requires authentication (HTTP 407): check the proxy credentials in XDRHUB_PROXY_URL' : `the proxy refused the connection (HTTP ${status})`);
  }
  if (TLS_UNTRUSTED.has(code)) {
    return new OutboundError('tls', `the certificate of ${host} is not trusted: add its CA certificate or pin its fingerprint`);
  }
  if (code === 'CERT_HAS_EXPIRED') return new OutboundError('tls', `the certificate of ${host} has expired`);
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return new OutboundError('tls', `the certificate of ${host} does not name that host: use the name it was issued for`);
  if (/ALERT_CERTIFICATE_REQUIRED|ALERT_BAD_CERTIFICATE|ALERT_UNKNOWN_CA|ALERT_CERTIFICATE_UNKNOWN|ALERT_ACCESS_DENIED/.test(code)) {
    return new OutboundError('tls', `${host} refused the client certificate: check that it was approved on the server`);
  }
  if (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || /SSL|TLS/.test(code)) {
    return new OutboundError('tls', `the TLS handshake with ${host} failed (${code})`);
  }
  if (code === 'ECONNREFUSED') return new OutboundError('connect', `${host} refused the connection: check the address and port`);
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return new OutboundError('connect', `${host} is unreachable from xdrhub: check routing and firewalls`);
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE' || code === 'UND_ERR_CLOSED') {
    // With TLS 1.3 a server that refuses the client certificate just closes after the handshake.
    const hint = overTls ? ' (if the server requires a client certificate, it may have refused ours)' : '';
    return new OutboundError('connect', `the connection to ${host} was closed unexpectedly${hint}`);
  }
  if ((e as Error)?.name === 'AbortError' || code === 'ABORT_ERR') return new OutboundError('aborted', `the call to ${host} was cancelled`);
  return new OutboundError('connect', `the call to ${host} failed (${code || 'network error'})`);
}
