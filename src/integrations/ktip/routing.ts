import { domainToASCII } from 'node:url';
import ipaddr from 'ipaddr.js';
import type { KtipService } from './settings.ts';

/**
 * Observable → endpoint routing (reference §3.4) and the value normalization both the cache key
 * and the request use, so "EXAMPLE.com." and "example.com" are one lookup.
 */
export const ENRICH_TYPES = ['domain', 'url', 'ip', 'md5', 'sha256'] as const;
export type EnrichType = (typeof ENRICH_TYPES)[number];

/** TIP answers HTTP 414 for a URL longer than this (ThreatLookupAPI). */
export const TIP_MAX_URL_LENGTH = 2000;

const HEX = { md5: /^[0-9a-f]{32}$/, sha256: /^[0-9a-f]{64}$/ };

export function isEnrichType(type: string): type is EnrichType {
  return (ENRICH_TYPES as readonly string[]).includes(type);
}

/** The canonical form of a value, or null when it is not a valid value of that type. */
export function normalizeValue(type: EnrichType, raw: string): string | null {
  const v = raw.trim();
  if (!v) return null;
  switch (type) {
    case 'md5':
    case 'sha256': {
      const h = v.toLowerCase();
      return HEX[type].test(h) ? h : null;
    }
    case 'ip': {
      // Only dotted-quad IPv4 (not "127.1" or hex forms) or IPv6.
      if (!ipaddr.IPv4.isValidFourPartDecimal(v) && !ipaddr.IPv6.isValid(v)) return null;
      const parsed = ipaddr.parse(v);
      // ::ffff:1.2.3.4 is the IPv4 address as far as reputation goes.
      if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) return (parsed as ipaddr.IPv6).toIPv4Address().toString();
      return parsed.kind() === 'ipv4' ? parsed.toString() : (parsed as ipaddr.IPv6).toRFC5952String();
    }
    case 'domain': {
      const d = domainToASCII(v.replace(/\.$/, '').toLowerCase());
      return d && d.length <= 253 && d.includes('.') ? d : null;
    }
    case 'url':
      // Paths and queries are case-sensitive: only surrounding blanks go.
      return /^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(v) || /^[^\s/]+\.[^\s/]+(\/\S*)?$/.test(v) ? v : null;
  }
}

/** The API's name for a type (hashes share one endpoint). */
function apiKind(type: EnrichType): 'hash' | 'ip' | 'domain' | 'url' {
  return type === 'md5' || type === 'sha256' ? 'hash' : type;
}

export interface Route {
  /** Full URL without the query. */
  url: string;
  query: Record<string, string>;
}

/**
 * OpenTIP: GET /api/v1/search/<kind>?request=<value> (the client percent-encodes the query).
 * TIP:     GET /api/<kind>/<percent-encoded value>?format=json[&sections=…]
 */
export function routeFor(service: KtipService, base: string, type: EnrichType, value: string, sections?: string[]): Route {
  const kind = apiKind(type);
  if (service === 'openTip') return { url: `${base}/api/v1/search/${kind}`, query: { request: value } };
  const query: Record<string, string> = { format: 'json' };
  if (sections?.length) query.sections = sections.join(',');
  return { url: `${base}/api/${kind}/${encodeURIComponent(value)}`, query };
}

/** The portal's page for a value, linked from the Enrichment column. */
export function portalUrlFor(service: KtipService, base: string, value: string): string {
  if (service === 'openTip') return `${base}/${encodeURIComponent(value)}/results?tab=lookup`;
  return `${base}/search?searchString=${encodeURIComponent(value)}`;
}
