import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

/**
 * A simulator of the KASAP OpenAPI as xdrhub's contract designs it (docs/connectors/kasap.md;
 * the client is src/integrations/kasap/client.ts):
 *   GET   /openapi/v1/groups         → { groups: [{ id, name, courses: [{ id, name }] }] }
 *   POST  /openapi/v1/report         { emails: [≤ 100] } → { users: [...], notFound: [...] }
 *   PATCH /openapi/v1/user/:userid   { groupId, notifyEmail } → { userId, groupId, previousGroupId }
 * Bearer tokens have a state: valid, expired (401 token_expired), revoked (401 token_revoked),
 * or valid but missing a right (403 token_missing_right). Knobs: latency and the next N answers'
 * status. Users are matched by e-mail, case-insensitively; a group change replaces the user's
 * planned courses with the new group's. Used by tests and benchmarks; never imported by src/.
 */
export type TokenState = 'valid' | 'expired' | 'revoked';
export type Right = 'groups' | 'report' | 'user';

export interface SimCourseProgress {
  courseId: string;
  status: 'completed' | 'inProgress' | 'planned';
  progress: number;
  completedAt?: string;
}

export interface SimUser {
  userId: string;
  email: string;
  fullName: string;
  groupId: string | null;
  courses: SimCourseProgress[];
  certificates: { id: string; courseId: string; issuedAt: string }[];
}

export interface SimGroup {
  id: string;
  name: string;
  courses: { id: string; name: string }[];
}

export interface KasapSimulatorOptions {
  port?: number;
  tls?: { cert: string; key: string };
  latencyMs?: number;
  /** Largest accepted report batch. Default 100. */
  maxBatch?: number;
}

export interface KasapSimCall {
  method: string;
  path: string;
  authorization: string | undefined;
  body: unknown;
  status: number;
}

const RIGHT_NAMES: Record<Right, string> = { groups: 'GET /openapi/v1/groups', report: 'POST /openapi/v1/report', user: 'PATCH /openapi/v1/user/:userid' };

export function defaultGroups(): SimGroup[] {
  return [
    { id: 'grp-beginners', name: 'Beginners', courses: [{ id: 'c-email', name: 'Email security' }, { id: 'c-passwords', name: 'Passwords and accounts' }] },
    { id: 'grp-advanced', name: 'Advanced', courses: [{ id: 'c-web', name: 'Web browsing' }, { id: 'c-social', name: 'Social engineering' }] },
    { id: 'grp-remediation', name: 'Phishing remediation', courses: [{ id: 'c-phishing', name: 'Recognizing phishing' }] },
  ];
}

