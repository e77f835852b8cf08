import type { ConnectorContext } from '../framework/contract.ts';
import { FirewallError, SessionExpiredError } from '../firewall-common/errors.ts';
import { baseUrlOf, tlsOf } from '../firewall-common/settings.ts';
import { InvalidValueError } from '../firewall-common/values.ts';
import { DEFAULT_PORT, type UsergateConfig, type UsergateSecrets } from './settings.ts';
import { XmlRpcFault, XmlRpcFormatError, decodeResponse, encodeCall, type XmlRpcValue } from './xmlrpc.ts';

/**
 * UserGate's XML-RPC API (reference §7.2): POST <address>/rpc with a methodCall; `v2.core.login`
 * returns an auth_token passed as the first parameter of every later call.
 */
export type Ctx = ConnectorContext<UsergateConfig, UsergateSecrets>;

/** Item already present in a named list: success for an idempotent block. */
export const FAULT_ALREADY_EXISTS = 2001;
/** An object with that name exists (lists, rules). */
export const FAULT_NAME_EXISTS = 409;

// UserGate does not publish a fault-code table; these words are what its session and
// permission faults say [I]. A session fault triggers one re-login; anything else is reported.
const SESSION_FAULT = /session|auth[_ ]?token|token.*(expired|invalid|not found)|not authenticated/i;
const PERMISSION_FAULT = /permission|access denied|forbidden|not allowed/i;

export class UsergateFault extends FirewallError {
  override name = 'UsergateFault';
  constructor(
    stage: FirewallError['stage'],
    message: string,
    readonly faultCode: number,
  ) {
    super(stage, message, faultCode);
  }
}

export interface UgSession {
  token: string;
  version?: string;
}

export class UsergateClient {
  readonly url: string;
  constructor(private readonly ctx: Ctx) {
    const base = baseUrlOf(ctx.config.address, DEFAULT_PORT);
    this.url = new URL(base).pathname.length > 1 ? base : `${base}/rpc`;
  }

  async call(method: string, params: XmlRpcValue[]): Promise<XmlRpcValue> {
    const res = await this.ctx.http.request<string>({
      method: 'POST',
      url: this.url,
      headers: { 'content-type': 'text/xml; charset=utf-8', accept: 'text/xml' },
      body: encodeCall(method, params),
      timeoutMs: this.ctx.config.timeoutSeconds * 1000,
      tls: tlsOf(this.ctx.config),
      retry: { retries: 0 },
      responseType: 'text',
      maxResponseBytes: 32 * 1024 * 1024,
    });
    if (res.status === 401) throw new FirewallError('authenticate', `UserGate answered HTTP 401 to ${method}: check the user name and password`);
    if (res.status === 403) throw new FirewallError('authorize', `UserGate answered HTTP 403 to ${method}: allow XML-RPC for management in the zone's access control (and this host's address)`);
    if (res.status !== 200) throw new FirewallError('request', `UserGate answered HTTP ${res.status} to ${method}: is ${new URL(this.url).host} the XML-RPC port (4040 by default)?`);
    try {
      return decodeResponse(res.body);
    } catch (err) {
      if (err instanceof XmlRpcFormatError) throw new FirewallError('request', `UserGate's answer to ${method} is not XML-RPC (${err.message}): check the address and port`);
      if (!(err instanceof XmlRpcFault)) throw err;
      const words = `fault ${err.faultCode}: ${err.faultString.slice(0, 300)}`;
      if (method === 'v2.core.login') {
        throw new UsergateFault('authenticate', `UserGate refused the login (${words}): check the administrator name and password, and that its profile allows API access`, err.faultCode);
      }
      if (SESSION_FAULT.test(err.faultString)) throw new SessionExpiredError('UserGate');
      if (PERMISSION_FAULT.test(err.faultString)) {
        throw new UsergateFault('authorize', `UserGate denied ${method} (${words}): give the administrator profile API read+write on content, core, firewall and nlists`, err.faultCode);
      }
      throw new UsergateFault('request', `UserGate ${method} failed (${words})`, err.faultCode);
    }
  }

  async login(): Promise<UgSession> {
    const password = this.ctx.secrets.password;
    if (!password) throw new InvalidValueError('secrets.password', 'is not set');
    const status = await this.call('v2.core.node.status', []);
    if (isStruct(status) && status.status !== undefined && status.status !== 'work') {
      throw new FirewallError('connect', `UserGate node status is "${String(status.status)}", not "work": the node does not accept logins now`);
    }
    const out = await this.call('v2.core.login', [this.ctx.config.username, password, { origin: 'xdrhub' }]);
    if (!isStruct(out) || typeof out.auth_token !== 'string') throw new FirewallError('authenticate', 'UserGate answered the login without an auth_token');
    return { token: out.auth_token, version: typeof out.version === 'string' ? out.version : undefined };
  }

  async logout(s: UgSession): Promise<void> {
    await this.call('v2.core.logout', [s.token]);
  }
}

export function isStruct(v: XmlRpcValue): v is { [k: string]: XmlRpcValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function itemsOf(v: XmlRpcValue): { [k: string]: XmlRpcValue }[] {
  const items = isStruct(v) ? v.items : v;
  return Array.isArray(items) ? items.filter(isStruct) : [];
}
