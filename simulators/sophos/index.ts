import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { isIP } from 'node:net';
import { asArray, buildXml, isNode, parseXml, text, type XmlNode } from '../../src/integrations/sophos/xml.ts';

/**
 * A simulator of the Sophos Firewall XML API (reference §11.2): POST /webconsole/APIController
 * with the form field reqxml. Every request carries <Login>; the answer reports
 * "Authentication Successful" or "Authentication Failure", then a <Status code=…> per entity of
 * each Get/Set/Remove (200 applied, 502 same name exists, 541 still referenced, 500 failure).
 * Implements IPHost, IPHostGroup, FirewallRule and WebFilterURLGroup. `parsed` keeps every
 * request as parsed (password replaced), so tests see what arrived.
 */
export interface SophosSimulatorOptions {
  tls?: { cert: string; key: string };
  users?: Record<string, string>;
  latencyMs?: number;
  /** Answer every request with status 534 (API off or this source not allowed). */
  apiDisabled?: boolean;
}

export interface SophosSimulator {
  url: string;
  state: {
    host(name: string): { ip: string; family: string; groups: string[] } | null;
    hosts(): string[];
    group(name: string): { family: string; hosts: string[] } | null;
    rule(name: string): XmlNode | null;
    urlGroup(name: string): string[] | null;
  };
  /** Requests per operation and entity, e.g. "Get IPHostGroup", "Set add IPHost", plus "http". */
  requests: Record<string, number>;
  parsed: XmlNode[];
  /** The XML API has no session; this makes the next request answer a failed login once. */
  expireSessions(): void;
  /** The next entity operation `op` (e.g. "Set add IPHost") answers this status for each entity. */
  failNext(op: string, status?: { code: number; message: string }): void;
  /** An IPHost with this address is refused (status 500 for that entity only) until reset. */
  refuseValue(ip: string): void;
  setApiDisabled(disabled: boolean): void;
  setLatency(ms: number): void;
  reset(): void;
  close(): Promise<void>;
}

const OK = { code: 200, message: 'Configuration applied successfully.' };

