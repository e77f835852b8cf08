import { domainToASCII } from 'node:url';
import ipaddr from 'ipaddr.js';

/**
 * Observable types (SPEC.md §3) and their validation and normalization. One function decides
 * what a value means, so deduplication, the pivot index and the enrichment cache agree.
 */
export const OBSERVABLE_TYPES = [
  'ip',
  'domain',
  'url',
  'md5',
  'sha1',
  'sha256',
  'email',
  'userName',
  'hostName',
  'filePath',
  'processName',
  'registryKey',
] as const;
export type ObservableType = (typeof OBSERVABLE_TYPES)[number];

export const MAX_OBSERVABLE_LENGTH = 8192;

export class ObservableError extends Error {}

const HEX = { md5: 32, sha1: 40, sha256: 64 } as const;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
// Control characters (CR, LF, NUL …) never belong in an observable: they are how values smuggle
// extra lines into logs, headers and command lines.
const CONTROL = /[\u0000-\u001f\u007f]/;

function domain(raw: string): string {
  const ascii = domainToASCII(raw.trim().replace(/\.$/, '').toLowerCase());
  if (!ascii || ascii.length > 253 || !ascii.includes('.') || !ascii.split('.').every((l) => LABEL.test(l))) {
    throw new ObservableError('is not a valid domain name');
  }
  return ascii;
}

function ip(raw: string): string {
  const v = raw.trim();
  if (!ipaddr.isValid(v)) throw new ObservableError('is not a valid IPv4 or IPv6 address');
  const addr = ipaddr.parse(v);
  // IPv4-mapped IPv6 (::ffff:1.2.3.4) is the IPv4 address; IPv6 in RFC 5952 form.
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) return (addr as ipaddr.IPv6).toIPv4Address().toString();
  if (addr.kind() === 'ipv4' && !ipaddr.IPv4.isValidFourPartDecimal(v)) throw new ObservableError('must be a dotted-quad IPv4 address');
  return addr.toString();
}

function url(raw: string): string {
  const v = raw.trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) throw new ObservableError('must be an absolute URL with a scheme (http://…)');
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new ObservableError('is not a valid URL');
  }
  // WHATWG URL lowercases scheme and host, punycodes IDN hosts and drops default ports.
  return u.toString();
}

/** Validates and normalizes a value of a type; throws ObservableError with the reason. */
export function normalizeObservable(type: ObservableType, raw: string): string {
  if (typeof raw !== 'string' || raw.length === 0) throw new ObservableError('must not be empty');
  if (raw.length > MAX_OBSERVABLE_LENGTH) throw new ObservableError(`must be at most ${MAX_OBSERVABLE_LENGTH} characters`);
  if (CONTROL.test(raw)) throw new ObservableError('must not contain control characters (CR, LF, NUL …)');
  switch (type) {
    case 'ip':
      return ip(raw);
    case 'domain':
    case 'hostName':
      return type === 'hostName' && !raw.includes('.') ? raw.trim().toLowerCase() : domain(raw);
    case 'url':
      return url(raw);
    case 'md5':
    case 'sha1':
    case 'sha256': {
      const v = raw.trim().toLowerCase();
      if (!new RegExp(`^[0-9a-f]{${HEX[type]}}$`).test(v)) throw new ObservableError(`must be ${HEX[type]} hexadecimal characters`);
      return v;
    }
    case 'email': {
      const v = raw.trim();
      const at = v.lastIndexOf('@');
      if (at < 1 || at === v.length - 1 || /\s/.test(v)) throw new ObservableError('is not a valid e-mail address');
      return `${v.slice(0, at)}@${domain(v.slice(at + 1))}`;
    }
    case 'userName':
    case 'filePath':
    case 'processName':
    case 'registryKey':
      return raw.trim();
    default:
      throw new ObservableError(`unknown observable type ${String(type)}`);
  }
}

export function isObservableType(t: string): t is ObservableType {
  return (OBSERVABLE_TYPES as readonly string[]).includes(t);
}
