import { AndFilter, EqualityFilter, OrFilter, type Filter } from 'ldapts';

/**
 * Which attribute an account identifier is, and the search filter that finds exactly that
 * account. Values never pass through a filter *string*: ldapts' filter classes put them in the
 * request as raw octets, so `*`, parentheses, backslashes and NUL match only themselves
 * (RFC 4515 escaping is applied when a filter is rendered with `toString()`, for logs).
 */
export type IdentifierKind = 'sid' | 'upnOrEmail' | 'downLevel' | 'sAMAccountName';

export interface AccountQuery {
  kind: IdentifierKind;
  /** The value searched for (the user part of DOMAIN\user). */
  value: string;
  filter: Filter;
}

const SID = /^S-1-(\d{1,15})((?:-\d{1,10}){1,15})$/i;

export class IdentifierError extends Error {
  override name = 'IdentifierError';
}

/** S-1-5-21-… → the binary form AD stores in objectSid (MS-DTYP 2.4.2). */
export function sidToBuffer(sid: string): Buffer {
  const m = SID.exec(sid.trim());
  if (!m) throw new IdentifierError(`"${sid}" is not a SID (S-1-…)`);
  const authority = BigInt(m[1]);
  if (authority >= 2n ** 48n) throw new IdentifierError(`SID authority of "${sid}" is out of range`);
  const subs = m[2].slice(1).split('-').map(Number);
  if (subs.some((s) => s > 0xffffffff)) throw new IdentifierError(`a sub-authority of "${sid}" is out of range`);
  const out = Buffer.alloc(8 + subs.length * 4);
  out[0] = 1;
  out[1] = subs.length;
  for (let i = 0; i < 6; i++) out[2 + i] = Number((authority >> BigInt(8 * (5 - i))) & 0xffn);
  subs.forEach((s, i) => out.writeUInt32LE(s, 8 + i * 4));
  return out;
}

/** The binary objectSid → S-1-…, for output. */
export function sidToString(buf: Buffer): string {
  if (buf.length < 8 || buf[0] !== 1 || buf.length !== 8 + buf[1] * 4) throw new IdentifierError('not a binary SID');
  let authority = 0n;
  for (let i = 0; i < 6; i++) authority = (authority << 8n) | BigInt(buf[2 + i]);
  const subs: number[] = [];
  for (let i = 0; i < buf[1]; i++) subs.push(buf.readUInt32LE(8 + i * 4));
  return `S-1-${authority}${subs.map((s) => `-${s}`).join('')}`;
}

const person = () => [new EqualityFilter({ attribute: 'objectCategory', value: 'person' }), new EqualityFilter({ attribute: 'objectClass', value: 'user' })];

/**
 * Detects the identifier kind: a SID (S-1-…), a UPN or e-mail (contains @; both attributes are
 * searched since they often differ), DOMAIN\user (down-level logon name), else sAMAccountName.
 */
export function accountQuery(raw: string): AccountQuery {
  const value = raw.trim();
  if (!value) throw new IdentifierError('the account identifier is empty');
  if (value.length > 1024) throw new IdentifierError('the account identifier is longer than 1024 characters');
  // No AD naming attribute holds control characters, and a DC compares values as C strings:
  // "alice\0" would match alice. Refuse rather than let a NUL truncate the value.
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new IdentifierError('the account identifier contains control characters (such as NUL): no account has them');
  if (SID.test(value)) {
    return { kind: 'sid', value, filter: new AndFilter({ filters: [...person(), new EqualityFilter({ attribute: 'objectSid', value: sidToBuffer(value) })] }) };
  }
  if (value.includes('@')) {
    const either = new OrFilter({ filters: [new EqualityFilter({ attribute: 'userPrincipalName', value }), new EqualityFilter({ attribute: 'mail', value })] });
    return { kind: 'upnOrEmail', value, filter: new AndFilter({ filters: [...person(), either] }) };
  }
  const slash = value.indexOf('\\');
  // DOMAIN\user: a NetBIOS domain has no dots or spaces and is at most 15 characters.
  if (slash > 0 && slash <= 15 && /^[A-Za-z0-9-]+$/.test(value.slice(0, slash)) && slash < value.length - 1) {
    const user = value.slice(slash + 1);
    return { kind: 'downLevel', value: user, filter: new AndFilter({ filters: [...person(), new EqualityFilter({ attribute: 'sAMAccountName', value: user })] }) };
  }
  return { kind: 'sAMAccountName', value, filter: new AndFilter({ filters: [...person(), new EqualityFilter({ attribute: 'sAMAccountName', value })] }) };
}

/** How the found entry matched, for output: 'upn' or 'email' rather than the ambiguous kind. */
export function matchedBy(query: AccountQuery, entry: { userPrincipalName?: unknown; mail?: unknown }): string {
  if (query.kind !== 'upnOrEmail') return query.kind === 'downLevel' ? 'sAMAccountName' : query.kind;
  const lower = query.value.toLowerCase();
  return String(entry.userPrincipalName ?? '').toLowerCase() === lower ? 'upn' : 'email';
}
