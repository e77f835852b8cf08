import ipaddr from 'ipaddr.js';

/**
 * Validates and normalises the values xdrhub blocks. Anything that is not plainly an IP, a web
 * URL or a host name is refused with a message, never "cleaned up" into something else: the
 * firewall must block exactly what the analyst saw.
 */

export const URL_MAX = 2048;
// eslint-disable-next-line no-control-regex
const CONTROL_OR_SPACE = /[\u0000-\u0020\u007f]/;

export class InvalidValue extends Error {
  override name = 'InvalidValue';
}

/**
 * A CR or LF anywhere, trailing ones included, is refused before trimming: a value that ends in a
 * line break is an injection attempt or a paste of something else, not an address to block.
 */
function refuseLineBreaks(raw: string, what: string): void {
  if (/[\r\n]/.test(raw)) throw new InvalidValue(`the ${what} contains a line break (CR or LF): it is refused rather than altered`);
}

/** IPv4 (dotted quad only) or IPv6, in canonical form (v4-mapped v6 becomes v4). */
export function normalizeIp(raw: string): string {
  refuseLineBreaks(raw, 'IP address');
  const v = raw.trim();
  if (!v || v.length > 45 || CONTROL_OR_SPACE.test(v)) throw new InvalidValue(`"${printable(v)}" is not an IP address`);
  if (ipaddr.IPv4.isValidFourPartDecimal(v)) return ipaddr.IPv4.parse(v).toString();
  if (v.includes(':') && ipaddr.IPv6.isValid(v)) {
    const parsed = ipaddr.IPv6.parse(v);
    return parsed.isIPv4MappedAddress() ? parsed.toIPv4Address().toString() : parsed.toString();
  }
  throw new InvalidValue(`"${printable(v)}" is not an IPv4 or IPv6 address`);
}

/**
 * A web URL as the content filter lists it: without the scheme and fragment, host in lower case,
 * path and query exactly as given (JSON or shell metacharacters included: they travel as data).
 */
export function normalizeUrl(raw: string): string {
  refuseLineBreaks(raw, 'URL');
  const v = raw.trim();
  if (v.length > URL_MAX) throw new InvalidValue(`the URL is ${v.length} characters long; at most ${URL_MAX} are accepted`);
  if (CONTROL_OR_SPACE.test(v)) throw new InvalidValue('the URL contains spaces or control characters (CR, LF, …): it is refused rather than altered');
  const m = /^(https?):\/\/([^/?#]+)([^#]*)/i.exec(v);
  let parsed: URL;
  try {
    parsed = new URL(v);
  } catch {
    throw new InvalidValue(`"${printable(v)}" is not a URL`);
  }
  if (!m || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) throw new InvalidValue(`"${printable(v)}" is not an http(s) URL`);
  if (parsed.username || parsed.password) throw new InvalidValue('URLs with credentials are refused');
  const host = parsed.host.toLowerCase();
  const rest = m[3] === '/' ? '' : m[3];
  return `${host}${rest}`;
}

/** A DNS name (IDN becomes punycode), lower case, without a trailing dot. */
export function normalizeDomain(raw: string): string {
  refuseLineBreaks(raw, 'domain name');
  const v = raw.trim().replace(/\.$/, '');
  if (!v || v.length > 253 || CONTROL_OR_SPACE.test(v) || /[/?#@:\\]/.test(v)) throw new InvalidValue(`"${printable(v)}" is not a domain name`);
  let host: string;
  try {
    host = new URL(`http://${v}`).hostname;
  } catch {
    throw new InvalidValue(`"${printable(v)}" is not a domain name`);
  }
  const labels = host.split('.');
  if (labels.length < 2 || labels.some((l) => !/^(?!-)[a-z0-9-]{1,63}(?<!-)$/.test(l)) || /^\d+$/.test(labels.at(-1)!)) {
    throw new InvalidValue(`"${printable(v)}" is not a domain name`);
  }
  return host;
}

/** For messages: short, and without control characters. */
function printable(v: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = v.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > 80 ? `${clean.slice(0, 80)}…` : clean;
}
