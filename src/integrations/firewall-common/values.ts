import ipaddr from 'ipaddr.js';

/**
 * Validation and canonical forms of the values a firewall connector sends upstream. Every value
 * ends up inside XML or JSON on a device that other people administer, so anything ambiguous is
 * refused here with the field named, before a connection is opened.
 */
export class InvalidValueError extends Error {
  override name = 'InvalidValueError';
  readonly stage = 'config' as const;
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

export const MAX_URL_LENGTH = 2048;
export const MAX_DOMAIN_LENGTH = 253;
/** A launch may name at most this many values (a firewall list is not a threat feed). */
export const MAX_BATCH = 10_000;

// Line breaks and other controls would let a value split a log line, a header or an XML text
// node into something the device reads differently; none is legal in an IP, URL or domain.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

function refuseControls(field: string, value: string): void {
  if (/[\r\n]/.test(value)) throw new InvalidValueError(field, 'contains a line break (CR or LF): refused, a blocked value is one line');
  if (CONTROL.test(value)) throw new InvalidValueError(field, 'contains a control character: refused');
}

/** An IPv4 or IPv6 address in canonical form (IPv4-mapped IPv6 becomes IPv4). */
export function normalizeIp(value: string, field = 'ip'): { ip: string; family: 4 | 6 } {
  // Checked before trimming: a trailing CR/LF is an injection attempt, not whitespace.
  refuseControls(field, String(value ?? ''));
  const raw = String(value ?? '').trim();
  if (raw.length === 0) throw new InvalidValueError(field, 'is empty: give an IPv4 or IPv6 address');
  if (raw.length > 45) throw new InvalidValueError(field, `is ${raw.length} characters long: an IP address has at most 45`);
  if (ipaddr.IPv4.isValidFourPartDecimal(raw)) return { ip: ipaddr.IPv4.parse(raw).toString(), family: 4 };
  if (!raw.includes('%') && ipaddr.IPv6.isValid(raw)) {
    const parsed = ipaddr.IPv6.parse(raw);
    if (parsed.isIPv4MappedAddress()) return { ip: parsed.toIPv4Address().toString(), family: 4 };
    return { ip: parsed.toString(), family: 6 };
  }
  throw new InvalidValueError(field, `"${preview(raw)}" is not an IPv4 or IPv6 address (single addresses only, no ranges or masks)`);
}

/** A domain name: lowercase LDH labels (IDNs as punycode), no trailing dot, no wildcard. */
export function normalizeDomain(value: string, field = 'domain'): string {
  // Checked before trimming: a trailing CR/LF is an injection attempt, not whitespace.
  refuseControls(field, String(value ?? ''));
  const raw = String(value ?? '').trim();
  if (raw.length === 0) throw new InvalidValueError(field, 'is empty: give a domain name such as example.com');
  if (raw.length > MAX_DOMAIN_LENGTH + 1) throw new InvalidValueError(field, `is ${raw.length} characters long: a domain has at most ${MAX_DOMAIN_LENGTH}`);
  let host: string;
  try {
    // The URL parser applies IDNA (punycode) and lowercases; anything it changes otherwise is refused below.
    host = new URL(`http://${raw.replace(/\.$/, '')}/`).hostname;
  } catch {
    throw new InvalidValueError(field, `"${preview(raw)}" is not a domain name`);
  }
  const labels = host.split('.');
  const ok = labels.length >= 2 && labels.every((l) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(l)) && !/^\d+$/.test(labels.at(-1)!);
  if (!ok || host.length > MAX_DOMAIN_LENGTH) throw new InvalidValueError(field, `"${preview(raw)}" is not a domain name (letters, digits and hyphens in dot-separated labels, e.g. example.com)`);
  return host;
}

/** An absolute http(s) URL in the WHATWG serialisation, without credentials or fragment. */
export function normalizeUrl(value: string, field = 'url'): string {
  // Checked before trimming: a trailing CR/LF is an injection attempt, not whitespace.
  refuseControls(field, String(value ?? ''));
  const raw = String(value ?? '').trim();
  if (raw.length === 0) throw new InvalidValueError(field, 'is empty: give a URL such as https://example.com/path');
  if (raw.length > MAX_URL_LENGTH) throw new InvalidValueError(field, `is ${raw.length} characters long: at most ${MAX_URL_LENGTH} are accepted`);
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`);
  } catch {
    throw new InvalidValueError(field, `"${preview(raw)}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidValueError(field, `the scheme ${url.protocol} is not blockable: use http:// or https://`);
  if (url.username || url.password) throw new InvalidValueError(field, 'contains credentials (user:password@): refused');
  url.hash = '';
  const out = url.toString();
  if (out.length > MAX_URL_LENGTH) throw new InvalidValueError(field, `is longer than ${MAX_URL_LENGTH} characters once encoded`);
  return out;
}

/** A name of an object on the device (list, group, rule): printable, one line, bounded. */
export function checkObjectName(value: string, field: string, max = 128): string {
  refuseControls(field, value);
  if (value.length === 0 || value.length > max) throw new InvalidValueError(field, `must be 1 to ${max} characters`);
  return value;
}

/** Normalizes a list, dropping duplicates (after canonicalisation) while keeping order. */
export function normalizeAll<T extends string>(values: readonly string[], normalize: (v: string, field: string) => T, field: string): T[] {
  if (values.length > MAX_BATCH) throw new InvalidValueError(field, `has ${values.length} values: at most ${MAX_BATCH} per launch`);
  const out = new Set<T>();
  values.forEach((v, i) => out.add(normalize(v, `${field}[${i}]`)));
  return [...out];
}

function preview(s: string): string {
  return s.length > 64 ? `${s.slice(0, 61)}…` : s;
}
