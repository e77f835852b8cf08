import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { decodeCall, encodeFault, encodeResponse, type XmlRpcValue } from '../../src/integrations/usergate/xmlrpc.ts';

/**
 * A simulator of UserGate's XML-RPC management API (reference §7.2) at POST /rpc: node status,
 * login/logout with auth tokens, named lists (v2.nlists.*) with fault 2001 for an item already
 * present and 409 for a duplicate name, firewall and content rules, and authorised user
 * sessions for "log out all users". It parses requests with the same XML-RPC module the
 * connector uses and keeps every decoded call (`calls`), so tests see exactly what arrived.
 */
export interface UsergateSimulatorOptions {
  tls?: { cert: string; key: string };
  users?: Record<string, string>;
  latencyMs?: number;
  /** Users logged in to the firewall (for logoutAllUsers). */
  authSessions?: { user: string; ip: string }[];
}

interface NList {
  id: string;
  name: string;
  type: string;
  items: Map<string, string>;
}

type Struct = { [k: string]: XmlRpcValue };

export interface UsergateSimulator {
  url: string;
  state: {
    list(name: string): { id: string; type: string; values: string[] } | null;
    firewallRule(name: string): Struct | null;
    contentRule(name: string): Struct | null;
    authSessions(): { user: string; ip: string }[];
    readonly openSessions: number;
  };
  /** Requests per XML-RPC method. */
  requests: Record<string, number>;
  /** Every decoded call (the password replaced). */
  calls: { method: string; params: XmlRpcValue[] }[];
  expireSessions(): void;
  /** Tokens expire after this many more token-bearing calls (once). */
  expireAfter(calls: number): void;
  failNext(method: string, fault?: { code: number; message: string }): void;
  /** Adding this value to a list faults (400 invalid argument; a bulk add with it faults whole) until reset. */
  refuseValue(value: string): void;
  addAuthSession(user: string, ip: string): void;
  setLatency(ms: number): void;
  reset(): void;
  close(): Promise<void>;
}

class Fault {
  constructor(
    readonly code: number,
    readonly message: string,
  ) {}
}


