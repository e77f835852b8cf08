import type { ConnectorContext } from '../framework/contract.ts';
import { OutboundError, type OutboundResponse } from '../../platform/outbound/index.ts';
import type { KasapConfig, KasapSecrets } from './settings.ts';

/**
 * EVERY detail of the KASAP OpenAPI lives in this file: paths, the Bearer header, request and
 * response bodies, error codes and batch size. KASAP publishes the three paths and the token
 * rights (reference §2.2/§2.4) but not the bodies; the JSON below is xdrhub's design, written
 * down in docs/connectors/kasap.md and served by simulators/kasap. When the real bodies are
 * known, correct them here and nowhere else.
 *
 *   GET   /openapi/v1/groups          → { groups: [{ id, name, courses: [{ id, name }] }] }
 *   POST  /openapi/v1/report          { emails: [≤ 100] } → { users: [KasapUser], notFound: [email] }
 *   PATCH /openapi/v1/user/:userid    { groupId, notifyEmail } → { userId, groupId, previousGroupId }
 *   errors                            { error: { code, message } } — 401 token_expired | token_revoked
 *                                     | token_invalid, 403 token_missing_right, 404 user_not_found,
 *                                     422 group_not_found, 429 with Retry-After
 */
export const KASAP_PATHS = {
  groups: '/openapi/v1/groups',
  report: '/openapi/v1/report',
  user: (userId: string) => `/openapi/v1/user/${encodeURIComponent(userId)}`,
} as const;

/** E-mails per report call: larger lists are split into calls of this size. */
export const REPORT_BATCH = 100;

/** The token rights xdrhub needs, as KASAP's token form names them. */
export const TOKEN_RIGHTS = ['GET /openapi/v1/groups', 'POST /openapi/v1/report', 'PATCH /openapi/v1/user/:userid'];

export interface KasapCourse {
  id: string;
  name: string;
  status: 'completed' | 'inProgress' | 'planned';
  /** Percent, 0–100. */
  progress: number;
  completedAt: string | null;
}

export interface KasapUser {
  userId: string;
  email: string;
  fullName: string | null;
  group: { id: string; name: string } | null;
  courses: KasapCourse[];
  certificates: { id: string; course: string; issuedAt: string }[];
}

export interface KasapGroup {
  id: string;
  name: string;
  courses: { id: string; name: string }[];
}

type Ctx = ConnectorContext<KasapConfig, KasapSecrets>;

const REMEDY = 'A KASAP company administrator issues tokens in KASAP → Import and sync → OpenAPI';

/** KASAP's answer in words that say what to do. Never includes the token. */
function kasapError(res: OutboundResponse, what: string): OutboundError {
  const body = (res.body ?? {}) as { error?: { code?: unknown; right?: unknown } };
  const code = typeof body.error?.code === 'string' ? body.error.code : '';
  const retry = Number(res.headers['retry-after']);
  const retryAfterSeconds = Number.isFinite(retry) && retry >= 0 ? retry : undefined;
  switch (res.status) {
    case 401:
      if (code === 'token_expired') return new OutboundError('auth', `KASAP refused the token for ${what}: it has expired (tokens last 12 months). ${REMEDY} (Reissue token) and replace it here`, { status: 401 });
      if (code === 'token_revoked') return new OutboundError('auth', `KASAP refused the token for ${what}: it was revoked (KASAP revokes tokens unused for 6 months, or an administrator revoked it). ${REMEDY} (New token) and replace it here`, { status: 401 });
      return new OutboundError('auth', `KASAP refused the token for ${what} (HTTP 401): check that the whole token was copied, or issue a new one. ${REMEDY}`, { status: 401 });
    case 403: {
      const right = typeof body.error?.right === 'string' ? body.error.right : what;
      return new OutboundError('forbidden', `the KASAP token lacks the right for ${right}: reissue it with the rights ${TOKEN_RIGHTS.join(', ')}. ${REMEDY}`, { status: 403 });
    }
    case 429:
      return new OutboundError('quota', `KASAP is rate limiting ${what} (HTTP 429)${retryAfterSeconds !== undefined ? `; it asked to wait ${retryAfterSeconds} s` : ''}: try again later`, { status: 429, retryAfterSeconds });
    default:
      if (res.status >= 500) return new OutboundError('transient', `KASAP failed ${what} (HTTP ${res.status}): try again later`, { status: res.status });
      return new OutboundError('permanent', `KASAP answered HTTP ${res.status}${code ? ` (${code})` : ''} to ${what}: check the OpenAPI URL`, { status: res.status });
  }
}

