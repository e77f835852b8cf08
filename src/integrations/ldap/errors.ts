import { ResultCodeError } from 'ldapts';
import { OutboundError, classifyNetworkError } from '../../platform/outbound/index.ts';

/**
 * AD's answers in words that say what to do. LDAP result codes come with a diagnostic text; for
 * a failed bind (49) its "data XXX" part tells why (MS-ADTS / KB 2000 list). Everything maps
 * onto the platform's OutboundError so checks report a stage and response history shows the
 * message. Messages name the DC and the account, never a password.
 */

/** The `data 52e` part of AD's diagnostic message for code 49. */
export function adDataCode(err: unknown): string | undefined {
  const m = /\bdata ([0-9a-f]{2,8})\b/i.exec((err as Error)?.message ?? '');
  return m?.[1].toLowerCase();
}

export function resultCode(err: unknown): number | undefined {
  return err instanceof ResultCodeError ? err.code : undefined;
}

const BIND_REASONS: Record<string, string> = {
  '525': 'the account does not exist: check the bind account (DN or UPN)',
  '52e': 'the user name or password is wrong: check the bind account and replace the password',
  '530': 'the account may not log on at this time of day: widen its logon hours',
  '531': 'the account may not log on from this workstation: allow it in "Log On To"',
  '532': 'the account\'s password has expired: set a new password and update it here',
  '533': 'the account is disabled: enable it in Active Directory',
  '701': 'the account has expired: extend its expiry date in Active Directory',
  '773': 'the account must change its password at next logon: set a new password and update it here',
  '775': 'the account is locked out: unlock it in Active Directory (too many wrong passwords)',
};

/** Why a bind as `who` failed, in words; used for the service account and in tests for users. */
export function describeBindFailure(err: unknown, who: string, dc: string): OutboundError {
  const data = adDataCode(err);
  const reason = (data && BIND_REASONS[data]) ?? 'the credentials were refused: check the bind account and password';
  return new OutboundError('auth', `${dc} refused the bind as ${who} (LDAP 49${data ? `, data ${data}` : ''}): ${reason}`);
}

const NETWORK_CODES = /^(E[A-Z]+|ERR_TLS_.*|ERR_SSL_.*|CERT_.*|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_.*)$/;

/** A failure before any LDAP answer: refused, unreachable, TLS, timeout. */
export function isNetworkFailure(err: unknown): boolean {
  const e = err as { code?: unknown; message?: string };
  if (typeof e?.code === 'string' && NETWORK_CODES.test(e.code)) return true;
  return /Connection timeout|socket hang up|Connection closed|closed before/i.test(e?.message ?? '');
}

/** A network failure talking to `dc`, classified by the platform's taxonomy. */
export function networkError(err: unknown, dc: string, timedOut = false): OutboundError {
  if (/Connection timeout/i.test((err as Error)?.message ?? '')) timedOut = true;
  return classifyNetworkError(err, { host: dc, timedOut });
}

/**
 * Any other LDAP failure of an operation (`what`, e.g. "disabling alice"): rights, policy, a
 * missing object. Codes an action treats as success (68, 16/53) are handled before this.
 */
export function operationError(err: unknown, what: string, dc: string): OutboundError {
  if (err instanceof OutboundError) return err;
  const code = resultCode(err);
  if (code === undefined) return isNetworkFailure(err) ? networkError(err, dc) : new OutboundError('permanent', `${what} failed on ${dc}: ${(err as Error)?.message ?? 'unknown error'}`);
  switch (code) {
    case 50:
      return new OutboundError('forbidden', `${what}: ${dc} denied it (LDAP 50, insufficient access rights): delegate this right on the account's OU to the bind account`);
    case 19:
      return new OutboundError('invalid', `${what}: the domain's password policy refused the new password (LDAP 19, constraint violation): use a longer, more complex password that was not used recently`);
    case 8:
      return new OutboundError('forbidden', `${what}: ${dc} requires a stronger authentication (LDAP 8): use the ldaps or starttls TLS mode`, { stage: 'tls' });
    case 13:
      return new OutboundError('forbidden', `${what}: ${dc} requires an encrypted connection (LDAP 13): use the ldaps or starttls TLS mode`, { stage: 'tls' });
    case 32:
      return new OutboundError('notFound', `${what}: ${dc} has no such object (LDAP 32): check the DN`);
    case 34:
      return new OutboundError('invalid', `${what}: the DN is not valid (LDAP 34): check its syntax, e.g. CN=Team,OU=Groups,DC=corp,DC=example`);
    case 49:
      return describeBindFailure(err, 'the bind account', dc);
    case 51:
    case 52:
      return new OutboundError('transient', `${what}: ${dc} is busy or unavailable (LDAP ${code}): try again`);
    case 53:
      return new OutboundError('permanent', `${what}: ${dc} is unwilling to perform it (LDAP 53): ${(err as Error).message.replace(/\s*Code: 0x[0-9a-f]+$/i, '')}`);
    case 3:
      return new OutboundError('timeout', `${what}: ${dc} exceeded the time limit (LDAP 3): narrow the base DN or raise the timeout`);
    default:
      return new OutboundError('permanent', `${what} failed on ${dc} (LDAP ${code}): ${(err as Error).message.replace(/\s*Code: 0x[0-9a-f]+$/i, '')}`);
  }
}