export function startKasapSimulator(opts: KasapSimulatorOptions = {}) {
  const groups = new Map<string, SimGroup>(defaultGroups().map((g) => [g.id, g]));
  const users = new Map<string, SimUser>();
  const tokens = new Map<string, { state: TokenState; rights: Set<Right> }>();
  const calls: KasapSimCall[] = [];
  const notifications: { to: string; userId: string; groupId: string }[] = [];
  let latencyMs = opts.latencyMs ?? 0;
  let failNext: { status: number; n: number } = { status: 0, n: 0 };
  const maxBatch = opts.maxBatch ?? 100;
  let nextUser = 1;

  const userView = (u: SimUser) => {
    const g = u.groupId ? groups.get(u.groupId) : undefined;
    const courseName = (id: string) => [...groups.values()].flatMap((x) => x.courses).find((c) => c.id === id)?.name ?? id;
    return {
      userId: u.userId,
      email: u.email,
      fullName: u.fullName,
      group: g ? { id: g.id, name: g.name } : null,
      courses: u.courses.map((c) => ({ id: c.courseId, name: courseName(c.courseId), status: c.status, progress: c.progress, completedAt: c.completedAt ?? null })),
      certificates: u.certificates.map((c) => ({ id: c.id, course: courseName(c.courseId), issuedAt: c.issuedAt })),
    };
  };

  function handle(method: string, path: string, auth: string | undefined, body: any): { status: number; json?: unknown; headers?: Record<string, string> } {
    if (failNext.n > 0) {
      failNext.n--;
      return { status: failNext.status, json: { error: { code: 'simulated_failure', message: 'simulated' } }, headers: failNext.status === 429 ? { 'retry-after': '1' } : {} };
    }
    const right: Right | null =
      method === 'GET' && path === '/openapi/v1/groups' ? 'groups' : method === 'POST' && path === '/openapi/v1/report' ? 'report' : method === 'PATCH' && /^\/openapi\/v1\/user\/[^/]+$/.test(path) ? 'user' : null;
    if (!right) return { status: 404, json: { error: { code: 'not_found', message: 'no such method' } } };
    const token = /^Bearer (.+)$/.exec(auth ?? '')?.[1];
    const t = token ? tokens.get(token) : undefined;
    if (!t) return { status: 401, json: { error: { code: 'token_invalid', message: 'unknown token' } } };
    if (t.state === 'expired') return { status: 401, json: { error: { code: 'token_expired', message: 'the token has expired' } } };
    if (t.state === 'revoked') return { status: 401, json: { error: { code: 'token_revoked', message: 'the token was revoked' } } };
    if (!t.rights.has(right)) return { status: 403, json: { error: { code: 'token_missing_right', right: RIGHT_NAMES[right], message: 'the token lacks this right' } } };

    if (right === 'groups') return { status: 200, json: { groups: [...groups.values()] } };
    if (right === 'report') {
      if (!body || !Array.isArray(body.emails) || body.emails.some((e: unknown) => typeof e !== 'string')) return { status: 400, json: { error: { code: 'invalid_request', message: 'emails must be a list of strings' } } };
      if (body.emails.length > maxBatch) return { status: 413, json: { error: { code: 'batch_too_large', message: `at most ${maxBatch} e-mails per call` } } };
      const found: unknown[] = [];
      const notFound: string[] = [];
      for (const e of body.emails as string[]) {
        const u = users.get(e.toLowerCase());
        if (u) found.push(userView(u));
        else notFound.push(e);
      }
      return { status: 200, json: { users: found, notFound } };
    }
    const userId = decodeURIComponent(path.split('/').pop()!);
    const u = [...users.values()].find((x) => x.userId === userId);
    if (!u) return { status: 404, json: { error: { code: 'user_not_found', message: 'no such user' } } };
    if (!body || typeof body.groupId !== 'string') return { status: 400, json: { error: { code: 'invalid_request', message: 'groupId is required' } } };
    const g = groups.get(body.groupId);
    if (!g) return { status: 422, json: { error: { code: 'group_not_found', message: 'no such group' } } };
    const previousGroupId = u.groupId;
    u.groupId = g.id;
    // The study plan is recalculated: finished courses stay, the new group's others are planned.
    const kept = u.courses.filter((c) => c.status === 'completed');
    for (const c of g.courses) if (!kept.some((k) => k.courseId === c.id)) kept.push({ courseId: c.id, status: 'planned', progress: 0 });
    u.courses = kept;
    if (typeof body.notifyEmail === 'string') notifications.push({ to: body.notifyEmail, userId: u.userId, groupId: g.id });
    return { status: 200, json: { userId: u.userId, groupId: g.id, previousGroupId } };
  }

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      let body: unknown;
      try {
        body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
      } catch {
        body = undefined;
      }
      const path = (req.url ?? '/').split('?')[0];
      const answer = () => {
        const out = handle(req.method ?? 'GET', path, req.headers.authorization, body);
        calls.push({ method: req.method ?? '', path, authorization: req.headers.authorization, body, status: out.status });
        res.writeHead(out.status, { 'content-type': 'application/json', ...out.headers });
        res.end(out.json === undefined ? '' : JSON.stringify(out.json));
      };
      if (latencyMs > 0) setTimeout(answer, latencyMs);
      else answer();
    });
  };

  const server = opts.tls ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, onRequest) : http.createServer(onRequest);
  return new Promise<KasapSimulator>((resolve) => {
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      resolve({
        url: `${opts.tls ? 'https' : 'http'}://localhost:${port}`,
        port,
        calls,
        notifications,
        addToken(token, state = 'valid', rights = ['groups', 'report', 'user']) {
          tokens.set(token, { state, rights: new Set(rights) });
        },
        setTokenState(token, state) {
          const t = tokens.get(token);
          if (t) t.state = state;
        },
        addUser(u) {
          const user: SimUser = { userId: u.userId ?? `u-${nextUser++}`, email: u.email.toLowerCase(), fullName: u.fullName ?? u.email, groupId: u.groupId ?? null, courses: u.courses ?? [], certificates: u.certificates ?? [] };
          users.set(user.email, user);
          return user;
        },
        user: (email) => users.get(email.toLowerCase()),
        groups: () => [...groups.values()],
        setLatency(ms) {
          latencyMs = ms;
        },
        failNext(status, n = 1) {
          failNext = { status, n };
        },
        close: () => new Promise<void>((r) => {
          server.closeAllConnections?.();
          server.close(() => r());
        }),
      });
    });
  });
}

export interface KasapSimulator {
  url: string;
  port: number;
  /** Every request, in order (authorization header included: tests assert on it). */
  calls: KasapSimCall[];
  /** Group-change notifications KASAP would send to the administrator. */
  notifications: { to: string; userId: string; groupId: string }[];
  addToken(token: string, state?: TokenState, rights?: Right[]): void;
  setTokenState(token: string, state: TokenState): void;
  addUser(u: Partial<SimUser> & { email: string }): SimUser;
  user(email: string): SimUser | undefined;
  groups(): SimGroup[];
  setLatency(ms: number): void;
  /** The next `n` requests answer `status` (429 carries Retry-After: 1). */
  failNext(status: number, n?: number): void;
  close(): Promise<void>;
}