function malformed(what: string): OutboundError {
  return new OutboundError('permanent', `KASAP's answer to ${what} is not in the expected form: check the OpenAPI URL (docs/connectors/kasap.md describes the contract)`);
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null);

function parseUser(u: unknown): KasapUser | null {
  const o = (u ?? {}) as Record<string, any>;
  const userId = str(o.userId);
  const email = str(o.email);
  if (!userId || !email) return null;
  return {
    userId,
    email,
    fullName: str(o.fullName),
    group: o.group && str(o.group.id) ? { id: str(o.group.id)!, name: str(o.group.name) ?? '' } : null,
    courses: (Array.isArray(o.courses) ? o.courses : []).map((c: any) => ({
      id: str(c?.id) ?? '',
      name: str(c?.name) ?? '',
      status: c?.status === 'completed' || c?.status === 'inProgress' ? c.status : 'planned',
      progress: Math.max(0, Math.min(100, Number(c?.progress) || 0)),
      completedAt: str(c?.completedAt),
    })),
    certificates: (Array.isArray(o.certificates) ? o.certificates : []).map((c: any) => ({ id: str(c?.id) ?? '', course: str(c?.course) ?? '', issuedAt: str(c?.issuedAt) ?? '' })),
  };
}

export class KasapClient {
  private readonly base: string;
  private readonly token: string;

  constructor(private readonly ctx: Ctx) {
    this.base = ctx.config.openapiUrl.replace(/\/+$/, '').replace(/\/openapi\/v1$/, '');
    const token = ctx.secrets.token;
    if (!token) throw new OutboundError('auth', `no KASAP token is set: ${REMEDY} with the rights ${TOKEN_RIGHTS.join(', ')} and paste it here`);
    this.token = token;
  }

  private async call(method: 'GET' | 'POST' | 'PATCH', path: string, what: string, json?: unknown): Promise<OutboundResponse> {
    const res = await this.ctx.http.request({
      method,
      url: `${this.base}${path}`,
      headers: { authorization: `Bearer ${this.token}`, accept: 'application/json', 'user-agent': 'xdrhub-kasap' },
      json,
      timeoutMs: this.ctx.config.timeoutSeconds * 1000,
      tls: this.ctx.config.caCertificate ? { ca: this.ctx.config.caCertificate } : undefined,
      // Groups and report are reads; setting a group to a value is idempotent too.
      idempotent: true,
      retry: { retries: 2, minDelayMs: 200, maxDelayMs: 2_000 },
      responseType: 'json',
      maxResponseBytes: 16 * 1024 * 1024,
      signal: this.ctx.signal,
    });
    return res;
  }

  async groups(): Promise<KasapGroup[]> {
    const what = `GET ${KASAP_PATHS.groups}`;
    const res = await this.call('GET', KASAP_PATHS.groups, what);
    if (res.status !== 200) throw kasapError(res, what);
    const groups = (res.body as { groups?: unknown })?.groups;
    if (!Array.isArray(groups)) throw malformed(what);
    return groups.map((g: any) => ({
      id: str(g?.id) ?? '',
      name: str(g?.name) ?? '',
      courses: (Array.isArray(g?.courses) ? g.courses : []).map((c: any) => ({ id: str(c?.id) ?? '', name: str(c?.name) ?? '' })),
    }));
  }

  /** One report call (≤ REPORT_BATCH e-mails). An empty list proves the report right without reading anyone. */
  private async reportBatch(emails: string[]): Promise<{ users: KasapUser[]; notFound: string[] }> {
    const what = `POST ${KASAP_PATHS.report}`;
    const res = await this.call('POST', KASAP_PATHS.report, what, { emails });
    if (res.status !== 200) throw kasapError(res, what);
    const body = (res.body ?? {}) as { users?: unknown; notFound?: unknown };
    if (!Array.isArray(body.users)) throw malformed(what);
    const users = body.users.map(parseUser).filter((u): u is KasapUser => u !== null);
    return { users, notFound: Array.isArray(body.notFound) ? body.notFound.map(String) : [] };
  }

