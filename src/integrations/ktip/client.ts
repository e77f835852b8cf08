import { createHash } from 'node:crypto';
import type { CheckStage, ConnectorContext, EnrichAnswer, EnrichmentResult, LicenseFacts } from '../framework/contract.ts';
import { OutboundError } from '../../platform/outbound/index.ts';
import { CircuitBreakers } from './breaker.ts';
import { licenseOf, toEnrichment } from './mapping.ts';
import { TIP_MAX_URL_LENGTH, portalUrlFor, routeFor, type EnrichType } from './routing.ts';
import { SERVICE_TITLES, baseUrlOf, type KtipConfig, type KtipSecrets, type KtipService } from './settings.ts';

/**
 * The HTTP client of OpenTIP and TIP: the x-api-key header, the documented paths, status codes
 * turned into words that say what to do, bounded retries with backoff and jitter (through the
 * outbound client) and a circuit breaker per credential. Messages never carry the token.
 */
export type KtipErrorKind = 'auth' | 'quota' | 'forbidden' | 'invalid' | 'tooLong' | 'notFound' | 'unavailable' | 'network' | 'circuitOpen';

export class KtipError extends Error {
  override name = 'KtipError';
  constructor(
    readonly kind: KtipErrorKind,
    message: string,
    readonly stage: CheckStage,
    readonly extra: { status?: number; quotaExhaustedUntil?: number; retryAt?: number } = {},
  ) {
    super(message);
  }
  /** Read by the enrichment service: no call with this credential can succeed before then. */
  get quotaExhaustedUntil(): number | undefined {
    return this.extra.quotaExhaustedUntil;
  }
}

/** Shared by every instance in the process, keyed by service and credential fingerprint. */
export const breakers = new CircuitBreakers({ threshold: 5, coolDownMs: 30_000 });

const RETRY = { retries: 2, minDelayMs: 150, maxDelayMs: 2_000, maxRetryAfterMs: 10_000 };

/** OpenTIP publishes no reset time for its daily limit [I]: assume the next UTC midnight. */
export function nextUtcMidnight(at: number): number {
  const d = new Date(at);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
}

export function breakerKey(service: KtipService, token: string): string {
  return `${service}:${createHash('sha256').update(`xdrhub-ktip-breaker\0${token}`).digest('hex').slice(0, 32)}`;
}

type Ctx = ConnectorContext<KtipConfig, KtipSecrets>;

export class KtipClient {
  private readonly service: KtipService;
  private readonly base: string;
  private readonly title: string;
  private readonly token: string;

  constructor(
    private readonly ctx: Ctx,
    private readonly clock: () => number = Date.now,
  ) {
    this.service = ctx.config.service;
    this.base = baseUrlOf(ctx.config);
    this.title = SERVICE_TITLES[this.service];
    const token = ctx.secrets.token;
    if (!token) throw new KtipError('auth', `${this.title}: no token is set: add one`, 'config');
    this.token = token;
  }

  /** The full lookup (fills Enrichment; spends quota). Premium also yields the Status update. */
  async lookup(type: EnrichType, value: string): Promise<EnrichAnswer> {
    this.assertUrlLength(type, value);
    const body = await this.get(type, value);
    const fetchedAt = this.clock();
    const enrichment = this.toResult(type, value, body, fetchedAt);
    return {
      enrichment,
      statusUpdate: this.service === 'tipPremium' ? { ...enrichment, keyFacts: {} } : undefined,
      license: licenseOf(body),
    };
  }

  /**
   * Premium's reputation refresh: only the Zone section [I: reference §3.1 "quota-free status
   * lookups"], which does not count toward the day's requests.
   */
  async status(type: EnrichType, value: string): Promise<EnrichmentResult | null> {
    if (this.service !== 'tipPremium') return null;
    this.assertUrlLength(type, value);
    const body = await this.get(type, value, ['Zone']);
    return { ...this.toResult(type, value, body, this.clock()), keyFacts: {} };
  }

  /** Check connection: one authenticated lookup of a well-known domain; TIP reports its licence with it. */
  async probe(): Promise<{ license?: LicenseFacts }> {
    const body = await this.get('domain', 'kaspersky.com', this.service === 'openTip' ? undefined : ['LicenseInfo']);
    return { license: licenseOf(body) };
  }

