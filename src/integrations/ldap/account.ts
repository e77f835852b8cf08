import { ResultCodeError } from 'ldapts';
import type { ActionResult, ActionTarget } from '../framework/contract.ts';
import { OutboundError } from '../../platform/outbound/index.ts';
import { modify, search, withSession, type Ctx, type LdapSession } from './client.ts';
import { operationError } from './errors.ts';
import { IdentifierError, accountQuery, matchedBy, sidToString, type AccountQuery } from './identity.ts';
import { randomPassword, unicodePwd } from './password.ts';

/**
 * The account actions on Active Directory (reference §6.3): find the account under the base DN,
 * then read or change userAccountControl, unicodePwd, pwdLastSet or a group's member attribute.
 */
export const UAC = {
  ACCOUNTDISABLE: 0x2,
  LOCKOUT: 0x10,
  PASSWD_NOTREQD: 0x20,
  PASSWD_CANT_CHANGE: 0x40,
  NORMAL_ACCOUNT: 0x200,
  DONT_EXPIRE_PASSWORD: 0x10000,
  SMARTCARD_REQUIRED: 0x40000,
  PASSWORD_EXPIRED: 0x800000,
} as const;

const ACCOUNT_ATTRIBUTES = [
  'distinguishedName', 'sAMAccountName', 'userPrincipalName', 'mail', 'displayName', 'givenName', 'sn', 'title', 'department',
  'company', 'manager', 'telephoneNumber', 'description', 'objectSid', 'objectGUID', 'userAccountControl', 'memberOf',
  'primaryGroupID', 'pwdLastSet', 'lastLogonTimestamp', 'lockoutTime', 'accountExpires', 'whenCreated', 'whenChanged',
];
const BINARY = ['objectSid', 'objectGUID'];

export interface FoundAccount {
  dn: string;
  query: AccountQuery;
  entry: Record<string, unknown>;
  uac: number;
}

/** The account identifier of a target: its value, else the usual attribute names. */
function identifierOf(target: ActionTarget): string {
  const a = target.attributes ?? {};
  const v = target.value || [a.sAMAccountName, a.login, a.userPrincipalName, a.email, a.sid].find((x) => typeof x === 'string' && x);
  if (typeof v !== 'string' || !v.trim()) throw new OutboundError('invalid', 'the target has no account identifier (sAMAccountName, UPN, e-mail or SID)');
  return v;
}

function queryOf(target: ActionTarget): AccountQuery {
  try {
    return accountQuery(identifierOf(target));
  } catch (err) {
    if (err instanceof IdentifierError) throw new OutboundError('invalid', err.message);
    throw err;
  }
}

const one = (v: unknown): string | undefined => (Array.isArray(v) ? (v[0] as string | undefined) : (v as string | undefined)) || undefined;
const many = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : v === undefined || v === '' ? [] : [String(v)]);

/** Finds exactly one account, or undefined; two matches are an error, never a guess. */
async function find(session: LdapSession, ctx: Ctx, query: AccountQuery, attributes = ACCOUNT_ATTRIBUTES): Promise<FoundAccount | undefined> {
  let entries: Record<string, unknown>[];
  try {
    entries = await search(session, ctx.config.baseDn, query.filter, { attributes, sizeLimit: 2, binary: BINARY });
  } catch (err) {
    if (err instanceof ResultCodeError && err.code === 4) entries = [{}, {}];
    else if (err instanceof ResultCodeError && err.code === 32) throw new OutboundError('notFound', `the base DN ${ctx.config.baseDn} does not exist on ${session.dc.label}: check the base DN`);
    else throw operationError(err, 'searching for the account', session.dc.label);
  }
  if (entries.length > 1) throw new OutboundError('invalid', `more than one account matches ${query.kind} "${query.value}": use the sAMAccountName or SID`);
  const entry = entries[0];
  if (!entry) return undefined;
  return { dn: String(entry.dn), query, entry, uac: Number(one(entry.userAccountControl) ?? 0) };
}

async function mustFind(session: LdapSession, ctx: Ctx, query: AccountQuery): Promise<FoundAccount> {
  const found = await find(session, ctx, query, ['sAMAccountName', 'userPrincipalName', 'mail', 'displayName', 'userAccountControl']);
  if (!found) throw new OutboundError('notFound', `no account with ${query.kind === 'upnOrEmail' ? 'UPN or e-mail' : query.kind} "${query.value}" under ${ctx.config.baseDn}`);
  return found;
}

