import ipaddr from 'ipaddr.js';
import { Type, type Static } from 'typebox';
import ssh2 from 'ssh2';
import { invalidField } from '../../platform/errors.ts';
import { parseHostKey, type PinnedHostKey } from './hostkey.ts';

/**
 * Settings of a script host (SPEC.md §8, reference §5.2): where it is, how we recognise it (its
 * pinned public key) and how we log in (a password, or a private key with an optional
 * passphrase — exactly one). Continent 4 and SKDPU NT reuse these properties as they are.
 */

export const HOSTNAME = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

export const sshConfigProperties = {
  host: Type.String({ minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9.:-]+$', title: 'Host', description: 'Host name or IP address of the script host' }),
  port: Type.Integer({ minimum: 1, maximum: 65535, default: 22, title: 'Port' }),
  verifyHostKey: Type.Boolean({
    default: true,
    title: 'Verify the host before connecting',
    description: 'Refuse to connect (before sending any credential) unless the host presents the public key below',
  }),
  hostKey: Type.Optional(Type.String({
    maxLength: 16_384,
    title: 'Host public key',
    description: 'OpenSSH line, e.g. "ssh-ed25519 AAAA…" (use "Fetch host key" and confirm its SHA256 fingerprint with the host\'s administrator)',
  })),
  username: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._][A-Za-z0-9._@\\\\-]*$', title: 'User name', description: 'Account the scripts run as' }),
  maxParallelRuns: Type.Integer({ minimum: 1, maximum: 64, default: 16, title: 'Parallel runs', description: 'Scripts running at once on this host; more wait their turn' }),
  connectTimeoutSeconds: Type.Integer({ minimum: 1, maximum: 120, default: 15, title: 'Connect timeout, seconds', description: 'For the TCP connection, the key exchange and the login' }),
};

export const sshSecretsProperties = {
  password: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, writeOnly: true, title: 'Password', description: 'Password of the user (write-only); leave empty when using a private key' })),
  privateKey: Type.Optional(Type.String({ minLength: 1, maxLength: 32_768, writeOnly: true, title: 'Private key', description: 'OpenSSH or PEM private key, RSA or ed25519 (write-only); leave empty when using a password' })),
  passphrase: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, writeOnly: true, title: 'Key passphrase', description: 'Only if the private key is encrypted (write-only)' })),
};

export const sshConfigSchema = Type.Object(sshConfigProperties, { additionalProperties: false });
export const sshSecretsSchema = Type.Object(sshSecretsProperties, { additionalProperties: false });

export type SshConfig = Static<typeof sshConfigSchema>;
export type SshSecrets = Static<typeof sshSecretsSchema>;

export type SshAuth = { kind: 'password'; password: string } | { kind: 'privateKey'; privateKey: string; passphrase?: string };

/** Everything needed to open a connection, validated. */
export interface SshEndpoint {
  host: string;
  port: number;
  username: string;
  auth: SshAuth;
  /** The key the host must present; undefined when verification is off. */
  pinned?: PinnedHostKey;
  connectTimeoutMs: number;
  maxParallelRuns: number;
}

/** A host name or an IP address (IPv6 without brackets); anything else is a settings error. */
export function validHost(raw: string): string {
  const host = raw.trim();
  if (ipaddr.isValid(host)) {
    // ipaddr accepts shorthand like "1.2.3" or "0x7f.1"; only the usual forms are allowed.
    if (host.includes(':') || ipaddr.IPv4.isValidFourPartDecimal(host)) return host;
    throw invalidField('config.host', `"${host}" is not a dotted-quad IPv4 address: write all four parts`);
  }
  if (HOSTNAME.test(host) && !/^[0-9.]+$/.test(host)) return host;
  throw invalidField('config.host', `"${host}" is not a host name or an IP address`);
}

/**
 * Turns stored settings into an endpoint, or throws a 400 naming the field to fix. Called by
 * check and by every action, since the framework validates each field alone and these rules
 * span fields (exactly one login method, a pinned key when verification is on).
 */
export function resolveEndpoint(config: SshConfig, secrets: Partial<SshSecrets>): SshEndpoint {
  const host = validHost(config.host);
  let pinned: PinnedHostKey | undefined;
  if (config.verifyHostKey !== false) {
    if (!config.hostKey?.trim()) throw invalidField('config.hostKey', 'is required while "Verify the host before connecting" is on: fetch the host key, confirm its fingerprint and save it');
    try {
      pinned = parseHostKey(config.hostKey);
    } catch (err) {
      throw invalidField('config.hostKey', (err as Error).message);
    }
  } else if (config.hostKey?.trim()) {
    // A key saved but not used is a trap: say so instead of silently ignoring it.
    try {
      parseHostKey(config.hostKey);
    } catch (err) {
      throw invalidField('config.hostKey', (err as Error).message);
    }
  }
  return {
    host,
    port: config.port ?? 22,
    username: config.username,
    auth: resolveAuth(secrets),
    pinned,
    connectTimeoutMs: (config.connectTimeoutSeconds ?? 15) * 1000,
    maxParallelRuns: config.maxParallelRuns ?? 16,
  };
}

/** Exactly one login method: a password, or a private key (decrypted by the passphrase if any). */
export function resolveAuth(secrets: Partial<SshSecrets>): SshAuth {
  const { password, privateKey, passphrase } = secrets;
  if (password && privateKey) throw invalidField('secrets', 'both a password and a private key are set: remove the one you do not use');
  if (!password && !privateKey) throw invalidField('secrets', 'set a password or a private key to log in with');
  if (password) {
    if (passphrase) throw invalidField('secrets.passphrase', 'is only used with a private key: remove it');
    return { kind: 'password', password };
  }
  const parsed = ssh2.utils.parseKey(privateKey!, passphrase);
  if (parsed instanceof Error) {
    const msg = parsed.message;
    if (/passphrase/i.test(msg) && !passphrase) throw invalidField('secrets.passphrase', 'the private key is encrypted: add its passphrase');
    if (/passphrase|decrypt/i.test(msg)) throw invalidField('secrets.passphrase', 'does not decrypt the private key: replace it');
    throw invalidField('secrets.privateKey', 'is not an OpenSSH or PEM private key (RSA or ed25519): paste the whole key file');
  }
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key?.isPrivateKey()) throw invalidField('secrets.privateKey', 'is a public key: paste the private key file instead');
  return { kind: 'privateKey', privateKey: privateKey!, passphrase };
}
