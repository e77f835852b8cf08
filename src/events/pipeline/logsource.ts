// The Sigma log source of an event, from its catalogue entry (and, for Windows channels, the
// event id, since Sigma routes Windows rules by category such as process_creation).
import type { LogSource } from '../sigma/index.ts';

/** Catalogue ids whose product/service are not simply "<product>-<service>". */
const EXPLICIT: Record<string, LogSource> = {
  'windows-security': { product: 'windows', service: 'security' },
  'windows-security-nxlog': { product: 'windows', service: 'security' },
  'windows-security-log-cleared': { product: 'windows', service: 'security' },
  'windows-sysmon': { product: 'windows', service: 'sysmon' },
  'windows-sysmon-json': { product: 'windows', service: 'sysmon' },
  'windows-powershell': { product: 'windows', service: 'powershell' },
  'windows-defender': { product: 'windows', service: 'windefend' },
  'windows-system-scm': { product: 'windows', service: 'system' },
  'windows-dhcp-server': { product: 'windows', service: 'dhcp' },
  'microsoft-iis': { product: 'windows', category: 'webserver', service: 'iis' },
  'apache-access': { category: 'webserver', service: 'apache' },
  'nginx-access': { category: 'webserver', service: 'nginx' },
  'squid-access': { category: 'proxy', service: 'squid' },
  'aws-cloudtrail': { product: 'aws', service: 'cloudtrail' },
  'azure-ad-signin': { product: 'azure', service: 'signinlogs' },
  'okta-system-log': { product: 'okta', service: 'okta' },
  'gcp-audit': { product: 'gcp', service: 'gcp.audit' },
  'kubernetes-audit': { product: 'kubernetes', service: 'audit' },
  'zeek-dns': { product: 'zeek', service: 'dns' },
  'zeek-conn': { product: 'zeek', service: 'conn' },
  'zeek-http': { product: 'zeek', service: 'http' },
};

/** Sigma categories of well-known Windows event ids. */
const SYSMON_CATEGORY: Record<string, string> = { '1': 'process_creation', '3': 'network_connection', '7': 'image_load', '11': 'file_event', '13': 'registry_set', '22': 'dns_query' };
const SECURITY_CATEGORY: Record<string, string> = { '4688': 'process_creation' };

export function logSourceFor(sourceId: string, original: Record<string, unknown>): LogSource {
  const base = EXPLICIT[sourceId] ?? defaultLogSource(sourceId);
  if (base.product !== 'windows') return base;
  const id = String(original.EventID ?? original.EventId ?? original.event_id ?? '');
  const category = base.service === 'sysmon' ? SYSMON_CATEGORY[id] : base.service === 'security' ? SECURITY_CATEGORY[id] : undefined;
  return category ? { ...base, category } : base;
}

/** "linux-sshd" → {product: linux, service: sshd}; "cisco-asa" → {product: cisco, service: asa}. */
function defaultLogSource(sourceId: string): LogSource {
  const dash = sourceId.indexOf('-');
  return dash < 0 ? { product: sourceId } : { product: sourceId.slice(0, dash), service: sourceId.slice(dash + 1) };
}
