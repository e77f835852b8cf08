import http from 'node:http';
import https from 'node:https';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * A simulator of the Ideco NGFW / Ideco UTM REST API (docs.ideco.dev "description of handlers",
 * "access rules API"; reference §8.2) as far as xdrhub uses it:
 *   POST/DELETE /web/auth/login (cookies insecure-ideco-session + __Secure-ideco-<uuid>)
 *   /aliases/ip_addresses, /aliases/lists/addresses, /aliases/ip_address_lists (NGFW only)
 *   /firewall/rules/forward (anchor_item_id/insert_after), /firewall/status
 *   /content-filter/users_categories, /content-filter/rules
 * Errors are JSON {"message": …}: 401 without a valid session, 400 on validation (titles ≤ 42,
 * comments ≤ 255, unknown alias ids, invalid IPs, objects in use), 404 for unknown paths/ids.
 * Knobs: latency, injected faults, session expiry (TTL or expireSessions()).
 */
export interface IdecoSimulatorOptions {
  variant: 'ngfw' | 'utm';
  /** PEM certificate and key: serve HTTPS (xdrhub only speaks HTTPS to Ideco). */
  tls?: { cert: string; key: string };
  users?: Record<string, string>;
  latencyMs?: number;
  /** Sessions expire this long after their last use (default: never). */
  sessionTtlMs?: number;
}

export interface IdecoRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  status: number;
  authenticated: boolean;
}

interface Alias {
  id: string;
  title: string;
  comment: string;
  type: string;
  value?: string;
  values?: string[];
}
interface FwRule {
  id: number;
  [k: string]: unknown;
}
interface Category {
  id: string;
  name: string;
  comment: string;
  urls: string[];
}
interface CfRule {
  id: number;
  name: string;
  access: string;
  categories: string[];
  [k: string]: unknown;
}

const TITLE_MAX = 42;
const COMMENT_MAX = 255;