export async function startSophosSimulator(options: SophosSimulatorOptions = {}): Promise<SophosSimulator> {
  const users = options.users ?? { admin: 'admin-password' };
  let latencyMs = options.latencyMs ?? 0;
  let apiDisabled = options.apiDisabled ?? false;
  let failLogin = false;
  const hosts = new Map<string, { ip: string; family: string; groups: Set<string> }>();
  const groups = new Map<string, { family: string; hosts: Set<string> }>();
  const rules = new Map<string, XmlNode>();
  const urlGroups = new Map<string, string[]>();
  const requests: Record<string, number> = {};
  const parsed: XmlNode[] = [];
  const failures = new Map<string, { code: number; message: string }>();
  const refused = new Set<string>();

  const count = (k: string) => void (requests[k] = (requests[k] ?? 0) + 1);
  const list = (v: unknown, child: string) => (isNode(v) ? asArray(v[child]).map(text) : []);

  function setHostGroups(name: string, wanted: string[]) {
    const h = hosts.get(name)!;
    for (const g of h.groups) groups.get(g)?.hosts.delete(name);
    h.groups = new Set(wanted);
    for (const g of wanted) groups.get(g)!.hosts.add(name);
  }

  function setEntity(op: string, tag: string, e: XmlNode): { code: number; message: string } {
    const name = text(e.Name);
    if (!name) return { code: 500, message: 'Operation failed. Name is required.' };
    const exists = tag === 'IPHost' ? hosts.has(name) : tag === 'IPHostGroup' ? groups.has(name) : tag === 'FirewallRule' ? rules.has(name) : tag === 'WebFilterURLGroup' ? urlGroups.has(name) : false;
    if (op === 'add' && exists) return { code: 502, message: 'Operation failed. Entity having same name already exists.' };
    if (op === 'update' && !exists) return { code: 500, message: 'Operation failed. Entity not found.' };
    switch (tag) {
      case 'IPHost': {
        const ip = text(e.IPAddress);
        const family = text(e.IPFamily) || 'IPv4';
        if (isIP(ip) !== (family === 'IPv6' ? 6 : 4)) return { code: 500, message: 'Operation failed. Invalid IP address for the IP family.' };
        if (refused.has(ip)) return { code: 500, message: `Operation failed. ${ip} is reserved.` };
        const wanted = list(e.HostGroupList, 'HostGroup');
        for (const g of wanted) if (!groups.has(g) || groups.get(g)!.family !== family) return { code: 500, message: `Operation failed. Host group ${g} not found for ${family}.` };
        if (!exists) hosts.set(name, { ip, family, groups: new Set() });
        else hosts.get(name)!.ip = ip;
        setHostGroups(name, wanted);
        return OK;
      }
      case 'IPHostGroup': {
        const family = text(e.IPFamily) || 'IPv4';
        const members = list(e.HostList, 'Host');
        for (const m of members) if (!hosts.has(m)) return { code: 500, message: `Operation failed. Host ${m} not found.` };
        if (!exists) groups.set(name, { family, hosts: new Set() });
        const g = groups.get(name)!;
        for (const m of [...g.hosts]) hosts.get(m)?.groups.delete(name);
        g.hosts = new Set(members);
        for (const m of members) hosts.get(m)!.groups.add(name);
        return OK;
      }
      case 'FirewallRule': {
        const policy = isNode(e.NetworkPolicy) ? e.NetworkPolicy : {};
        for (const n of list(policy.DestinationNetworks, 'Network')) if (!groups.has(n) && !hosts.has(n)) return { code: 500, message: `Operation failed. Network ${n} not found.` };
        rules.set(name, e);
        return OK;
      }
      case 'WebFilterURLGroup':
        urlGroups.set(name, list(e.URLlist, 'URL'));
        return OK;
      default:
        return { code: 500, message: `Operation failed. Unknown entity ${tag}.` };
    }
  }

  function getEntities(tag: string, filterName: string | null): XmlNode[] {
    const want = (n: string) => filterName === null || n === filterName;
    switch (tag) {
      case 'IPHost':
        return [...hosts].filter(([n]) => want(n)).map(([n, h]) => ({ Name: n, IPFamily: h.family, HostType: 'IP', IPAddress: h.ip, HostGroupList: { HostGroup: [...h.groups] } }));
      case 'IPHostGroup':
        return [...groups].filter(([n]) => want(n)).map(([n, g]) => ({ Name: n, IPFamily: g.family, HostList: g.hosts.size ? { Host: [...g.hosts] } : '' }));
      case 'FirewallRule':
        return [...rules].filter(([n]) => want(n)).map(([, r]) => r);
      case 'WebFilterURLGroup':
        return [...urlGroups].filter(([n]) => want(n)).map(([n, urls]) => ({ Name: n, IsDefault: 'No', URLlist: urls.length ? { URL: urls } : '' }));
      default:
        return [];
    }
  }

  function answer(reqxml: string): string {
    let doc: XmlNode;
    try {
      doc = parseXml(reqxml);
    } catch {
      return buildXml({ Response: { Status: [{ '@_code': '529', '#text': 'Input request file is Invalid' }] } });
    }
    const req = isNode(doc.Request) ? doc.Request : null;
    if (!req) return buildXml({ Response: { Status: [{ '@_code': '529', '#text': 'Input request file is Invalid' }] } });
    const login = isNode(req.Login) ? req.Login : {};
    parsed.push({ ...req, Login: { Username: text(login.Username), Password: '***' } });
    const out: XmlNode = { '@_APIVersion': text(req['@_APIVersion']) || '1905.1', '@_IPS_CAT_VER': '1' };
    if (apiDisabled) {
      out.Status = [{ '@_code': '534', '#text': 'API operations are not allowed from the requester IP address' }];
      return buildXml({ Response: out });
    }
    const user = text(login.Username);
    const authOk = !failLogin && users[user] !== undefined && users[user] === text(login.Password);
    failLogin = false;
    out.Login = { status: authOk ? 'Authentication Successful' : 'Authentication Failure' };
    if (!authOk) return buildXml({ Response: out });
    const push = (tag: string, node: XmlNode) => void ((out[tag] ??= []) as XmlNode[]).push(node);
    for (const get of asArray(req.Get).filter(isNode)) {
      for (const [tag, body] of Object.entries(get)) {
        count(`Get ${tag}`);
        const key = isNode(body) && isNode(body.Filter) ? asArray(body.Filter.key).find((k) => isNode(k) && k['@_name'] === 'Name') : undefined;
        const found = getEntities(tag, key !== undefined ? text(key) : null);
        if (found.length) for (const e of found) push(tag, e);
        else push(tag, { Status: 'No. of records Zero.' });
      }
    }
    for (const set of asArray(req.Set).filter(isNode)) {
      const op = String(set['@_operation'] ?? 'add');
      for (const [tag, entities] of Object.entries(set)) {
        if (tag.startsWith('@_')) continue;
        count(`Set ${op} ${tag}`);
        const injected = failures.get(`Set ${op} ${tag}`);
        failures.delete(`Set ${op} ${tag}`);
        for (const e of asArray(entities).filter(isNode)) {
          const s = injected ?? setEntity(op, tag, e);
          push(tag, { '@_transactionid': text(e['@_transactionid']), Status: [{ '@_code': String(s.code), '#text': s.message }] });
        }
      }
    }
    for (const remove of asArray(req.Remove).filter(isNode)) {
      for (const [tag, entities] of Object.entries(remove)) {
        count(`Remove ${tag}`);
        for (const e of asArray(entities).filter(isNode)) {
          const name = text(e.Name);
          let s = OK;
          if (tag !== 'IPHost' || !hosts.has(name)) s = { code: 500, message: 'Operation failed. Entity not found.' };
          else if (hosts.get(name)!.groups.size) s = { code: 541, message: 'Operation failed. Entity is referenced by other entities.' };
          else hosts.delete(name);
          push(tag, { '@_transactionid': text(e['@_transactionid']), Status: [{ '@_code': String(s.code), '#text': s.message }] });
        }
      }
    }
    return buildXml({ Response: out });
  }

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      if (latencyMs) await new Promise((r) => setTimeout(r, latencyMs));
      if (req.method !== 'POST' || req.url?.split('?')[0] !== '/webconsole/APIController') {
        res.writeHead(404);
        return res.end();
      }
      count('http');
      const reqxml = new URLSearchParams(Buffer.concat(chunks).toString('utf8')).get('reqxml') ?? '';
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(answer(reqxml));
    });
  };

  const server = options.tls ? https.createServer({ cert: options.tls.cert, key: options.tls.key }, onRequest) : http.createServer(onRequest);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    state: {
      host: (name) => {
        const h = hosts.get(name);
        return h ? { ip: h.ip, family: h.family, groups: [...h.groups] } : null;
      },
      hosts: () => [...hosts.keys()],
      group: (name) => {
        const g = groups.get(name);
        return g ? { family: g.family, hosts: [...g.hosts] } : null;
      },
      rule: (name) => rules.get(name) ?? null,
      urlGroup: (name) => (urlGroups.has(name) ? [...urlGroups.get(name)!] : null),
    },
    requests,
    parsed,
    expireSessions: () => void (failLogin = true),
    failNext: (op, status = { code: 500, message: 'Operation failed. Simulated failure.' }) => void failures.set(op, status),
    refuseValue: (ip) => void refused.add(ip),
    setApiDisabled: (d) => void (apiDisabled = d),
    setLatency: (ms) => void (latencyMs = ms),
    reset: () => {
      for (const k of Object.keys(requests)) delete requests[k];
      parsed.length = 0;
      refused.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