  private toResult(type: EnrichType, value: string, body: unknown, fetchedAt: number): EnrichmentResult {
    const json = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
    return toEnrichment({ type, body: json, source: this.title, fetchedAt, portalUrl: portalUrlFor(this.service, this.base, value) });
  }

  private assertUrlLength(type: EnrichType, value: string): void {
    // TIP documents HTTP 414 for longer URLs: refuse before spending a request on it.
    if (type === 'url' && this.service !== 'openTip' && value.length > TIP_MAX_URL_LENGTH) {
      throw new KtipError('tooLong', `${this.title} does not look up URLs longer than ${TIP_MAX_URL_LENGTH} characters (HTTP 414): enrich its domain instead`, 'request', { status: 414 });
    }
  }

  private async get(type: EnrichType, value: string, sections?: string[]): Promise<unknown> {
    const key = breakerKey(this.service, this.token);
    const blocked = breakers.blockedUntil(key);
    if (blocked !== null) {
      throw new KtipError('circuitOpen', `${this.title} kept failing: calls are paused until ${new Date(blocked).toISOString()}`, 'request', { retryAt: blocked });
    }
    const route = routeFor(this.service, this.base, type, value, sections);
    let res;
    try {
      res = await this.ctx.http.request<unknown>({
        method: 'GET',
        url: route.url,
        query: route.query,
        headers: { 'x-api-key': this.token, accept: 'application/json', 'user-agent': 'xdrhub-ktip' },
        timeoutMs: (this.ctx.config.timeoutSeconds ?? 20) * 1000,
        retry: RETRY,
        maxResponseBytes: 8 * 1024 * 1024,
      });
    } catch (err) {
      if (err instanceof OutboundError) {
        // Our own cancellation and proxy misconfiguration say nothing about the service.
        if (err.kind === 'aborted' || err.kind === 'proxy' || err.kind === 'invalid') breakers.neutral(key);
        else breakers.failure(key);
        throw new KtipError('network', `${this.title}: ${err.message}`, err.stage);
      }
      throw err;
    }
    const { status, body } = res;
    if (status >= 200 && status < 300) {
      breakers.success(key);
      return body;
    }
    if (status === 429 || status >= 500) breakers.failure(key);
    else breakers.neutral(key);
    throw this.httpFailure(status, body);
  }

  private httpFailure(status: number, body: unknown): KtipError {
    const t = this.title;
    if (status === 401) return new KtipError('auth', `${t}: token invalid or expired: replace it`, 'authenticate', { status });
    if (status === 403) {
      const license = licenseOf(body);
      const quotaWords = /quota|limit/i.test(typeof body === 'string' ? body : JSON.stringify(body ?? ''));
      const overLicence = license?.dayQuota !== undefined && license.dayRequests !== undefined && license.dayRequests >= license.dayQuota;
      // OpenTIP answers 403 for its request limit (reference §3.2); TIP says so in LicenseInfo.
      if (this.service === 'openTip' || quotaWords || overLicence) {
        const until = nextUtcMidnight(this.clock());
        return new KtipError('quota', `${t}: quota exhausted until ${new Date(until).toISOString()}`, 'quota', { status, quotaExhaustedUntil: until });
      }
      return new KtipError('forbidden', `${t} denied access (HTTP 403): accept the portal's terms in a browser and check the token's rights`, 'authorize', { status });
    }
    if (status === 400) return new KtipError('invalid', `${t} rejected the value as invalid (HTTP 400)`, 'request', { status });
    if (status === 404) return new KtipError('notFound', `${t} has no record of this value (HTTP 404)`, 'request', { status });
    if (status === 414) return new KtipError('tooLong', `${t} refused the value as too long (HTTP 414): enrich its domain instead`, 'request', { status });
    if (status === 429) return new KtipError('unavailable', `${t} is rate limiting (HTTP 429): try again later`, 'quota', { status });
    return new KtipError('unavailable', `${t} is failing (HTTP ${status}): try again later`, 'request', { status });
  }
}