  /**
   * Training facts for many accounts, REPORT_BATCH e-mails per call. Matching is by e-mail,
   * case-insensitively; the result has one entry per distinct e-mail asked (null: not in KASAP).
   */
  async report(emails: string[]): Promise<Map<string, KasapUser | null>> {
    const wanted = [...new Set(emails.map((e) => e.trim().toLowerCase()).filter(Boolean))];
    const out = new Map<string, KasapUser | null>(wanted.map((e) => [e, null]));
    for (let i = 0; i < wanted.length; i += REPORT_BATCH) {
      const { users } = await this.reportBatch(wanted.slice(i, i + REPORT_BATCH));
      for (const u of users) if (out.has(u.email.toLowerCase())) out.set(u.email.toLowerCase(), u);
    }
    return out;
  }

  async probeReport(): Promise<void> {
    await this.reportBatch([]);
  }

  /**
   * Moves a user to a learning group; KASAP assigns that group's courses, recalculates the
   * study plan and notifies the administrator e-mail. Returns the group KASAP says it left.
   */
  async setGroup(userId: string, groupId: string): Promise<{ previousGroupId: string | null }> {
    const what = `PATCH ${KASAP_PATHS.user(':userid')}`;
    const res = await this.call('PATCH', KASAP_PATHS.user(userId), what, { groupId, notifyEmail: this.ctx.config.adminEmail });
    const code = (res.body as { error?: { code?: unknown } })?.error?.code;
    if (res.status === 404 && code === 'user_not_found') throw new OutboundError('notFound', `KASAP has no user ${userId} any more: run the look-up again`, { status: 404 });
    if (res.status === 422 && code === 'group_not_found') throw new OutboundError('invalid', `KASAP has no learning group "${groupId}": pick one from the list of groups`, { status: 422 });
    if (res.status !== 200) throw kasapError(res, what);
    return { previousGroupId: str((res.body as { previousGroupId?: unknown })?.previousGroupId) };
  }
}

/** KASAP's token rules (reference §2.2): valid 12 months, revoked after 6 months unused. */
export const TOKEN_LIFETIME_MONTHS = 12;
export const TOKEN_UNUSED_REVOKE_MONTHS = 6;
/** xdrhub warns from this month of the token's life. */
export const TOKEN_WARN_FROM_MONTH = 11;

export interface TokenAge {
  issuedAt: string | null;
  /** Whole months since issue; null when the issue date is unknown. */
  ageMonths: number | null;
  expiresAt: string | null;
  /** Words for the check message, when the token nears or passed its end; null otherwise. */
  warning: string | null;
}

function addMonths(d: Date, months: number): Date {
  const out = new Date(d);
  out.setUTCMonth(out.getUTCMonth() + months);
  return out;
}

/** The token's age from the configured issue date (the framework only knows when a secret changed). */
export function tokenAge(issuedAt: string | undefined, now: Date = new Date()): TokenAge {
  if (!issuedAt) return { issuedAt: null, ageMonths: null, expiresAt: null, warning: null };
  const issued = new Date(`${issuedAt.slice(0, 10)}T00:00:00Z`);
  if (Number.isNaN(issued.getTime())) return { issuedAt, ageMonths: null, expiresAt: null, warning: null };
  let months = (now.getUTCFullYear() - issued.getUTCFullYear()) * 12 + now.getUTCMonth() - issued.getUTCMonth();
  if (now.getUTCDate() < issued.getUTCDate()) months--;
  const expires = addMonths(issued, TOKEN_LIFETIME_MONTHS);
  const expiresAt = expires.toISOString().slice(0, 10);
  let warning: string | null = null;
  if (now >= expires) {
    warning = `the token was issued on ${issuedAt.slice(0, 10)} and expired on ${expiresAt} (KASAP tokens last ${TOKEN_LIFETIME_MONTHS} months): ${REMEDY} (Reissue token), replace it here and update "Token issued on"`;
  } else if (months >= TOKEN_WARN_FROM_MONTH - 1) {
    // From the first day of month 11 (10 full months passed).
    const days = Math.ceil((expires.getTime() - now.getTime()) / 86_400_000);
    warning = `the token expires on ${expiresAt}, in ${days} day(s) (KASAP tokens last ${TOKEN_LIFETIME_MONTHS} months): reissue it in KASAP → Import and sync → OpenAPI before then, replace it here and update "Token issued on"`;
  }
  return { issuedAt: issuedAt.slice(0, 10), ageMonths: Math.max(0, months), expiresAt, warning };
}
