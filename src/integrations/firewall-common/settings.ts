import { Type } from 'typebox';
import type { TlsOptions } from '../../platform/outbound/index.ts';
import { InvalidValueError } from './values.ts';

/**
 * Settings every firewall connector shares: where the device is, how its certificate is trusted,
 * how long to wait, and whether to go through the installation proxy.
 */
export function connectionProperties(product: string, defaultPort: number) {
  return {
    address: Type.String({
      minLength: 1,
      maxLength: 512,
      pattern: '^(https?://)?[A-Za-z0-9.:\\[\\]-]+(:\\d{1,5})?(/[\\x21-\\x7e]*)?$',
      title: 'Address',
      description: `${product} management address: an https:// URL or host:port (default port ${defaultPort}). http:// is accepted for lab devices only: the password then travels in clear`,
    }),
    caCertificate: Type.Optional(Type.String({ maxLength: 20_000, title: 'CA certificate (PEM)', description: 'Trust this CA for the device certificate instead of the system store' })),
    pinSha256: Type.Optional(
      Type.String({
        pattern: '^(sha-?256[:=]?)?([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$',
        title: 'Pinned certificate fingerprint (SHA-256)',
        description: 'Accept exactly this certificate (e.g. a self-signed appliance certificate); 64 hex digits, colons optional',
      }),
    ),
    timeoutSeconds: Type.Integer({ minimum: 1, maximum: 300, default: 30, title: 'Timeout, seconds', description: 'Per request to the device' }),
    proxy: Type.Boolean({ default: false, title: 'Use the installation proxy', description: 'Root tenant only' }),
  };
}

export interface ConnectionSettings {
  address: string;
  caCertificate?: string;
  pinSha256?: string;
  timeoutSeconds: number;
}

/** The base URL (no trailing slash) from an address that may lack a scheme or port. */
export function baseUrlOf(address: string, defaultPort: number): string {
  const raw = address.trim();
  const withScheme = /^https?:\/\//i.test(raw) ? raw : `https://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new InvalidValueError('config.address', `"${raw}" is not a host, host:port or URL`);
  }
  if (url.username || url.password) throw new InvalidValueError('config.address', 'must not contain credentials: put them in the secret fields');
  if (!url.port) url.port = String(defaultPort);
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

export function tlsOf(config: ConnectionSettings): TlsOptions | undefined {
  if (!config.caCertificate && !config.pinSha256) return undefined;
  return { ca: config.caCertificate || undefined, pinSha256: config.pinSha256 || undefined };
}