export async function startIdecoSimulator(options: IdecoSimulatorOptions) {
  const users = new Map(Object.entries(options.users ?? { admin: 'Ideco-Passw0rd' }));
  const state = {
    variant: options.variant,
    sessions: new Map<string, { login: string; secureName: string; secureValue: string; lastUsed: number }>(),
    /** Every alias by id: ip objects, lists of IP objects, IP address lists. */
    aliases: new Map<string, Alias>(),
    forwardRules: [] as FwRule[],
    categories: new Map<string, Category>(),
    contentRules: [] as CfRule[],
    logins: 0,
    logouts: 0,
  };
  const seq = { ip: 1, list: 1, ipList: 1, rule: 1, cat: 1, cfRule: 1 };
  const requests: IdecoRequest[] = [];
  let latencyMs = options.latencyMs ?? 0;
  const sessionTtlMs = options.sessionTtlMs ?? Infinity;
  const faults: { status: number; path?: string }[] = [];

  const aliasesOfType = (type: string) => [...state.aliases.values()].filter((a) => a.type === type);
  const knownAlias = (id: string) => id === 'any' || state.aliases.has(id);
  const isIp = (v: unknown) => typeof v === 'string' && (ipaddr.IPv4.isValidFourPartDecimal(v) || (v.includes(':') && ipaddr.IPv6.isValid(v)));
  const inUse = (id: string) =>
    [...state.aliases.values()].some((a) => a.values?.includes(id)) ||
    state.forwardRules.some((r) => (r.source_addresses as string[]).includes(id) || (r.destination_addresses as string[]).includes(id));

  function checkTitle(body: any): string | undefined {
    if (typeof body?.title !== 'string' || !body.title.trim()) return 'title: обязательное поле (required)';
    if (body.title.length > TITLE_MAX) return `title: максимальная длина ${TITLE_MAX} символа (max length ${TITLE_MAX})`;
    if (typeof body.comment === 'string' && body.comment.length > COMMENT_MAX) return `comment: максимальная длина ${COMMENT_MAX} символов`;
    return undefined;
  }

  function sessionOf(req: http.IncomingMessage) {
    const cookies = Object.fromEntries(
      String(req.headers.cookie ?? '')
        .split(';')
        .map((c) => c.trim().split('='))
        .filter((kv) => kv.length >= 2)
        .map(([k, ...v]) => [k, v.join('=')]),
    );
    const s = state.sessions.get(cookies['insecure-ideco-session'] ?? '');
    if (!s || cookies[s.secureName] !== s.secureValue) return undefined;
    if (Date.now() - s.lastUsed > sessionTtlMs) {
      state.sessions.delete(cookies['insecure-ideco-session']);
      return undefined;
    }
    s.lastUsed = Date.now();
    return s;
  }

  type Reply = [number, unknown?, Record<string, string | string[]>?];

  function route(req: http.IncomingMessage, url: URL, body: any, entry: IdecoRequest): Reply {
    const p = url.pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    if (p === '/web/auth/login' && method === 'POST') {
      if (typeof body?.login !== 'string' || typeof body?.password !== 'string') return [400, { message: 'login and password are required' }];
      if (users.get(body.login) !== body.password) return [401, { message: 'Неверный логин или пароль (invalid login or password)' }];
      const sid = randomUUID();
      const secureName = `__Secure-ideco-${randomUUID()}`;
      const secureValue = `${randomUUID()}:${Math.floor(Date.now() / 1000)}`;
      state.sessions.set(sid, { login: body.login, secureName, secureValue, lastUsed: Date.now() });
      state.logins++;
      return [200, {}, { 'set-cookie': [`insecure-ideco-session=${sid}; Path=${body.rest_path ?? '/'}`, `${secureName}=${secureValue}; HttpOnly; Path=/; SameSite=Strict; Secure`] }];
    }
    const session = sessionOf(req);
    entry.authenticated = !!session;
    if (!session) return [401, { message: 'Unauthorized' }];
    if (p === '/web/auth/login' && method === 'DELETE') {
      for (const [sid, s] of state.sessions) if (s === session) state.sessions.delete(sid);
      state.logouts++;
      return [200, {}, { 'set-cookie': ['insecure-ideco-session=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/'] }];
    }
    if (p === '/firewall/status' && method === 'GET') return [200, [{ name: 'rules-in-kernel', status: 'active', msg: [] }]];

    // ── aliases ──
    const collections: Record<string, { type: string; prefix: string; counter: keyof typeof seq; variants: string[] }> = {
      '/aliases/ip_addresses': { type: 'ip', prefix: 'ip.id.', counter: 'ip', variants: ['ngfw', 'utm'] },
      '/aliases/lists/addresses': { type: 'address_list', prefix: 'address_list.id.', counter: 'list', variants: ['ngfw', 'utm'] },
      '/aliases/ip_address_lists': { type: 'ip_address_list', prefix: 'ip_address_list.id.', counter: 'ipList', variants: ['ngfw'] },
    };
    for (const [base, spec] of Object.entries(collections)) {
      if (p !== base && !p.startsWith(`${base}/`)) continue;
      if (!spec.variants.includes(state.variant)) return [404, { message: 'Not Found' }];
      const id = p === base ? undefined : decodeURIComponent(p.slice(base.length + 1));
      const validate = (): string | undefined => {
        const t = checkTitle(body);
        if (t) return t;
        if (spec.type === 'ip' && !isIp(body.value)) return `value: "${String(body.value).slice(0, 60)}" не является IP-адресом (not an IP address)`;
        if (spec.type !== 'ip' && !Array.isArray(body.values)) return 'values: обязательное поле (required)';
        if (spec.type === 'address_list' && body.values.some((v: unknown) => typeof v !== 'string' || state.aliases.get(v)?.type !== 'ip')) return 'values: unknown IP object id';
        if (spec.type === 'ip_address_list' && body.values.some((v: unknown) => !isIp(v))) return 'values: not an IP address';
        if (spec.type === 'ip_address_list' && new Set(body.values).size !== body.values.length) return 'values: duplicate addresses';
        return undefined;
      };
      const stored = (): Alias => ({ id: '', title: body.title, comment: body.comment ?? '', type: spec.type, ...(spec.type === 'ip' ? { value: body.value } : { values: [...body.values] }) });
      if (!id && method === 'GET') return [200, aliasesOfType(spec.type)];
      if (!id && method === 'POST') {
        const err = validate();
        if (err) return [400, { message: err }];
        const alias = { ...stored(), id: `${spec.prefix}${seq[spec.counter]++}` };
        state.aliases.set(alias.id, alias);
        return [200, { id: alias.id }];
      }
      const existing = id ? state.aliases.get(id) : undefined;
      if (!existing || existing.type !== spec.type) return [404, { message: 'Объект не найден (object not found)' }];
      if (method === 'GET') return [200, existing];
      if (method === 'PUT') {
        const err = validate();
        if (err) return [400, { message: err }];
        state.aliases.set(existing.id, { ...stored(), id: existing.id });
        return [200, {}];
      }
      if (method === 'DELETE') {
        if (inUse(existing.id)) return [400, { message: 'Объект используется (object is in use)' }];
        state.aliases.delete(existing.id);
        return [200, {}];
      }
      return [405, { message: 'Method Not Allowed' }];
    }

    // ── firewall FORWARD rules ──
    if (p === '/firewall/rules/forward' || p.startsWith('/firewall/rules/forward/')) {
      const validate = (): string | undefined => {
        if (!['accept', 'drop'].includes(body?.action)) return 'action: must be accept or drop';
        if (typeof body.comment !== 'string' || body.comment.length > COMMENT_MAX) return `comment: максимальная длина ${COMMENT_MAX} символов`;
        for (const field of ['source_addresses', 'destination_addresses', 'destination_ports', 'timetable']) {
          if (!Array.isArray(body[field])) return `${field}: обязательное поле (required)`;
        }
        const unknown = [...body.source_addresses, ...body.destination_addresses].find((a: string) => !knownAlias(a));
        if (unknown) return `unknown alias ${String(unknown).slice(0, 60)}`;
        return undefined;
      };
      const idPart = p.slice('/firewall/rules/forward'.length + 1);
      if (!idPart && method === 'GET') return [200, state.forwardRules];
      if (!idPart && method === 'POST') {
        const err = validate();
        if (err) return [400, { message: err }];
        const rule = { ...body, id: seq.rule++ };
        insertAt(state.forwardRules, rule, url.searchParams);
        return [200, { id: rule.id }];
      }
      const index = state.forwardRules.findIndex((r) => String(r.id) === idPart);
      if (index < 0) return [404, { message: 'Правило не найдено (rule not found)' }];
      if (method === 'PUT') {
        const err = validate();
        if (err) return [400, { message: err }];
        state.forwardRules[index] = { ...body, id: state.forwardRules[index].id };
        return [200, {}];
      }
      if (method === 'DELETE') {
        state.forwardRules.splice(index, 1);
        return [200, {}];
      }
      return [405, { message: 'Method Not Allowed' }];
    }

    // ── content filter ──
    if (p === '/content-filter/users_categories' || p.startsWith('/content-filter/users_categories/')) {
      const validate = () =>
        typeof body?.name !== 'string' || !body.name.trim() ? 'name: не пустая строка (must not be empty)' : !Array.isArray(body.urls) || body.urls.some((u: unknown) => typeof u !== 'string') ? 'urls: list of strings' : undefined;
      const idPart = decodeURIComponent(p.slice('/content-filter/users_categories'.length + 1));
      if (!idPart && method === 'GET') return [200, [...state.categories.values()]];
      if (!idPart && method === 'POST') {
        const err = validate();
        if (err) return [400, { message: err }];
        const cat: Category = { id: `users.id.${seq.cat++}`, name: body.name, comment: body.comment ?? '', urls: [...body.urls] };
        state.categories.set(cat.id, cat);
        return [200, { id: cat.id }];
      }
      const cat = state.categories.get(idPart);
      if (!cat) return [404, { message: 'Категория не найдена (category not found)' }];
      if (method === 'PUT') {
        const err = validate();
        if (err) return [400, { message: err }];
        Object.assign(cat, { name: body.name, comment: body.comment ?? '', urls: [...body.urls] });
        return [200, cat];
      }
      return [405, { message: 'Method Not Allowed' }];
    }
    if (p === '/content-filter/rules' || p.startsWith('/content-filter/rules/')) {
      const idPart = p.slice('/content-filter/rules'.length + 1);
      const validate = () =>
        typeof body?.name !== 'string' || !body.name.trim()
          ? 'name: не пустая строка'
          : !['allow', 'deny', 'bump', 'redirect'].includes(body.access)
            ? 'access: allow | deny | bump | redirect'
            : !Array.isArray(body.categories) || body.categories.some((c: string) => !state.categories.has(c) && !/^(extended|files|special|other)\./.test(c))
              ? 'categories: unknown category'
              : undefined;
      if (!idPart && method === 'GET') return [200, state.contentRules];
      if (!idPart && method === 'POST') {
        const err = validate();
        if (err) return [400, { message: err }];
        const rule: CfRule = { ...body, id: seq.cfRule++ };
        insertAt(state.contentRules, rule, url.searchParams);
        return [200, { id: rule.id }];
      }
      const index = state.contentRules.findIndex((r) => String(r.id) === idPart);
      if (index < 0) return [404, { message: 'Правило не найдено (rule not found)' }];
      if (method === 'DELETE') {
        state.contentRules.splice(index, 1);
        return [200, {}];
      }
      return [405, { message: 'Method Not Allowed' }];
    }
    return [404, { message: 'Not Found' }];
  }

  const handler = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', 'https://ideco');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const entry: IdecoRequest = { method: req.method ?? '', path: url.pathname, query: Object.fromEntries(url.searchParams), body: null, status: 0, authenticated: false };
    requests.push(entry);
    let reply: Reply;
    if (latencyMs) await new Promise((r) => setTimeout(r, latencyMs));
    const faultAt = faults.findIndex((f) => !f.path || url.pathname.startsWith(f.path));
    if (faultAt >= 0) {
      reply = [faults.splice(faultAt, 1)[0].status, { message: 'injected fault' }];
    } else {
      let body: unknown = null;
      try {
        body = raw ? JSON.parse(raw) : null;
        entry.body = body;
        reply = route(req, url, body, entry);
      } catch {
        reply = [400, { message: 'JSON decode error' }];
      }
    }
    const [status, json, headers] = reply;
    entry.status = status;
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(json === undefined ? '' : JSON.stringify(json));
  };

  const server = options.tls ? https.createServer({ cert: options.tls.cert, key: options.tls.key }, handler) : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    state,
    requests,
    /** Ends every session, as an idle timeout or a restart of the server does. */
    expireSessions() {
      state.sessions.clear();
    },
    /** The next `n` requests (to paths starting with `path`, if given) answer `status`. */
    failNext(status: number, n = 1, path?: string) {
      for (let i = 0; i < n; i++) faults.push({ status, path });
    },
    setLatency(ms: number) {
      latencyMs = ms;
    },
    /** The addresses the managed (or named) list blocks, whatever the variant stores. */
    blockedIps(listTitle: string): string[] {
      const list = [...state.aliases.values()].find((a) => a.title === listTitle && (a.type === 'ip_address_list' || a.type === 'address_list'));
      if (!list) return [];
      return list.type === 'ip_address_list' ? [...list.values!] : list.values!.map((id) => state.aliases.get(id)!.value!);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Ideco's anchor_item_id / insert_after placement (absent anchor: append). */
function insertAt<T extends { id: number }>(rules: T[], rule: T, q: URLSearchParams): void {
  const anchor = q.get('anchor_item_id');
  const index = anchor === null ? -1 : rules.findIndex((r) => String(r.id) === anchor);
  if (index < 0) rules.push(rule);
  else rules.splice(q.get('insert_after') === 'false' ? index : index + 1, 0, rule);
}

export type IdecoSimulator = Awaited<ReturnType<typeof startIdecoSimulator>>;