export async function startUsergateSimulator(options: UsergateSimulatorOptions = {}): Promise<UsergateSimulator> {
  const users = options.users ?? { admin: 'admin-password' };
  let latencyMs = options.latencyMs ?? 0;
  const tokens = new Set<string>();
  const lists = new Map<string, NList>();
  const fwRules: Struct[] = [];
  const contentRules: Struct[] = [];
  const authSessions = new Map<string, { user: string; ip: string }>((options.authSessions ?? []).map((s) => [randomUUID(), s]));
  const requests: Record<string, number> = {};
  const calls: UsergateSimulator['calls'] = [];
  const failures = new Map<string, { code: number; message: string }>();
  const refused = new Set<string>();
  let expireIn: number | null = null;
  let nextId = 1;

  const str = (v: XmlRpcValue, what: string): string => {
    if (typeof v !== 'string') throw new Fault(400, `Invalid argument: ${what} must be a string`);
    return v;
  };
  const struct = (v: XmlRpcValue, what: string): Struct => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Fault(400, `Invalid argument: ${what} must be a struct`);
    return v;
  };
  const list = (id: XmlRpcValue): NList => {
    const l = lists.get(String(id));
    if (!l) throw new Fault(404, `Named list ${String(id)} not found`);
    return l;
  };
  const page = <T>(items: T[], offset: XmlRpcValue, limit: XmlRpcValue) => ({ count: items.length, items: items.slice(Number(offset) || 0, (Number(offset) || 0) + (Number(limit) || 1000)) }) as unknown as XmlRpcValue;
  const addRule = (rules: Struct[], rule: Struct) => {
    if (rules.some((r) => r.name === rule.name)) throw new Fault(409, `Rule "${String(rule.name)}" already exists`);
    const id = String(nextId++);
    rules.splice(Math.max(0, Number(rule.position ?? 1) - 1), 0, { ...rule, id });
    return id;
  };
  const addItem = (l: NList, value: string) => {
    if (refused.has(value)) throw new Fault(400, `Invalid argument: item "${value}" is not accepted by list ${l.name}`);
    for (const v of l.items.values()) if (v === value) throw new Fault(2001, `Item "${value}" already exists in the list`);
    l.items.set(String(nextId++), value);
  };

  function dispatch(method: string, p: XmlRpcValue[]): XmlRpcValue {
    if (method === 'v2.core.node.status') return { status: 'work' };
    if (method === 'v2.core.login') {
      const [login, password] = [str(p[0], 'login'), str(p[1], 'password')];
      if (users[login] === undefined || users[login] !== password) throw new Fault(5, 'Wrong login or password');
      const token = randomUUID();
      tokens.add(token);
      return { auth_token: token, node: 'node_1', version: '7.1.1.R' };
    }
    const token = typeof p[0] === 'string' ? p[0] : '';
    if (!tokens.has(token)) throw new Fault(104, 'Session is not found or has expired: invalid auth_token');
    if (expireIn !== null && --expireIn < 0) {
      expireIn = null;
      tokens.clear();
      throw new Fault(104, 'Session is not found or has expired: invalid auth_token');
    }
    switch (method) {
      case 'v2.core.logout':
        tokens.delete(token);
        return true;
      case 'v2.nlists.list': {
        const type = str(p[1], 'type');
        const search = p[4] && typeof p[4] === 'object' && !Array.isArray(p[4]) ? String(p[4].search ?? '') : '';
        const found = [...lists.values()].filter((l) => l.type === type && l.name.includes(search)).map((l) => ({ id: l.id, name: l.name, type: l.type, editable: true }));
        return page(found, p[2], p[3]);
      }
      case 'v2.nlists.add': {
        const s = struct(p[1], 'list');
        const name = str(s.name, 'name');
        const type = str(s.type, 'type');
        if ([...lists.values()].some((l) => l.name === name && l.type === type)) throw new Fault(409, `List "${name}" already exists`);
        const id = String(nextId++);
        lists.set(id, { id, name, type, items: new Map() });
        return id;
      }
      case 'v2.nlists.list.list': {
        const l = list(p[1]);
        return page([...l.items].map(([id, value]) => ({ id, value })), p[2], p[3]);
      }
      case 'v2.nlists.list.add': {
        addItem(list(p[1]), str(struct(p[2], 'item').value, 'value'));
        return true;
      }
      case 'v2.nlists.list.add.items': {
        const l = list(p[1]);
        if (!Array.isArray(p[2])) throw new Fault(400, 'Invalid argument: items must be an array');
        const values = p[2].map((i) => str(struct(i, 'item').value, 'value'));
        // All or nothing: one present item faults the whole call, as UserGate does.
        const existing = new Set(l.items.values());
        const dup = values.find((v) => existing.has(v));
        if (dup !== undefined) throw new Fault(2001, `Item "${dup}" already exists in the list`);
        const bad = values.find((v) => refused.has(v));
        if (bad !== undefined) throw new Fault(400, `Invalid argument: item "${bad}" is not accepted by list ${l.name}`);
        for (const v of values) addItem(l, v);
        return values.length;
      }
      case 'v2.nlists.list.delete.items': {
        const l = list(p[1]);
        if (!Array.isArray(p[2])) throw new Fault(400, 'Invalid argument: ids must be an array');
        let n = 0;
        for (const id of p[2]) if (l.items.delete(String(id))) n++;
        return n;
      }
      case 'v1.firewall.rules.list':
      case 'v1.content.rules.list': {
        const rules = method.startsWith('v1.firewall') ? fwRules : contentRules;
        const name = p[3] && typeof p[3] === 'object' && !Array.isArray(p[3]) ? p[3].name : undefined;
        return page(rules.filter((r) => name === undefined || r.name === name), p[1], p[2]);
      }
      case 'v1.firewall.rule.add': {
        const rule = struct(p[1], 'rule');
        for (const ref of Array.isArray(rule.dst_ips) ? rule.dst_ips : []) if (Array.isArray(ref)) list(ref[1]);
        return addRule(fwRules, rule);
      }
      case 'v1.content.rule.add': {
        const rule = struct(p[1], 'rule');
        for (const ref of Array.isArray(rule.urls) ? rule.urls : []) list(ref);
        return addRule(contentRules, rule);
      }
      case 'v1.auth.sessions.list':
        return page([...authSessions].map(([id, s]) => ({ id, user: s.user, ip: s.ip })), p[1], p[2]);
      case 'v1.auth.session.logout':
        if (!authSessions.delete(str(p[1], 'id'))) throw new Fault(404, 'User session not found');
        return true;
      default:
        throw new Fault(1, `Method "${method}" is not supported`);
    }
  }

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      if (latencyMs) await new Promise((r) => setTimeout(r, latencyMs));
      const reply = (xml: string) => {
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(xml);
      };
      if (req.method !== 'POST' || req.url !== '/rpc') {
        res.writeHead(404, { 'content-type': 'text/plain' });
        return res.end('not found');
      }
      let method: string;
      let params: XmlRpcValue[];
      try {
        ({ method, params } = decodeCall(Buffer.concat(chunks).toString('utf8')));
      } catch (e) {
        return reply(encodeFault(-32700, `parse error: ${(e as Error).message}`));
      }
      requests[method] = (requests[method] ?? 0) + 1;
      calls.push({ method, params: method === 'v2.core.login' ? [params[0], '***', ...params.slice(2)] : params });
      const injected = failures.get(method);
      if (injected) {
        failures.delete(method);
        return reply(encodeFault(injected.code, injected.message));
      }
      try {
        reply(encodeResponse(dispatch(method, params)));
      } catch (e) {
        if (e instanceof Fault) reply(encodeFault(e.code, e.message));
        else reply(encodeFault(500, `internal error: ${(e as Error).message}`));
      }
    });
  };

  const server = options.tls ? https.createServer({ cert: options.tls.cert, key: options.tls.key }, onRequest) : http.createServer(onRequest);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const byName = (name: string) => [...lists.values()].find((l) => l.name === name);

  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    state: {
      list: (name) => {
        const l = byName(name);
        return l ? { id: l.id, type: l.type, values: [...l.items.values()] } : null;
      },
      firewallRule: (name) => fwRules.find((r) => r.name === name) ?? null,
      contentRule: (name) => contentRules.find((r) => r.name === name) ?? null,
      authSessions: () => [...authSessions.values()],
      get openSessions() {
        return tokens.size;
      },
    },
    requests,
    calls,
    expireSessions: () => tokens.clear(),
    expireAfter: (n) => void (expireIn = n),
    failNext: (method, fault = { code: 500, message: 'simulated failure' }) => void failures.set(method, fault),
    refuseValue: (value) => void refused.add(value),
    addAuthSession: (user, ip) => void authSessions.set(randomUUID(), { user, ip }),
    setLatency: (ms) => void (latencyMs = ms),
    reset: () => {
      for (const k of Object.keys(requests)) delete requests[k];
      calls.length = 0;
      refused.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
