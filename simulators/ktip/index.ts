import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerFor, type Kind } from './verdicts.ts';

/**
 * A simulator of Kaspersky OpenTIP and TIP (reference §3.2–3.3) on one loopback HTTP server:
 *   OpenTIP  GET /api/v1/search/{hash|ip|domain|url}?request=<value>
 *   TIP      GET /api/{hash|ip|domain|url}/<percent-encoded value>?format=json[&sections=A,B]
 * Both authenticate with the x-api-key header (401 otherwise). OpenTIP answers 403 once the
 * token's day quota is spent; TIP returns LicenseInfo {DayRequests, DayQuota,
 * TokenExpirationDate} in every answer and 403 with it when over quota; a TIP URL longer than
 * 2,000 characters is 414. TIP requests asking only for the Zone/LicenseInfo sections (Premium
 * status refresh, licence probe) do not count toward the quota [I]. Verdicts are derived from the
 * value (verdicts.ts). Used by tests, benchmarks and the demo; never imported by src/.
 */
export interface KtipSimulatorOptions {
  port?: number;
  /** Delay before every answer. */
  latencyMs?: number;
  /** Counted requests allowed per token per day. Default 1,000. */
  quota?: number;
  /** Valid tokens; default: any token of 8+ characters not starting with "expired" or "invalid". */
  tokens?: string[];
}

export interface SimulatedCall {
  api: 'openTip' | 'tip';
  kind: Kind | null;
  method: string;
  /** The raw path as received (percent-encoding intact), without the query. */
  path: string;
  /** The raw query string as received. */
  query: string;
  /** The looked-up value, decoded. */
  value: string;
  sections: string[];
  apiKey: string | undefined;
  status: number;
  counted: boolean;
  at: number;
}

export interface KtipSimulator {
  url: string;
  port: number;
  calls: {
    /** Every request received, in order. */
    readonly log: SimulatedCall[];
    readonly count: number;
    /** Requests per API path (e.g. "/api/v1/search/domain", "/api/url"). */
    byPath(): Record<string, number>;
    clear(): void;
  };
  setQuota(quota: number): void;
  /** A new day: every token's count goes back to zero. */
  resetQuota(): void;
  setLatency(ms: number): void;
  /** The next `n` requests answer `status` (before authentication), e.g. 503 or 429. */
  failNext(status: number, n?: number): void;
  close(): Promise<void>;
}

const KINDS = new Set<Kind>(['hash', 'ip', 'domain', 'url']);
const HASH = /^([0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64})$/i;
const TOKEN_EXPIRES = '2027-11-28T00:00:00Z';
const FREE_SECTIONS = new Set(['Zone', 'LicenseInfo']);

export async function startKtipSimulator(options: KtipSimulatorOptions = {}): Promise<KtipSimulator> {
  let latencyMs = options.latencyMs ?? 0;
  let quota = options.quota ?? 1000;
  const used = new Map<string, number>();
  const log: SimulatedCall[] = [];
  let failures: { status: number; left: number } | null = null;
  const validToken = (t: string | undefined): t is string =>
    !!t && (options.tokens ? options.tokens.includes(t) : t.length >= 8 && !/^(expired|invalid)/.test(t));

  const server = http.createServer((req, res) => {
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const path = q < 0 ? raw : raw.slice(0, q);
    const query = q < 0 ? '' : raw.slice(q + 1);
    const params = new URLSearchParams(query);
    const apiKey = req.headers['x-api-key'] as string | undefined;
    const call: SimulatedCall = { api: 'tip', kind: null, method: req.method ?? 'GET', path, query, value: '', sections: [], apiKey, status: 0, counted: false, at: Date.now() };
    log.push(call);

    const send = (status: number, body: unknown) => {
      call.status = status;
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      setTimeout(() => {
        res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      }, latencyMs);
    };

    const openTip = /^\/api\/v1\/search\/([a-z]+)$/.exec(path);
    const tip = openTip ? null : /^\/api\/([a-z]+)\/([^/]+)$/.exec(path);
    if (openTip) {
      call.api = 'openTip';
      call.kind = KINDS.has(openTip[1] as Kind) ? (openTip[1] as Kind) : null;
      call.value = params.get('request') ?? '';
    } else if (tip) {
      call.kind = KINDS.has(tip[1] as Kind) ? (tip[1] as Kind) : null;
      try {
        call.value = decodeURIComponent(tip[2]);
      } catch {
        return send(400, { Message: 'Incorrect query' });
      }
      call.sections = (params.get('sections') ?? '').split(',').filter(Boolean);
    }

    if (failures && failures.left > 0) {
      failures.left--;
      return send(failures.status, failures.status === 429 ? 'Too many requests' : 'Service unavailable');
    }
    if (req.method !== 'GET' || !call.kind) return send(404, 'Not found');
    if (!validToken(apiKey)) return send(401, 'Request not processed: user authentication failed');
    if (!call.value || (call.kind === 'hash' && !HASH.test(call.value))) return send(400, 'Request not processed: incorrect query');
    if (call.api === 'tip' && call.kind === 'url' && call.value.length > 2000) return send(414, 'URI Too Long');

    const counts = !(call.api === 'tip' && call.sections.length > 0 && call.sections.every((s) => FREE_SECTIONS.has(s)));
    const spent = used.get(apiKey) ?? 0;
    const license = () => ({ AccessType: 'Commercial', DayRequests: used.get(apiKey) ?? 0, DayQuota: quota, TokenExpirationDate: TOKEN_EXPIRES });
    if (counts && spent >= quota) {
      return call.api === 'openTip' ? send(403, 'Request not processed: quota or request limit exceeded') : send(403, { LicenseInfo: license(), Message: 'Daily quota exceeded' });
    }
    if (counts) {
      used.set(apiKey, spent + 1);
      call.counted = true;
    }
    let body: Record<string, unknown> = answerFor(call.kind, call.kind === 'hash' ? call.value.toLowerCase() : call.value);
    if (call.api === 'tip') {
      if (call.sections.length) body = Object.fromEntries(Object.entries(body).filter(([k]) => call.sections.includes(k)));
      body = { LicenseInfo: license(), ...body };
    }
    send(200, body);
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    calls: {
      log,
      get count() {
        return log.length;
      },
      byPath() {
        const out: Record<string, number> = {};
        for (const c of log) {
          const key = c.api === 'openTip' ? c.path : c.path.replace(/^(\/api\/[a-z]+)\/.*$/, '$1');
          out[key] = (out[key] ?? 0) + 1;
        }
        return out;
      },
      clear() {
        log.length = 0;
      },
    },
    setQuota(n) {
      quota = n;
    },
    resetQuota() {
      used.clear();
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    failNext(status, n = 1) {
      failures = { status, left: n };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
