/**
 * Deterministic answers derived from the value, so tests and the demo can predict them:
 *   - any value containing "malware" or "evil"      → Red
 *   - containing "phish" or "suspicious"            → Orange
 *   - containing "adware"                           → Yellow
 *   - containing "unknown"                          → Grey (no data)
 *   - hashes: first hex digit 0–2 → Red (Malware), 3 → Yellow (Adware and other),
 *             f → Grey (Not categorized), otherwise Green (Clean)
 *   - IPs: private/reserved ranges → Grey with Status "reserved"; 6.6.6.x → Red
 *   - everything else                               → Green
 */
export type Zone = 'Red' | 'Orange' | 'Yellow' | 'Grey' | 'Green';
export type Kind = 'hash' | 'ip' | 'domain' | 'url';

const RESERVED_V4 = [/^10\./, /^127\./, /^192\.168\./, /^172\.(1[6-9]|2\d|3[01])\./, /^0\./, /^169\.254\./];

export function zoneFor(kind: Kind, value: string): Zone {
  const v = value.toLowerCase();
  if (/malware|evil/.test(v)) return 'Red';
  if (/phish|suspicious/.test(v)) return 'Orange';
  if (/adware/.test(v)) return 'Yellow';
  if (/unknown/.test(v)) return 'Grey';
  if (kind === 'hash') {
    const c = v[0];
    if (c >= '0' && c <= '2') return 'Red';
    if (c === '3') return 'Yellow';
    if (c === 'f') return 'Grey';
    return 'Green';
  }
  if (kind === 'ip') {
    if (isReserved(v)) return 'Grey';
    if (v.startsWith('6.6.6.')) return 'Red';
  }
  return 'Green';
}

export function isReserved(ip: string): boolean {
  return RESERVED_V4.some((r) => r.test(ip)) || ip === '::1' || /^f[cd]/.test(ip) || ip.startsWith('fe80:');
}

const FILE_STATUS: Record<Zone, string> = { Red: 'Malware', Orange: 'Malware', Yellow: 'Adware and other', Grey: 'Not categorized', Green: 'Clean' };
const CATEGORY: Record<Zone, string> = { Red: 'Malware', Orange: 'Phishing', Yellow: 'Adware', Grey: '', Green: 'General' };

/** A small stable number from the value (hits counts, sizes …). */
function seed(value: string): number {
  let h = 2166136261;
  for (let i = 0; i < value.length; i++) h = Math.imul(h ^ value.charCodeAt(i), 16777619);
  return h >>> 0;
}

function categories(zone: Zone) {
  const name = CATEGORY[zone];
  return name ? { Categories: [name], CategoriesWithZone: [{ Name: name, Zone: zone }] } : { Categories: [], CategoriesWithZone: [] };
}

/** The answer body per the documented response schemas (reference §3.2–3.3). */
export function answerFor(kind: Kind, value: string, zone: Zone = zoneFor(kind, value)): Record<string, unknown> {
  const s = seed(value);
  const hits = 10 ** (s % 5);
  if (kind === 'hash') {
    const md5 = value.length === 32 ? value : s.toString(16).padStart(32, '0').slice(0, 32);
    const sha256 = value.length === 64 ? value : (s.toString(16) + value).padEnd(64, '0').slice(0, 64);
    return {
      Zone: zone,
      FileGeneralInfo: { FileStatus: FILE_STATUS[zone], Md5: md5, Sha1: s.toString(16).padStart(40, 'a'), Sha256: sha256, FirstSeen: '2024-03-01T10:00:00Z', LastSeen: '2026-10-01T08:30:00Z', Size: 1024 + (s % 100_000), Type: 'PE32', Signer: zone === 'Green' ? 'Example Software Ltd' : undefined, Packer: zone === 'Red' ? 'UPX' : undefined, HitsCount: hits },
      DetectionsInfo: zone === 'Red' || zone === 'Orange' ? [{ LastDetectDate: '2026-10-01T08:30:00Z', DescriptionUrl: 'https://threats.kaspersky.com/en/threat/Trojan.Win32.Generic/', Zone: 'Red', DetectionName: 'HEUR:Trojan.Win32.Generic', DetectionMethod: 'Expert' }] : zone === 'Yellow' ? [{ LastDetectDate: '2026-09-01T00:00:00Z', Zone: 'Yellow', DetectionName: 'not-a-virus:HEUR:AdWare.Win32.Generic', DetectionMethod: 'Heuristic' }] : [],
    };
  }
  if (kind === 'ip') {
    const reserved = isReserved(value);
    return {
      Zone: zone,
      IpGeneralInfo: { Status: reserved ? 'reserved' : zone === 'Grey' ? 'NoInfo' : 'known', CountryCode: reserved ? undefined : 'NL', HitsCount: hits, FirstSeen: '2023-05-10T00:00:00Z', Ip: value, ThreatScore: zone === 'Red' ? 90 : zone === 'Orange' ? 60 : 0, ...categories(zone) },
      IpWhoIs: reserved ? undefined : { Asn: [{ Number: 64496 + (s % 16), Description: 'EXAMPLE-AS' }], Net: { Name: 'EXAMPLE-NET', RangeStart: value, RangeEnd: value, Description: 'Example network' } },
    };
  }
  if (kind === 'domain') {
    return {
      Zone: zone,
      DomainGeneralInfo: { Domain: value, FilesCount: s % 50, UrlsCount: s % 500, HitsCount: hits, Ipv4Count: 1 + (s % 4), ...categories(zone) },
      DomainWhoIsInfo: { DomainName: value, Created: '2015-06-01T00:00:00Z', Updated: '2025-06-01T00:00:00Z', Expires: '2027-06-01T00:00:00Z', NameServers: [`ns1.${value}`, `ns2.${value}`], Registrar: { Info: 'Example Registrar', IanaId: '9999' } },
    };
  }
  let host = value;
  try {
    host = new URL(/^[a-z]+:\/\//i.test(value) ? value : `http://${value}`).hostname;
  } catch {
    /* keep the raw value */
  }
  return {
    Zone: zone,
    UrlGeneralInfo: { Url: value, Host: host, Ipv4Count: 1, FilesCount: s % 10, ...categories(zone), Categories: categories(zone).Categories.length ? categories(zone).Categories : ['General'] },
    UrlDomainWhoIs: { DomainName: host, Created: '2015-06-01T00:00:00Z', Expires: '2027-06-01T00:00:00Z', NameServers: [`ns1.${host}`] },
  };
}
