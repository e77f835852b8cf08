// Web servers, proxies and other file/CSV based sources.
import { lineEntry, syslogEntry, msgRegexp, m } from './generic.ts';
import type { CatalogueEntry } from './types.ts';

const R = String.raw;
const COMBINED = R`^(?P<src>[\d.:a-fA-F]+) (?P<ident>\S+) (?P<user>\S+) \[(?P<time>[^\]]+)\] "(?P<method>[A-Z]+) (?P<url>\S+) (?P<proto>[^"]+)" (?P<status>\d{3}) (?P<bytes>\d+|-)(?: "(?P<referer>[^"]*)" "(?P<agent>[^"]*)")?`;
const httpMapping = [
  m('src', 'SourceAddress'), m('user', 'SourceUserName', [{ op: 'replace', from: '-', to: '' }]), m('time', 'StartTime'), m('method', 'RequestMethod'), m('url', 'RequestUrl'),
  m('proto', 'ApplicationProtocol'), m('status', 'EventOutcome'), m('bytes', 'BytesOut'), m('referer', 'RequestContext'), m('agent', 'RequestClientApplication'),
];

export const WEB_SOURCES: CatalogueEntry[] = [
  lineEntry('apache-access', 'Apache', 'HTTP Server access log', { kind: 'regexp', options: { pattern: COMBINED } }, httpMapping, [
    { raw: '203.0.113.45 - - [28/Nov/2024:11:30:00 +0300] "GET /wp-login.php HTTP/1.1" 404 196 "-" "Mozilla/5.0 (compatible; scanner)"', expected: { SourceAddress: '203.0.113.45', StartTime: '2024-11-28T08:30:00.000Z', RequestMethod: 'GET', RequestUrl: '/wp-login.php', EventOutcome: '404', BytesOut: 196, RequestClientApplication: 'Mozilla/5.0 (compatible; scanner)' } },
  ], 'file (combined log format)'),
  lineEntry('apache-error', 'Apache', 'HTTP Server error log', { kind: 'regexp', options: { pattern: R`^\[(?P<time>[^\]]+)\] \[(?P<module>\w+):(?P<level>\w+)\] \[pid (?P<pid>\d+)(?::tid \d+)?\] (?:\[client (?P<src>[\d.:a-f]+):(?P<spt>\d+)\] )?(?P<code>AH\d+): (?P<msg>.*)$` } },
    [m('module', 'DeviceEventCategory'), m('level', 'Severity'), m('pid', 'DeviceProcessID'), m('src', 'SourceAddress'), m('spt', 'SourcePort'), m('code', 'DeviceEventClassID'), m('msg', 'Message')],
    [{ raw: '[Thu Nov 28 11:30:05.123456 2024] [authz_core:error] [pid 4411:tid 139912] [client 198.51.100.23:50112] AH01630: client denied by server configuration: /var/www/html/.git/config', expected: { DeviceEventCategory: 'authz_core', Severity: 'error', DeviceProcessID: 4411, SourceAddress: '198.51.100.23', DeviceEventClassID: 'AH01630', Message: 'client denied by server configuration: /var/www/html/.git/config' } }],
    'file'),
  lineEntry('nginx-access', 'F5', 'nginx access log', { kind: 'regexp', options: { pattern: COMBINED } }, httpMapping, [
    { raw: '10.0.4.12 - admin [28/Nov/2024:11:31:00 +0000] "POST /api/v1/login HTTP/2.0" 401 52 "https://portal.corp.ru/" "curl/8.4.0"', expected: { SourceAddress: '10.0.4.12', SourceUserName: 'admin', RequestMethod: 'POST', EventOutcome: '401', RequestContext: 'https://portal.corp.ru/', StartTime: '2024-11-28T11:31:00.000Z' } },
  ], 'file (combined log format)'),
  lineEntry('nginx-error', 'F5', 'nginx error log', { kind: 'regexp', options: { pattern: R`^(?P<time>\d{4}/\d\d/\d\d \d\d:\d\d:\d\d) \[(?P<level>\w+)\] (?P<pid>\d+)#\d+: (?:\*\d+ )?(?P<msg>.*?)(?:, client: (?P<src>[\d.:a-f]+), server: (?P<server>[^,]*)(?:, request: "(?P<method>\w+) (?P<url>\S+)[^"]*")?.*)?$` } },
    [m('level', 'Severity'), m('pid', 'DeviceProcessID'), m('msg', 'Message'), m('src', 'SourceAddress'), m('server', 'DestinationHostName'), m('method', 'RequestMethod'), m('url', 'RequestUrl')],
    [{ raw: '2024/11/28 11:31:10 [error] 1234#1234: *5678 open() "/usr/share/nginx/html/.env" failed (2: No such file or directory), client: 45.148.10.5, server: shop.corp.ru, request: "GET /.env HTTP/1.1", host: "shop.corp.ru"', expected: { Severity: 'error', DeviceProcessID: 1234, SourceAddress: '45.148.10.5', DestinationHostName: 'shop.corp.ru', RequestUrl: '/.env' } }],
    'file'),
  lineEntry('squid-access', 'Squid', 'Squid proxy', { kind: 'regexp', options: { pattern: R`^(?P<epoch>\d+\.\d+)\s+(?P<elapsed>\d+) (?P<src>[\d.:a-f]+) (?P<result>[A-Z_]+)/(?P<status>\d{3}) (?P<bytes>\d+) (?P<method>[A-Z]+) (?P<url>\S+) (?P<user>\S+) (?P<hier>\w+)/(?P<peer>\S+) (?P<ctype>\S+)` } },
    [m('epoch', 'StartTime'), m('src', 'SourceAddress'), m('result', 'DeviceAction'), m('status', 'EventOutcome'), m('bytes', 'BytesIn'), m('method', 'RequestMethod'), m('url', 'RequestUrl'), m('user', 'SourceUserName', [{ op: 'replace', from: '-', to: '' }]), m('peer', 'DestinationAddress'), m('ctype', 'FileType')],
    [{ raw: '1732793460.123    245 10.0.12.40 TCP_DENIED/403 3950 CONNECT pastebin.com:443 ivanov HIER_NONE/- text/html', expected: { StartTime: '2024-11-28T11:31:00.123Z', SourceAddress: '10.0.12.40', DeviceAction: 'TCP_DENIED', EventOutcome: '403', RequestMethod: 'CONNECT', RequestUrl: 'pastebin.com:443', SourceUserName: 'ivanov' } }],
    'file / syslog'),
  syslogEntry('haproxy', 'HAProxy', 'HAProxy', [msgRegexp(R`^(?P<src>[\d.:a-f]+):(?P<spt>\d+) \[(?P<time>[^\]]+)\] (?P<frontend>\S+) (?P<backend>[^/]+)/(?P<server>\S+) [\d/-]+ (?P<status>\d{3}) (?P<bytes>\d+) .*"(?P<method>[A-Z]+) (?P<url>\S+)`)],
    [m('src', 'SourceAddress'), m('spt', 'SourcePort'), m('frontend', 'DeviceCustomString1'), m('backend', 'DeviceCustomString2'), m('server', 'DestinationHostName'), m('status', 'EventOutcome'), m('bytes', 'BytesOut'), m('method', 'RequestMethod'), m('url', 'RequestUrl')],
    [{ raw: '<134>Nov 28 11:32:00 lb01 haproxy[2211]: 198.51.100.17:51022 [28/Nov/2024:11:32:00.112] https-in~ app_servers/app2 0/0/1/12/13 200 5120 - - ---- 120/110/3/1/0 0/0 "GET /api/health HTTP/1.1"', expected: { SourceAddress: '198.51.100.17', DeviceCustomString2: 'app_servers', DestinationHostName: 'app2', EventOutcome: '200', RequestUrl: '/api/health' } }]),
  lineEntry('microsoft-iis', 'Microsoft', 'IIS', { kind: 'csv', options: { delimiter: ' ', columns: ['date', 'time', 's-ip', 'cs-method', 'cs-uri-stem', 'cs-uri-query', 's-port', 'cs-username', 'c-ip', 'cs(User-Agent)', 'cs(Referer)', 'sc-status', 'sc-substatus', 'sc-win32-status', 'time-taken'] } },
    [m('s-ip', 'DestinationAddress'), m('cs-method', 'RequestMethod'), m('cs-uri-stem', 'RequestUrl'), m('s-port', 'DestinationPort'), m('cs-username', 'SourceUserName', [{ op: 'replace', from: '-', to: '' }]), m('c-ip', 'SourceAddress'), m('cs(User-Agent)', 'RequestClientApplication'), m('sc-status', 'EventOutcome')],
    [{ raw: '2024-11-28 11:33:00 10.0.0.80 POST /owa/auth.owa - 443 - 185.220.101.33 Mozilla/5.0+(Windows+NT+10.0) - 302 0 0 187', expected: { DestinationAddress: '10.0.0.80', RequestMethod: 'POST', RequestUrl: '/owa/auth.owa', DestinationPort: 443, SourceAddress: '185.220.101.33', EventOutcome: '302' } }],
    'file (W3C extended)'),
  lineEntry('cisco-wsa', 'Cisco', 'Web Security Appliance', { kind: 'regexp', options: { pattern: R`^(?P<epoch>\d+\.\d+)\s+(?P<elapsed>\d+) (?P<src>[\d.]+) (?P<result>[A-Z_]+)/(?P<status>\d{3}) (?P<bytes>\d+) (?P<method>[A-Z]+) (?P<url>\S+) (?P<user>"[^"]*"|\S+) (?P<hier>\w+)/(?P<peer>\S+) (?P<ctype>\S+) (?P<acl>\S+)` } },
    [m('epoch', 'StartTime'), m('src', 'SourceAddress'), m('result', 'DeviceAction'), m('status', 'EventOutcome'), m('method', 'RequestMethod'), m('url', 'RequestUrl'), m('user', 'SourceUserName', [{ op: 'trim', chars: '"' }]), m('acl', 'DeviceCustomString1')],
    [{ raw: '1732793600.456 120 10.0.22.5 TCP_DENIED/403 0 GET http://malware.test/payload.exe "CORP\\orlov@NTLM" NONE/- - BLOCK_WEBCAT_12-DefaultGroup-DefaultGroup-NONE-NONE-NONE-DefaultGroup', expected: { SourceAddress: '10.0.22.5', DeviceAction: 'TCP_DENIED', RequestUrl: 'http://malware.test/payload.exe', SourceUserName: 'CORP\\orlov@NTLM' } }],
    'file (Squid format)'),
  lineEntry('bluecoat-proxysg', 'Symantec', 'ProxySG', { kind: 'csv', options: { delimiter: ' ', columns: ['date', 'time', 'time-taken', 'c-ip', 'cs-username', 'cs-auth-group', 'x-exception-id', 'sc-filter-result', 'cs-categories', 'cs-referer', 'sc-status', 's-action', 'cs-method', 'rs-content-type', 'cs-uri-scheme', 'cs-host', 'cs-uri-port', 'cs-uri-path', 'cs-uri-query', 'cs-uri-extension', 'cs-user-agent', 's-ip', 'sc-bytes', 'cs-bytes', 'x-virus-id'] } },
    [m('c-ip', 'SourceAddress'), m('cs-username', 'SourceUserName'), m('sc-filter-result', 'DeviceAction'), m('cs-categories', 'DeviceEventCategory'), m('sc-status', 'EventOutcome'), m('cs-method', 'RequestMethod'), m('cs-host', 'DestinationHostName'), m('cs-uri-port', 'DestinationPort'), m('cs-user-agent', 'RequestClientApplication'), m('sc-bytes', 'BytesIn'), m('cs-bytes', 'BytesOut')],
    [{ raw: '2024-11-28 11:34:00 35 10.0.30.7 smirnov - policy_denied DENIED "Malicious Sources/Malnets" - 403 TCP_DENIED GET text/html http dl.badsite.test 80 /get.php ?id=7 php "Mozilla/5.0 (Windows NT 10.0)" 10.0.0.3 1120 412 -', expected: { SourceAddress: '10.0.30.7', SourceUserName: 'smirnov', DeviceAction: 'DENIED', DeviceEventCategory: 'Malicious Sources/Malnets', DestinationHostName: 'dl.badsite.test', DestinationPort: 80, BytesIn: 1120 } }],
    'file (ELFF)'),
  lineEntry('exchange-message-tracking', 'Microsoft', 'Exchange message tracking', { kind: 'csv', options: { columns: ['date-time', 'client-ip', 'client-hostname', 'server-ip', 'server-hostname', 'source-context', 'connector-id', 'source', 'event-id', 'internal-message-id', 'message-id', 'network-message-id', 'recipient-address', 'recipient-status', 'total-bytes', 'recipient-count', 'related-recipient-address', 'reference', 'message-subject', 'sender-address'] } },
    [m('date-time', 'StartTime'), m('client-ip', 'SourceAddress'), m('server-hostname', 'DestinationHostName'), m('event-id', 'DeviceEventClassID'), m('recipient-address', 'DestinationUserName'), m('total-bytes', 'BytesIn'), m('message-subject', 'Message'), m('sender-address', 'SourceUserName')],
    [{ raw: '2024-11-28T11:35:00.123Z,10.0.0.40,EX01,10.0.0.41,EX02,,EX01\\Default EX01,SMTP,RECEIVE,123456,<a1b2@corp.ru>,c3d4,cfo@corp.ru,,48211,1,,,"Invoice, urgent",ext.partner@example.com', expected: { StartTime: '2024-11-28T11:35:00.123Z', SourceAddress: '10.0.0.40', DeviceEventClassID: 'RECEIVE', DestinationUserName: 'cfo@corp.ru', Message: 'Invoice, urgent', SourceUserName: 'ext.partner@example.com' } }],
    'file (CSV)'),
  lineEntry('mariadb-audit', 'MariaDB', 'Server Audit Plugin', { kind: 'csv', options: { columns: ['timestamp', 'serverhost', 'username', 'host', 'connectionid', 'queryid', 'operation', 'database', 'object', 'retcode'] } },
    [m('serverhost', 'DestinationHostName'), m('username', 'SourceUserName'), m('host', 'SourceHostName'), m('operation', 'DeviceEventClassID'), m('database', 'DeviceCustomString1'), m('object', 'DeviceCustomString2'), m('retcode', 'DeviceCustomNumber1')],
    [{ raw: "20241128 11:36:00,db03,webapp,10.0.5.5,412,9911,QUERY,shop,'SELECT * FROM users WHERE id=1 OR 1=1',0", expected: { DestinationHostName: 'db03', SourceUserName: 'webapp', DeviceEventClassID: 'QUERY', DeviceCustomString2: "'SELECT * FROM users WHERE id=1 OR 1=1'", DeviceCustomNumber1: 0 } }],
    'file (CSV)'),
  lineEntry('windows-dhcp-server', 'Microsoft', 'Windows DHCP Server', { kind: 'csv', options: { columns: ['id', 'date', 'time', 'description', 'ip', 'host', 'mac', 'user', 'transaction', 'qresult', 'probation', 'correlation', 'dhcid', 'vendor_hex', 'vendor', 'user_hex', 'user_class', 'relay_agent', 'dns_error'] } },
    [m('id', 'DeviceEventClassID'), m('description', 'Name'), m('ip', 'SourceAddress'), m('host', 'SourceHostName'), m('mac', 'DeviceCustomString1')],
    [{ raw: '10,11/28/24,11:37:00,Assign,10.0.9.77,LAPTOP-44.corp.local,3C22FB010203,,0,6,,,,0x4D53465420352E30,MSFT 5.0,,,,0', expected: { DeviceEventClassID: '10', Name: 'Assign', SourceAddress: '10.0.9.77', SourceHostName: 'LAPTOP-44.corp.local' } }],
    'file (CSV)'),
];
