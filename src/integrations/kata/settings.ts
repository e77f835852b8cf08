import ipaddr from 'ipaddr.js';
import { Type, type Static } from 'typebox';

/**
 * Settings of one KATA/KEDR connection (SPEC.md §5, reference §4.1). The identity (XDR ID,
 * client certificate and its fingerprint) is public and lives in config so the user can copy it
 * to the KATA administrator; the private key is the one secret. `observedServerFingerprint` is
 * written by the connector itself (trust on first use).
 */
const FINGERPRINT = '^(?:[0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$|^[0-9A-Fa-f]{64}$';
const UUID = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

export const KEY_ALGORITHMS = ['ecdsaP256', 'rsa2048'] as const;
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

export const kataConfigSchema = Type.Object(
  {
    host: Type.String({
      minLength: 1,
      maxLength: 255,
      // Characters of a host name, an IPv4 or an IPv6 address (with or without brackets); the
      // address itself is checked with ipaddr.js by parseHost.
      pattern: '^[A-Za-z0-9.:\\-\\[\\]%_]+$',
      title: 'Central Node host',
      description: 'Host name, IPv4 or IPv6 address of the KATA/KEDR Central Node',
    }),
    port: Type.Integer({ minimum: 1, maximum: 65535, default: 443, title: 'Port' }),
    caCertificate: Type.Optional(Type.String({ maxLength: 20_000, title: 'Server CA certificate (PEM)', description: 'Trust the Central Node certificate through this CA' })),
    serverFingerprint: Type.Optional(Type.String({ pattern: FINGERPRINT, title: 'Pinned server fingerprint (SHA-256)', description: 'Trust exactly this Central Node certificate' })),
    observedServerFingerprint: Type.Optional(Type.String({ pattern: FINGERPRINT, title: 'Server fingerprint seen on first use', description: 'Recorded by the first check when nothing is pinned; a later different certificate is refused. Clear it to accept a replaced certificate' })),
    keyAlgorithm: Type.Union([Type.Literal('ecdsaP256'), Type.Literal('rsa2048')], { default: 'ecdsaP256', title: 'Key algorithm', description: 'Of the generated client certificate: ECDSA P-256 or RSA 2048' }),
    certificateValidityDays: Type.Integer({ minimum: 1, maximum: 3650, default: 365, title: 'Certificate validity, days' }),
    xdrId: Type.Optional(Type.String({ pattern: UUID, title: 'XDR ID', description: 'The external system ID KATA approves (generated)' })),
    certificatePem: Type.Optional(Type.String({ maxLength: 20_000, title: 'Client certificate (PEM)', description: 'Generated; give it to the KATA administrator' })),
    certificateFingerprint: Type.Optional(Type.String({ pattern: FINGERPRINT, title: 'Client certificate fingerprint (SHA-256)', description: 'KATA shows it in the authorization request' })),
    import: Type.Object(
      {
        enabled: Type.Boolean({ default: false, title: 'Import KATA alerts' }),
        intervalSeconds: Type.Integer({ minimum: 30, maximum: 86_400, default: 300, title: 'Polling interval, seconds' }),
        limit: Type.Integer({ minimum: 1, maximum: 10_000, default: 1000, title: 'Alerts per request', description: 'The detects API answers at most this many alerts per call' }),
      },
      { additionalProperties: false, default: { enabled: false, intervalSeconds: 300, limit: 1000 }, title: 'Alert import' },
    ),
    timeoutSeconds: Type.Integer({ minimum: 1, maximum: 120, default: 30, title: 'Timeout, seconds' }),
  },
  { additionalProperties: false },
);

export const kataSecretsSchema = Type.Object(
  {
    privateKey: Type.String({ minLength: 64, maxLength: 16_384, pattern: '-----BEGIN [A-Z ]*PRIVATE KEY-----', title: 'Client private key (PEM)', description: 'Generated with the certificate; write-only' }),
  },
  { additionalProperties: false },
);

export type KataConfig = Static<typeof kataConfigSchema>;
export type KataSecrets = Static<typeof kataSecretsSchema>;

export interface ParsedHost {
  kind: 'name' | 'ipv4' | 'ipv6';
  /** As it goes into a URL: IPv6 in brackets. */
  urlHost: string;
}

const LABEL = /^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$/;

/** Validates the host and gives its URL form; throws an Error whose message names the problem. */
export function parseHost(raw: string): ParsedHost {
  const host = raw.trim();
  const unbracketed = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (unbracketed.includes(':')) {
    // A zone id (fe80::1%eth0) is meaningful only on this machine's interfaces: ipaddr accepts it.
    if (!ipaddr.IPv6.isValid(unbracketed)) throw new Error(`"${host}" is not a valid IPv6 address`);
    return { kind: 'ipv6', urlHost: `[${unbracketed.replace('%', '%25')}]` };
  }
  if (unbracketed !== host) throw new Error(`"${host}": only IPv6 addresses go in brackets`);
  if (/^[0-9.]+$/.test(host)) {
    if (!ipaddr.IPv4.isValidFourPartDecimal(host)) throw new Error(`"${host}" is not a valid IPv4 address`);
    return { kind: 'ipv4', urlHost: host };
  }
  const name = host.replace(/\.$/, '');
  if (name.length > 253 || !name.split('.').every((l) => LABEL.test(l))) throw new Error(`"${host}" is not a valid host name`);
  return { kind: 'name', urlHost: name };
}

export function originOf(config: Pick<KataConfig, 'host' | 'port'>): string {
  return `https://${parseHost(config.host).urlHost}:${config.port}`;
}
