import type { ConnectorContext } from '../framework/contract.ts';
import { FirewallError } from '../firewall-common/errors.ts';
import { baseUrlOf, tlsOf } from '../firewall-common/settings.ts';
import { InvalidValueError } from '../firewall-common/values.ts';
import { DEFAULT_PORT, type SophosConfig, type SophosSecrets } from './settings.ts';
import { asArray, buildXml, isNode, parseXml, text, type XmlNode } from './xml.ts';

/**
 * The Sophos Firewall XML API (reference §11.2): POST /webconsole/APIController with the form
 * field `reqxml`. There is no session: every request carries <Login>, and the answer says
 * "Authentication Successful" or not before any per-entity <Status code=…>.
 */
export type Ctx = ConnectorContext<SophosConfig, SophosSecrets>;

export interface EntityStatus {
  tag: string;
  transactionId: string;
  code: number;
  message: string;
}

export class SophosClient {
  readonly url: string;
  constructor(private readonly ctx: Ctx) {
    this.url = `${baseUrlOf(ctx.config.address, DEFAULT_PORT)}/webconsole/APIController`;
  }

  /** One request: `operations` are the children of <Request> after <Login> (Get, Set, Remove). */
  async send(operations: XmlNode): Promise<XmlNode> {
    const password = this.ctx.secrets.password;
    if (!password) throw new InvalidValueError('secrets.password', 'is not set');
    const reqxml = buildXml({ Request: { '@_APIVersion': this.ctx.config.apiVersion, Login: { Username: this.ctx.config.username, Password: password }, ...operations } });
    const res = await this.ctx.http.request<string>({
      method: 'POST',
      url: this.url,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ reqxml }).toString(),
      timeoutMs: this.ctx.config.timeoutSeconds * 1000,
      tls: tlsOf(this.ctx.config),
      retry: { retries: 0 },
      responseType: 'text',
      maxResponseBytes: 32 * 1024 * 1024,
    });
    if (res.status !== 200) throw new FirewallError('request', `Sophos answered HTTP ${res.status}: is ${new URL(this.url).host} the web admin port (4444 by default)?`);
    let doc: XmlNode;
    try {
      doc = parseXml(res.body);
    } catch (err) {
      throw new FirewallError('request', `Sophos's answer is not XML (${(err as Error).message.split('\n')[0]}): check the address`);
    }
    const response = doc.Response;
    if (!isNode(response)) throw new FirewallError('request', 'the answer is not a Sophos XML API <Response>: check the address');
    // A request-level status: the API is off, or this host is not in its allowed list.
    const top = asArray(response.Status).map((s) => ({ code: Number(isNode(s) ? s['@_code'] : 0), message: text(s) }));
    const refused = top.find((s) => s.code !== 200);
    if (refused) {
      const stage = refused.code === 534 || /not allowed|disabled/i.test(refused.message) ? 'authorize' : 'request';
      throw new FirewallError(stage, `Sophos refused the request (${refused.code}: ${refused.message.slice(0, 200)})${stage === 'authorize' ? ': enable the API and add xdrhub\'s address to its allowed IPs (Backup & firmware → API)' : ''}`, refused.code);
    }
    const login = isNode(response.Login) ? text(response.Login.status) : '';
    if (!/^Authentication Successful/i.test(login)) {
      throw new FirewallError('authenticate', `Sophos refused the login (${login || 'no login status'}): check the API administrator's user name and password`, 'login');
    }
    return response;
  }

  /** Per-entity statuses of a Set/Remove answer, in the order they were sent. */
  statuses(response: XmlNode, tag: string): EntityStatus[] {
    return asArray(response[tag])
      .filter(isNode)
      .flatMap((e) => asArray(e.Status).map((s) => ({ tag, transactionId: String(e['@_transactionid'] ?? ''), code: Number(isNode(s) ? s['@_code'] : 0), message: text(s) })));
  }

  /** Objects of one type whose Name equals `name`. */
  async getByName(tag: string, name: string): Promise<XmlNode | null> {
    const response = await this.send({ Get: { [tag]: { Filter: { key: { '@_name': 'Name', '@_criteria': '=', '#text': name } } } } });
    return asArray(response[tag]).filter(isNode).find((e) => text(e.Name) === name) ?? null;
  }

  /** Throws for the first status that is not 200 (unless `accept` takes it). */
  expectOk(statuses: EntityStatus[], what: string, accept: (s: EntityStatus) => boolean = () => false): void {
    const bad = statuses.find((s) => s.code !== 200 && !accept(s));
    if (bad) throw new FirewallError('request', `Sophos could not ${what} (${bad.code}: ${bad.message.slice(0, 200)})`, bad.code);
  }
}
