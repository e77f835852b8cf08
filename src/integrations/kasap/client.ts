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
  private useNoted = false;

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
    // KASAP accepted the token: record its use (it revokes tokens unused for 6 months). The
    // framework writes at most once a day; one note per client is enough.
    if (res.status >= 200 && res.status < 300 && !this.useNoted) {
      this.useNoted = true;
      await this.ctx.noteSecretUsed?.('token');
    }
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
/** xdrhub warns when the token has not been used for this many months. */
export const TOKEN_UNUSED_WARN_MONTHS = 5;

export interface TokenAge {
  /**
   * What the age counts from: the issue date the user entered ("Token issued on"), else the
   * time the token was set in xdrhub (the token cannot be younger), else nothing known.
   */
  basis: 'issued' | 'set' | null;
  /** The date the age counts from (YYYY-MM-DD): the issue date or the set date. */
  issuedAt: string | null;
  /** Whole months since that date; null when nothing is known. With basis "set", at least this old. */
  ageMonths: number | null;
  /** With basis "set", the latest it can expire (a token issued before it was set expires earlier). */
  expiresAt: string | null;
  /** Words for the check message, when the token nears or passed its end; null otherwise. */
  warning: string | null;
}

function addMonths(d: Date, months: number): Date {
  const out = new Date(d);
  out.setUTCMonth(out.getUTCMonth() + months);
  return out;
}

/** Whole calendar months from `from` to `to` (a month is complete on the same day of the month). */
function monthsBetween(from: Date, to: Date): number {
  let months = (to.getUTCFullYear() - from.getUTCFullYear()) * 12 + to.getUTCMonth() - from.getUTCMonth();
  if (to.getUTCDate() < from.getUTCDate()) months--;
  return months;
}

const day = (d: Date) => d.toISOString().slice(0, 10);

/**
 * The token's age: from the configured issue date when entered, else from when the token was set
 * in xdrhub (`setAt`, epoch ms: ConnectorContext.secretsSetAt.token). Warns from month 11.
 */
export function tokenAge(issuedAt: string | undefined, now: Date = new Date(), setAt?: number | null): TokenAge {
  let basis: TokenAge['basis'] = null;
  let from: Date | null = null;
  if (issuedAt) {
    const issued = new Date(`${issuedAt.slice(0, 10)}T00:00:00Z`);
    if (Number.isNaN(issued.getTime())) return { basis: null, issuedAt, ageMonths: null, expiresAt: null, warning: null };
    basis = 'issued';
    from = issued;
  } else if (setAt != null && Number.isFinite(setAt)) {
    basis = 'set';
    from = new Date(setAt);
  }
  if (!from || !basis) return { basis: null, issuedAt: null, ageMonths: null, expiresAt: null, warning: null };
  const months = monthsBetween(from, now);
  const expires = addMonths(from, TOKEN_LIFETIME_MONTHS);
  const expiresAt = day(expires);
  const since = basis === 'issued' ? `(issued on ${day(from)})` : `(set in xdrhub on ${day(from)}; KASAP's issue date not entered)`;
  const after = basis === 'issued' ? 'update "Token issued on"' : 'enter its issue date in "Token issued on"';
  let warning: string | null = null;
  if (now >= expires) {
    warning = `the token ${since} ${basis === 'issued' ? `expired on ${expiresAt}` : `has expired, on ${expiresAt} at the latest`} (KASAP tokens last ${TOKEN_LIFETIME_MONTHS} months): ${REMEDY} (Reissue token), replace it here and ${after}`;
  } else if (months >= TOKEN_WARN_FROM_MONTH - 1) {
    // From the first day of month 11 (10 full months passed).
    const days = Math.ceil((expires.getTime() - now.getTime()) / 86_400_000);
    const when = basis === 'issued' ? `on ${expiresAt}, in ${days} day(s)` : `on ${expiresAt} at the latest, in ${days} day(s) or fewer`;
    warning = `the token ${since} expires ${when} (KASAP tokens last ${TOKEN_LIFETIME_MONTHS} months): reissue it in KASAP → Import and sync → OpenAPI before then, replace it here and ${after}`;
  }
  return { basis, issuedAt: day(from), ageMonths: Math.max(0, months), expiresAt, warning };
}

export interface TokenUse {
  /** Last successful call xdrhub recorded with this token (YYYY-MM-DD), recorded at most daily; null: none since it was set. */
  lastUsedAt: string | null;
  /** What the idle time counts from: the last use, else the time the token was set in xdrhub. */
  idleSince: string | null;
  /** Whole months since then; null when neither time is known. */
  idleMonths: number | null;
  /** When KASAP revokes the token if it stays unused (YYYY-MM-DD). */
  revokedIfUnusedBy: string | null;
  /** From 5 months unused: words saying so and what to do; null otherwise. */
  warning: string | null;
}

/**
 * How long the token has gone unused by xdrhub: from the last recorded use (`usedAt`,
 * ConnectorContext.secretsUsedAt.token), else from when it was set (`setAt`). KASAP revokes tokens
 * unused for 6 months; xdrhub warns from 5. Other systems using the same token are not seen.
 */
export function tokenUse(usedAt: number | null | undefined, setAt: number | null | undefined, now: Date = new Date()): TokenUse {
  const used = usedAt != null && Number.isFinite(usedAt) ? new Date(usedAt) : null;
  const set = setAt != null && Number.isFinite(setAt) ? new Date(setAt) : null;
  const from = used ?? set;
  if (!from) return { lastUsedAt: null, idleSince: null, idleMonths: null, revokedIfUnusedBy: null, warning: null };
  const months = monthsBetween(from, now);
  const revokeBy = addMonths(from, TOKEN_UNUSED_REVOKE_MONTHS);
  const since = used ? `xdrhub last used the token on ${day(used)}` : `xdrhub has not used the token since it was set on ${day(from)}`;
  let warning: string | null = null;
  if (now >= revokeBy) {
    warning = `${since}, ${months} month(s) ago: KASAP revokes tokens unused for ${TOKEN_UNUSED_REVOKE_MONTHS} months, so it may be revoked already. If calls are refused, ${REMEDY} (New token) and replace it here`;
  } else if (months >= TOKEN_UNUSED_WARN_MONTHS) {
    warning = `${since}, ${months} month(s) ago: KASAP revokes tokens unused for ${TOKEN_UNUSED_REVOKE_MONTHS} months, on about ${day(revokeBy)} for this one. Run Check connection or any KASAP action before then (each successful call counts as use)`;
  }
  return { lastUsedAt: used ? day(used) : null, idleSince: day(from), idleMonths: Math.max(0, months), revokedIfUnusedBy: day(revokeBy), warning };
}
