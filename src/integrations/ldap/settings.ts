import { Type, type Static } from 'typebox';

/**
 * Settings of an Active Directory connection (SPEC.md §7, reference §6.2): domain controllers
 * tried in order, the TLS mode, the CA that issued the DCs' certificates, the bind account and
 * its password (write-only), the base DN and a timeout.
 */
export const TLS_MODES = ['ldaps', 'starttls', 'plain'] as const;
export type TlsMode = (typeof TLS_MODES)[number];

export const ldapConfigSchema = Type.Object(
  {
    domainControllers: Type.Array(Type.String({ minLength: 1, maxLength: 512 }), {
      minItems: 1,
      maxItems: 16,
      title: 'Domain controllers',
      description: 'host, host:port or ldap(s)://host:port, tried in this order (failover on connection and TLS failures)',
    }),
    tlsMode: Type.Union([Type.Literal('ldaps'), Type.Literal('starttls'), Type.Literal('plain')], {
      title: 'TLS mode',
      description: 'ldaps (port 636), starttls (port 389, then STARTTLS) or plain (no encryption: only with "Allow plain LDAP")',
      default: 'ldaps',
    }),
    allowInsecurePlain: Type.Boolean({
      default: false,
      title: 'Allow plain LDAP',
      description: 'Required for TLS mode "plain": the bind password then crosses the network in clear text, and password resets are refused',
    }),
    caCertificate: Type.Optional(Type.String({ maxLength: 50_000, title: 'CA certificate (PEM)', description: 'The CA that issued the domain controllers\' certificates' })),
    tlsServerName: Type.Optional(Type.String({ maxLength: 255, pattern: '^[A-Za-z0-9.-]+$', title: 'TLS server name', description: 'Name to expect in the DCs\' certificates when it differs from the address' })),
    bindAccount: Type.String({ minLength: 1, maxLength: 1024, title: 'Bind account', description: 'DN (CN=xdr,OU=Service,DC=corp,DC=example) or UPN (xdr@corp.example) of the account that acts' }),
    baseDn: Type.String({ minLength: 1, maxLength: 1024, title: 'Base DN', description: 'Where accounts are searched, e.g. DC=corp,DC=example' }),
    timeoutSeconds: Type.Integer({ minimum: 1, maximum: 120, default: 10, title: 'Timeout, seconds', description: 'Per connection attempt and per operation' }),
  },
  { additionalProperties: false },
);

export const ldapSecretsSchema = Type.Object(
  { bindPassword: Type.String({ minLength: 1, maxLength: 1024, title: 'Bind password', description: 'Password of the bind account (write-only)' }) },
  { additionalProperties: false },
);

export type LdapConfig = Static<typeof ldapConfigSchema>;
export type LdapSecrets = Static<typeof ldapSecretsSchema>;

export interface DcEndpoint {
  /** What ldapts connects to. */
  url: string;
  host: string;
  port: number;
  /** As the user wrote it, for messages. */
  label: string;
}

/** A settings mistake, found before any network call. */
export class LdapConfigError extends Error {
  override name = 'LdapConfigError';
}

/**
 * Turns the DC list into URLs for the TLS mode: a bare host gets the mode's port, and a scheme
 * that contradicts the mode (ldaps:// with starttls) is a settings error rather than a guess.
 */
export function endpointsOf(config: Pick<LdapConfig, 'domainControllers' | 'tlsMode' | 'allowInsecurePlain'>): DcEndpoint[] {
  if (config.tlsMode === 'plain' && config.allowInsecurePlain !== true) {
    throw new LdapConfigError('TLS mode "plain" sends the bind password in clear text: choose ldaps or starttls, or set "Allow plain LDAP" explicitly');
  }
  const scheme = config.tlsMode === 'ldaps' ? 'ldaps' : 'ldap';
  const defaultPort = config.tlsMode === 'ldaps' ? 636 : 389;
  return config.domainControllers.map((raw) => {
    const label = raw.trim();
    const withScheme = /^[a-z]+:\/\//i.test(label) ? label : `${scheme}://${label}`;
    let url: URL;
    try {
      url = new URL(withScheme);
    } catch {
      throw new LdapConfigError(`domain controller "${label}" is not a host, host:port or ldap(s):// URL`);
    }
    const given = url.protocol.replace(/:$/, '').toLowerCase();
    if (given !== 'ldap' && given !== 'ldaps') throw new LdapConfigError(`domain controller "${label}": use ldap:// or ldaps://`);
    if (given !== scheme) {
      throw new LdapConfigError(`domain controller "${label}" uses ${given}:// but the TLS mode is ${config.tlsMode}: make them agree (ldaps:// for ldaps, ldap:// for starttls or plain)`);
    }
    if ((url.pathname && url.pathname !== '/') || url.search || url.username) throw new LdapConfigError(`domain controller "${label}": give only a host and port`);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (!host) throw new LdapConfigError(`domain controller "${label}" has no host`);
    const port = url.port ? Number(url.port) : defaultPort;
    const hostPart = host.includes(':') ? `[${host}]` : host;
    return { url: `${scheme}://${hostPart}:${port}`, host, port, label };
  });
}
