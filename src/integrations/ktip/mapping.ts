import type { EnrichmentResult, LicenseFacts } from '../framework/contract.ts';
import type { EnrichType } from './routing.ts';

/**
 * Turns OpenTIP/TIP answers (reference §3.2–3.3: Zone, *GeneralInfo, WHOIS sections,
 * LicenseInfo) into the Enrichment column's shape. Only the facts an analyst reads at a glance
 * are kept; the portal link leads to the rest.
 */
type Json = Record<string, any>;

export const ZONE_WORDS: Record<string, string> = {
  Red: 'Dangerous',
  Orange: 'Not trusted',
  Yellow: 'Adware and other',
  Grey: 'No data',
  Green: 'Good',
};

const KNOWN_ZONES = new Set(Object.keys(ZONE_WORDS));

function zoneOf(body: Json): string {
  const z = typeof body?.Zone === 'string' ? body.Zone : 'Grey';
  return KNOWN_ZONES.has(z) ? z : 'Grey';
}

function categoriesOf(info: Json | undefined): string[] {
  const out = new Set<string>();
  for (const c of Array.isArray(info?.Categories) ? info.Categories : []) if (typeof c === 'string') out.add(c);
  for (const c of Array.isArray(info?.CategoriesWithZone) ? info.CategoriesWithZone : []) if (typeof c?.Name === 'string') out.add(c.Name);
  return [...out];
}

/** Drops undefined/null so stored results stay compact. */
function compact(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0)));
}

export interface MapInput {
  type: EnrichType;
  body: Json;
  source: string;
  fetchedAt: number;
  portalUrl: string;
}

export function toEnrichment({ type, body, source, fetchedAt, portalUrl }: MapInput): EnrichmentResult {
  const zone = zoneOf(body);
  let verdict = ZONE_WORDS[zone];
  let categories: string[] = [];
  let keyFacts: Record<string, unknown> = {};
  if (type === 'md5' || type === 'sha256') {
    const f: Json = body.FileGeneralInfo ?? {};
    const detections: Json[] = Array.isArray(body.DetectionsInfo) ? body.DetectionsInfo : [];
    if (typeof f.FileStatus === 'string') verdict = f.FileStatus;
    categories = [...new Set(detections.map((d) => d?.DetectionName).filter((n): n is string => typeof n === 'string'))];
    keyFacts = compact({
      md5: f.Md5,
      sha1: f.Sha1,
      sha256: f.Sha256,
      fileType: f.Type,
      size: f.Size,
      signer: f.Signer,
      packer: f.Packer,
      firstSeen: f.FirstSeen,
      lastSeen: f.LastSeen,
      hitsCount: f.HitsCount,
      detections: detections.slice(0, 10).map((d) => compact({ name: d.DetectionName, method: d.DetectionMethod, lastDetected: d.LastDetectDate, zone: d.Zone, descriptionUrl: d.DescriptionUrl })),
    });
  } else if (type === 'ip') {
    const g: Json = body.IpGeneralInfo ?? {};
    const whois: Json = body.IpWhoIs ?? {};
    categories = categoriesOf(g);
    if (g.Status === 'reserved') verdict = 'Reserved address';
    keyFacts = compact({
      status: g.Status,
      countryCode: g.CountryCode,
      firstSeen: g.FirstSeen,
      hitsCount: g.HitsCount,
      threatScore: g.ThreatScore,
      asn: Array.isArray(whois.Asn) ? whois.Asn.map((a: Json) => compact({ number: a.Number, description: a.Description })) : undefined,
      net: whois.Net ? compact({ name: whois.Net.Name, range: whois.Net.RangeStart && whois.Net.RangeEnd ? `${whois.Net.RangeStart} - ${whois.Net.RangeEnd}` : undefined, description: whois.Net.Description }) : undefined,
    });
  } else if (type === 'domain') {
    const g: Json = body.DomainGeneralInfo ?? {};
    const whois: Json = body.DomainWhoIsInfo ?? {};
    categories = categoriesOf(g);
    keyFacts = compact({
      filesCount: g.FilesCount,
      urlsCount: g.UrlsCount,
      hitsCount: g.HitsCount,
      ipv4Count: g.Ipv4Count,
      created: whois.Created,
      updated: whois.Updated,
      expires: whois.Expires,
      registrar: typeof whois.Registrar === 'object' ? whois.Registrar?.Info : whois.Registrar,
      nameServers: whois.NameServers,
    });
  } else {
    const g: Json = body.UrlGeneralInfo ?? {};
    const whois: Json = body.UrlDomainWhoIs ?? {};
    categories = categoriesOf(g);
    keyFacts = compact({
      host: g.Host,
      ipv4Count: g.Ipv4Count,
      filesCount: g.FilesCount,
      domainCreated: whois.Created,
      domainExpires: whois.Expires,
      nameServers: whois.NameServers,
    });
  }
  return { zone, verdict, categories, keyFacts, source, fetchedAt, portalUrl };
}

/** TIP's LicenseInfo, present in every TIP answer. */
export function licenseOf(body: unknown): LicenseFacts | undefined {
  const l = body && typeof body === 'object' ? (body as Json).LicenseInfo : undefined;
  if (!l || typeof l !== 'object') return undefined;
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  return compact({ accessType: l.AccessType, dayRequests: n(l.DayRequests), dayQuota: n(l.DayQuota), tokenExpiresAt: l.TokenExpirationDate }) as LicenseFacts;
}