/** AD FILETIME (100 ns since 1601) → ISO; 0 and "never" → null. */
export function fileTime(v: unknown): string | null {
  const s = one(v);
  if (!s || s === '0' || s === '9223372036854775807') return null;
  const ms = Number(BigInt(s) / 10_000n) - 11_644_473_600_000;
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

function guidToString(b: Buffer): string {
  const h = b.toString('hex');
  const sw = (s: string) => s.match(/../g)!.reverse().join('');
  return `${sw(h.slice(0, 8))}-${sw(h.slice(8, 12))}-${sw(h.slice(12, 16))}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const cnOf = (dn: string) => /^CN=((?:\\.|[^,])+)/i.exec(dn)?.[1].replace(/\\(.)/g, '$1') ?? dn;

function uacFlags(uac: number): string[] {
  return Object.entries(UAC).filter(([, bit]) => (uac & bit) !== 0).map(([name]) => name);
}

function describe(found: FoundAccount, dc: string) {
  const e = found.entry;
  const sid = e.objectSid;
  const guid = e.objectGUID;
  const pwdLastSet = one(e.pwdLastSet);
  return {
    found: true,
    matchedBy: matchedBy(found.query, { userPrincipalName: one(e.userPrincipalName), mail: one(e.mail) }),
    dn: found.dn,
    sAMAccountName: one(e.sAMAccountName) ?? null,
    userPrincipalName: one(e.userPrincipalName) ?? null,
    mail: one(e.mail) ?? null,
    displayName: one(e.displayName) ?? null,
    givenName: one(e.givenName) ?? null,
    surname: one(e.sn) ?? null,
    title: one(e.title) ?? null,
    department: one(e.department) ?? null,
    company: one(e.company) ?? null,
    manager: one(e.manager) ?? null,
    telephoneNumber: one(e.telephoneNumber) ?? null,
    description: one(e.description) ?? null,
    sid: Buffer.isBuffer(sid) ? sidToString(sid) : Array.isArray(sid) && Buffer.isBuffer(sid[0]) ? sidToString(sid[0]) : null,
    guid: Buffer.isBuffer(guid) && guid.length === 16 ? guidToString(guid) : null,
    enabled: (found.uac & UAC.ACCOUNTDISABLE) === 0,
    lockedOut: Number(one(e.lockoutTime) ?? 0) > 0,
    mustChangePassword: pwdLastSet === '0',
    userAccountControl: found.uac,
    flags: uacFlags(found.uac),
    groups: many(e.memberOf).map((dn) => ({ dn, name: cnOf(dn) })),
    primaryGroupId: Number(one(e.primaryGroupID) ?? 0) || null,
    pwdLastSet: fileTime(pwdLastSet),
    lastLogon: fileTime(e.lastLogonTimestamp),
    accountExpires: fileTime(e.accountExpires),
    whenCreated: one(e.whenCreated) ?? null,
    domainController: dc,
  };
}

export async function lookup(ctx: Ctx, target: ActionTarget): Promise<ActionResult> {
  const query = queryOf(target);
  return withSession(ctx, async (s) => {
    const found = await find(s, ctx, query);
    if (!found) {
      return {
        summary: `no account with ${query.kind === 'upnOrEmail' ? 'UPN or e-mail' : query.kind} "${query.value}" in Active Directory`,
        output: { found: false, identifier: query.value, identifierKind: query.kind, baseDn: ctx.config.baseDn, domainController: s.dc.label },
      };
    }
    const out = describe(found, s.dc.label);
    return { summary: `${out.sAMAccountName} (${out.enabled ? 'enabled' : 'disabled'}${out.lockedOut ? ', locked out' : ''}), member of ${out.groups.length} group(s)`, output: out };
  });
}

/** Block and unblock: one bit of userAccountControl; a repeat is a success that says so. */
export async function setDisabled(ctx: Ctx, target: ActionTarget, disabled: boolean): Promise<ActionResult> {
  const query = queryOf(target);
  return withSession(ctx, async (s) => {
    const found = await mustFind(s, ctx, query);
    const name = one(found.entry.sAMAccountName) ?? found.dn;
    const was = (found.uac & UAC.ACCOUNTDISABLE) !== 0;
    const base = { dn: found.dn, sAMAccountName: name, previousUserAccountControl: found.uac, domainController: s.dc.label };
    if (was === disabled) {
      return { summary: `${name} was already ${disabled ? 'blocked' : 'enabled'}`, output: { ...base, userAccountControl: found.uac, changed: false } };
    }
    const uac = disabled ? found.uac | UAC.ACCOUNTDISABLE : found.uac & ~UAC.ACCOUNTDISABLE;
    try {
      await modify(s, found.dn, [{ op: 'replace', attribute: 'userAccountControl', values: [String(uac)] }]);
    } catch (err) {
      throw operationError(err, `${disabled ? 'blocking' : 'unblocking'} ${name}`, s.dc.label);
    }
    return { summary: `${name} ${disabled ? 'blocked (account disabled)' : 'unblocked (account enabled)'}`, output: { ...base, userAccountControl: uac, changed: true } };
  });
}

export interface ResetParams {
  password?: string;
  mustChangeAtNextLogon?: boolean;
  length?: number;
}

/**
 * Sets a new password. AD accepts unicodePwd only over an encrypted connection, but Samba (and
 * a DC with weakened settings) may take it in clear text: this client refuses by itself unless
 * the socket the request goes out on is TLS. The password is never returned or logged.
 */
export async function resetPassword(ctx: Ctx, target: ActionTarget, params: ResetParams): Promise<ActionResult> {
  if (ctx.config.tlsMode === 'plain') {
    throw new OutboundError('forbidden', 'password reset refused: the connection to Active Directory is plain LDAP, which would send the new password in clear text; switch the TLS mode to ldaps or starttls', { stage: 'tls' });
  }
  const query = queryOf(target);
  return withSession(ctx, async (s) => {
    const found = await mustFind(s, ctx, query);
    const name = one(found.entry.sAMAccountName) ?? found.dn;
    const generated = !params.password;
    const password = params.password ?? randomPassword(params.length ?? 24, [name, one(found.entry.displayName) ?? '']);
    if (!s.encrypted) {
      throw new OutboundError('forbidden', `password reset refused: the connection to ${s.dc.label} is not encrypted; use ldaps or starttls`, { stage: 'tls' });
    }
    try {
      await modify(s, found.dn, [{ op: 'replace', attribute: 'unicodePwd', values: [unicodePwd(password)] }]);
    } catch (err) {
      throw operationError(err, `resetting the password of ${name}`, s.dc.label);
    }
    // pwdLastSet=0 is AD's "must change password at next logon". A separate modify: in the same
    // request the DC stamps pwdLastSet with the reset time after applying our 0.
    if (params.mustChangeAtNextLogon) {
      try {
        await modify(s, found.dn, [{ op: 'replace', attribute: 'pwdLastSet', values: ['0'] }]);
      } catch (err) {
        throw operationError(err, `the password of ${name} was reset, but requiring a change at next logon`, s.dc.label);
      }
    }
    const must = params.mustChangeAtNextLogon === true;
    return {
      summary: `password of ${name} reset${generated ? ' to a random one' : ''}${must ? '; must change at next logon' : ''}`,
      output: { dn: found.dn, sAMAccountName: name, generated, mustChangeAtNextLogon: must, domainController: s.dc.label },
    };
  });
}

/** groupType's GROUP_TYPE_SECURITY_ENABLED bit (MS-ADTS 2.2.12): set on security groups only. */
export const GROUP_TYPE_SECURITY_ENABLED = 0x80000000;

/**
 * The group must be an AD security group: a distribution list, or a DN that is not a group at
 * all (a user, an OU), would take a `member` change or fail obscurely, and grant no access
 * either way — so a quarantine group mistyped as a mailing list would "succeed" and do nothing.
 */
async function mustBeSecurityGroup(s: LdapSession, groupDn: string): Promise<void> {
  let entry: Record<string, unknown> | undefined;
  try {
    [entry] = await search(s, groupDn, '(objectClass=*)', { scope: 'base', attributes: ['objectClass', 'groupType'] });
  } catch (err) {
    const code = err instanceof ResultCodeError ? err.code : undefined;
    if (code === 32) throw new OutboundError('notFound', `no group ${groupDn} on ${s.dc.label}: check the group DN`);
    throw operationError(err, `reading the group ${groupDn}`, s.dc.label);
  }
  if (!entry) throw new OutboundError('notFound', `no group ${groupDn} on ${s.dc.label}: check the group DN`);
  if (!many(entry.objectClass).some((c) => c.toLowerCase() === 'group')) {
    throw new OutboundError('invalid', `${groupDn} is not a group: give the DN of a security group`);
  }
  const groupType = Number(one(entry.groupType) ?? 0);
  if ((groupType & GROUP_TYPE_SECURITY_ENABLED) === 0) {
    throw new OutboundError('invalid', `${groupDn} is a distribution group, which grants no access: give the DN of a security group`);
  }
}

/** Adds or removes the account in a security group by the group's member attribute; repeats succeed. */
export async function changeGroup(ctx: Ctx, target: ActionTarget, groupDn: string, add: boolean): Promise<ActionResult> {
  const query = queryOf(target);
  return withSession(ctx, async (s) => {
    const found = await mustFind(s, ctx, query);
    await mustBeSecurityGroup(s, groupDn);
    const name = one(found.entry.sAMAccountName) ?? found.dn;
    const group = cnOf(groupDn);
    const base = { dn: found.dn, sAMAccountName: name, groupDn, domainController: s.dc.label };
    try {
      await modify(s, groupDn, [{ op: add ? 'add' : 'delete', attribute: 'member', values: [found.dn] }]);
    } catch (err) {
      const code = err instanceof ResultCodeError ? err.code : undefined;
      // 68 entryAlreadyExists (20 on some DCs): already a member. 53 or 16 on delete: not one.
      if (add && (code === 68 || code === 20)) return { summary: `${name} was already a member of ${group}`, output: { ...base, changed: false } };
      if (!add && (code === 53 || code === 16)) return { summary: `${name} was not a member of ${group}`, output: { ...base, changed: false } };
      if (code === 32) throw new OutboundError('notFound', `no group ${groupDn} on ${s.dc.label}: check the group DN`);
      throw operationError(err, `${add ? 'adding' : 'removing'} ${name} ${add ? 'to' : 'from'} ${group}`, s.dc.label);
    }
    return { summary: `${name} ${add ? 'added to' : 'removed from'} ${group}`, output: { ...base, changed: true } };
  });
}
