// Event sources that send ArcSight CEF (usually over syslog) and reuse the generic CEF normalizer.
import { cefEntry, leefEntry } from './generic.ts';
import type { CatalogueEntry } from './types.ts';

const pfx = '<134>Nov 28 10:15:02 ';

export const CEF_SOURCES: CatalogueEntry[] = [
  cefEntry('kaspersky-ksc', 'KasperskyLab', 'SecurityCenter', [
    {
      raw: `${pfx}ksc01 CEF:0|KasperskyLab|SecurityCenter|14.2.0.26967|GNRL_EV_VIRUS_FOUND_AND_BLOCKED|Malicious object detected and blocked|8|msg=Result: Blocked\\nObject: C:\\\\Users\\\\ivanov\\\\Downloads\\\\invoice.exe\\nType: Trojan rt=1732788902000 dhost=WS-0142 dst=10.20.1.42 cs2=KES cs2Label=ProductName cs3=12.6.0.438 cs3Label=ProductVersion cs1=HEUR:Trojan.Win32.Generic cs1Label=VirusName duser=CORP\\\\ivanov fname=invoice.exe filePath=C:\\\\Users\\\\ivanov\\\\Downloads\\\\invoice.exe fileHash=5d41402abc4b2a76b9719d911017c592`,
      expected: {
        DeviceVendor: 'KasperskyLab', DeviceProduct: 'SecurityCenter', DeviceEventClassID: 'GNRL_EV_VIRUS_FOUND_AND_BLOCKED', Severity: '8',
        DestinationHostName: 'WS-0142', DestinationAddress: '10.20.1.42', DestinationUserName: 'CORP\\ivanov', DeviceCustomString1: 'HEUR:Trojan.Win32.Generic',
        FilePath: 'C:\\Users\\ivanov\\Downloads\\invoice.exe', FileHash: '5d41402abc4b2a76b9719d911017c592', DeviceReceiptTime: '2024-11-28T10:15:02.000Z',
      },
    },
  ]),
  cefEntry('kaspersky-kata', 'AO Kaspersky Lab', 'Kaspersky Anti Targeted Attack Platform', [
    {
      raw: `${pfx}kata CEF:0|AO Kaspersky Lab|Kaspersky Anti Targeted Attack Platform|6.0.1.357|IDS|Trojan.Win32.Agent.C&C|7|rt=1732788910000 src=10.20.5.17 spt=51544 dst=185.220.101.4 dpt=443 proto=TCP requestMethod=POST request=https://update-cdn.example.net/gate.php cs1=ab12f3c4-5d6e-4f70-8a91-b2c3d4e5f601 cs1Label=EventId`,
      expected: { DeviceProduct: 'Kaspersky Anti Targeted Attack Platform', Name: 'Trojan.Win32.Agent.C&C', SourceAddress: '10.20.5.17', SourcePort: 51544, DestinationAddress: '185.220.101.4', DestinationPort: 443, TransportProtocol: 'TCP', RequestUrl: 'https://update-cdn.example.net/gate.php', RequestMethod: 'POST' },
    },
  ]),
  cefEntry('kaspersky-kwts', 'AO Kaspersky Lab', 'Kaspersky Web Traffic Security', [
    {
      raw: 'CEF:0|AO Kaspersky Lab|Kaspersky Web Traffic Security|6.1|blocked|Object blocked|6|src=10.20.3.77 suser=petrov@corp.local request=http://malware.example.org/dropper.bin act=block cs1=Trojan-Downloader.Win32.Agent cs1Label=ThreatName requestClientApplication=Mozilla/5.0 (Windows NT 10.0; Win64; x64)',
      expected: { SourceAddress: '10.20.3.77', SourceUserName: 'petrov@corp.local', RequestUrl: 'http://malware.example.org/dropper.bin', DeviceAction: 'block', RequestClientApplication: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)' },
    },
  ]),
  cefEntry('kaspersky-ksmg', 'AO Kaspersky Lab', 'Kaspersky Secure Mail Gateway', [
    {
      raw: 'CEF:0|AO Kaspersky Lab|Kaspersky Secure Mail Gateway|2.0|MailScan|Message quarantined|5|src=203.0.113.25 suser=billing@supplier-example.com duser=accounting@corp.ru msg=Subject: Invoice 4411 act=quarantine fname=Invoice_4411.xlsm cs2=Malware cs2Label=ScanResult',
      expected: { SourceAddress: '203.0.113.25', SourceUserName: 'billing@supplier-example.com', DestinationUserName: 'accounting@corp.ru', Message: 'Subject: Invoice 4411', DeviceAction: 'quarantine', FileName: 'Invoice_4411.xlsm' },
    },
  ]),
  cefEntry('kaspersky-kics', 'Kaspersky', 'KICS for Networks', [
    {
      raw: 'CEF:0|Kaspersky|KICS for Networks|4.0|4000002600|Unauthorized PLC program write|9|src=10.100.1.15 smac=00:1d:9c:c7:b0:70 dst=10.100.2.10 dmac=00:0e:8c:aa:bb:cc proto=TCP dpt=502 app=Modbus/TCP cs1=Write Multiple Registers cs1Label=Command',
      expected: { Name: 'Unauthorized PLC program write', Severity: '9', SourceMacAddress: '00:1d:9c:c7:b0:70', DestinationPort: 502, ApplicationProtocol: 'Modbus/TCP' },
    },
  ]),
  cefEntry('kaspersky-kuma-audit', 'Kaspersky', 'KUMA', [
    {
      raw: 'CEF:0|Kaspersky|KUMA|3.2.0|user-logged-in|User logged in|3|rt=1732789000000 suser=admin src=10.0.0.5 outcome=success',
      expected: { DeviceProduct: 'KUMA', DeviceEventClassID: 'user-logged-in', SourceUserName: 'admin', EventOutcome: 'success', SourceAddress: '10.0.0.5' },
    },
  ]),
  cefEntry('usergate-ngfw', 'UserGate', 'NGFW', [
    {
      raw: `${pfx}utm-gw CEF:0|UserGate|NGFW|7.1.0|firewall|Firewall rule matched|3|rt=1732788960000 deviceExternalId=UG-FW01 act=drop src=192.168.10.25 spt=61222 dst=8.8.4.4 dpt=53 proto=UDP suser=corp\\\\sidorov cs1=Block DNS over TLS cs1Label=Rule cs2=Trusted cs2Label=SrcZone cs3=Untrusted cs3Label=DstZone`,
      expected: { DeviceVendor: 'UserGate', DeviceAction: 'drop', SourceAddress: '192.168.10.25', DestinationAddress: '8.8.4.4', DestinationPort: 53, TransportProtocol: 'UDP', SourceUserName: 'corp\\sidorov', DeviceCustomString1: 'Block DNS over TLS' },
    },
  ]),
  cefEntry('ideco-ngfw', 'Ideco', 'NGFW', [
    {
      raw: `${pfx}ideco CEF:0|Ideco|NGFW|17.3|ips_alert|ET POLICY Possible External IP Lookup ipify.org|5|src=192.168.100.14 spt=50312 dst=104.237.62.212 dpt=443 proto=TCP act=alert cs1=2021378 cs1Label=SignatureID suser=ivanova`,
      expected: { DeviceVendor: 'Ideco', Name: 'ET POLICY Possible External IP Lookup ipify.org', SourceAddress: '192.168.100.14', DestinationAddress: '104.237.62.212', SourceUserName: 'ivanova' },
    },
  ]),
  cefEntry('checkpoint-cef', 'Check Point', 'VPN-1 & FireWall-1', [
    {
      raw: 'CEF:0|Check Point|VPN-1 & FireWall-1|Check Point|Log|https|Unknown|act=Drop destinationTranslatedAddress=0.0.0.0 deviceDirection=0 rt=1732788902000 spt=49363 dpt=443 cs2Label=Rule Name cs2=Block_Social layer_name=Network ifname=eth1 origin=192.168.101.254 dst=157.240.1.35 inzone=Internal outzone=External product=VPN-1 & FireWall-1 proto=6 service_id=https src=192.168.101.100',
      expected: { DeviceVendor: 'Check Point', DeviceAction: 'Drop', SourceAddress: '192.168.101.100', DestinationAddress: '157.240.1.35', DestinationPort: 443, DeviceCustomString2: 'Block_Social', TransportProtocol: '6', DestinationTranslatedAddress: '0.0.0.0' },
    },
  ]),
  cefEntry('cyberark-pta', 'CyberArk', 'PTA', [
    {
      raw: 'CEF:0|CyberArk|PTA|12.6|1|Suspected credentials theft|8|suser=mike2@prod1.domain.com shost=prod1.domain.com src=10.1.1.1 duser=andy@dev1.domain.com dhost=dev1.domain.com dst=10.2.2.2 cs1Label=ExtraData cs1=None cs2Label=EventID cs2=52b06812ec3500ed864c461e deviceCustomDate1Label=detectionDate deviceCustomDate1=1388577900000',
      expected: { SourceUserName: 'mike2@prod1.domain.com', DestinationHostName: 'dev1.domain.com', DestinationAddress: '10.2.2.2', DeviceCustomString2: '52b06812ec3500ed864c461e', DeviceCustomDate1: '2014-01-01T12:05:00.000Z' },
    },
  ]),
  cefEntry('cyberark-vault', 'Cyber-Ark', 'Vault', [
    {
      raw: 'CEF:0|Cyber-Ark|Vault|12.2.0000|295|Retrieve password|5|act=Retrieve password suser=jsmith fname=Root\\\\Operating System-WinDomain-corp.local-svc_backup dvc=10.0.0.20 shost=10.0.1.33 dhost=srv-db01 duser=svc_backup externalId= app= reason=Ticket INC0012345 cs1Label=Affected User Name cs1= cs2Label=Safe Name cs2=Windows-Servers',
      expected: { DeviceEventClassID: '295', SourceUserName: 'jsmith', DestinationUserName: 'svc_backup', DeviceAddress: '10.0.0.20', Reason: 'Ticket INC0012345', DeviceCustomString2: 'Windows-Servers' },
    },
  ]),
  cefEntry('trendmicro-deep-security', 'Trend Micro', 'Deep Security Agent', [
    {
      raw: 'CEF:0|Trend Micro|Deep Security Agent|20.0.877|4000000|Eicar_test_file|6|cn1=1 cn1Label=Host ID dvchost=web-prod-03 cn2=205 cn2Label=Quarantine File Size cs6=ContainerImageName cs6Label=Container filePath=/tmp/eicar.com act=Quarantine msg=Realtime',
      expected: { Name: 'Eicar_test_file', DeviceHostName: 'web-prod-03', DeviceCustomNumber2: 205, FilePath: '/tmp/eicar.com', DeviceAction: 'Quarantine' },
    },
  ]),
  cefEntry('imperva-securesphere', 'Imperva Inc.', 'SecureSphere', [
    {
      raw: 'CEF:0|Imperva Inc.|SecureSphere|14.7.0|SQL Injection|SQL Injection|High|act=Block dst=10.50.0.12 dpt=443 duser=n/a src=198.51.100.77 spt=40112 proto=TCP rt=Nov 28 2024 10:20:11 cat=Alert cs1=Default Web Policy cs1Label=Policy request=/shop/item.php?id=1%27%20OR%201=1--',
      expected: { Severity: 'High', DeviceAction: 'Block', SourceAddress: '198.51.100.77', DestinationPort: 443, DeviceReceiptTime: '2024-11-28T10:20:11.000Z', RequestUrl: '/shop/item.php?id=1%27%20OR%201=1--' },
    },
  ]),
  cefEntry('f5-bigip-asm', 'F5', 'ASM', [
    {
      raw: 'CEF:0|F5|ASM|16.1.3|200021069|Cross Site Scripting (XSS)|5|dvchost=bigip1.corp.local dvc=10.10.10.5 cs1=/Common/app_policy cs1Label=policy_name cs2=/Common/vs_app cs2Label=http_class_name deviceCustomDate1=Nov 28 2024 10:21:42 deviceCustomDate1Label=policy_apply_date externalId=3619841278126357 act=blocked cn1=403 cn1Label=response_code src=203.0.113.9 spt=53122 dst=10.10.20.8 dpt=443 requestMethod=GET app=HTTPS request=/search?q=<script>alert(1)</script> cs5=N/A cs5Label=x_forwarded_for_header_value',
      expected: { DeviceHostName: 'bigip1.corp.local', DeviceAction: 'blocked', DeviceCustomNumber1: 403, SourceAddress: '203.0.113.9', ExternalID: '3619841278126357', RequestMethod: 'GET' },
    },
  ]),
  cefEntry('fortinet-fortiweb', 'Fortinet', 'FortiWeb', [
    {
      raw: 'CEF:0|Fortinet|FortiWeb|7.2.4|20000010|SQL Injection Attack|7|src=198.51.100.30 spt=48222 dst=10.1.2.3 dpt=443 act=Alert_Deny request=/login.php requestMethod=POST cs1=Signature Detection cs1Label=SubType cs2=FWB-PROD cs2Label=Appliance',
      expected: { DeviceProduct: 'FortiWeb', DeviceAction: 'Alert_Deny', RequestUrl: '/login.php', SourcePort: 48222 },
    },
  ]),
  cefEntry('trellix-epo', 'McAfee', 'ePolicy Orchestrator', [
    {
      raw: 'CEF:0|McAfee|ePolicy Orchestrator|5.10.0|1278|Malware detected and deleted|8|rt=1732789100000 shost=WS-ACC-07 src=10.30.4.7 suser=CORP\\\\kuznetsova fname=C:\\\\Temp\\\\setup.exe act=deleted cs1=Generic.dx!abc123 cs1Label=ThreatName',
      expected: { SourceHostName: 'WS-ACC-07', SourceUserName: 'CORP\\kuznetsova', FileName: 'C:\\Temp\\setup.exe', DeviceAction: 'deleted' },
    },
  ]),
  cefEntry('citrix-netscaler-appfw', 'Citrix', 'NetScaler', [
    {
      raw: 'CEF:0|Citrix|NetScaler|NS13.1|APPFW|APPFW_SQL|6|src=192.0.2.44 spt=39001 method=GET request=http://portal.corp.ru/index.php?id=1 UNION SELECT msg=SQL Keyword check failed for field id cn1=7710 cn2=452 cs1=pr_portal cs2=PPE0 cs4=ALERT cs5=2024 act=blocked',
      expected: { SourceAddress: '192.0.2.44', RequestUrl: 'http://portal.corp.ru/index.php?id=1 UNION SELECT', Message: 'SQL Keyword check failed for field id', DeviceAction: 'blocked' },
    },
  ]),
  cefEntry('carbonblack-cloud', 'VMware', 'Carbon Black Cloud', [
    {
      raw: 'CEF:0|VMware|Carbon Black Cloud|1.0|CB_ANALYTICS|The application powershell.exe executed a fileless script|6|rt=1732789200000 dvchost=FIN-LAPTOP-12 duser=CORP\\\\orlova dvc=10.40.2.12 cs3Label=Link cs3=https://defense.conferdeploy.net/alerts?s[c][query_string]=id:8F1A2B act=POLICY_TERMINATE sproc=powershell.exe fileHash=908b64b1971a979c7e3e8ce4621945cba84854cb98d76367b791a6e22b5f6d53',
      expected: { DeviceHostName: 'FIN-LAPTOP-12', DestinationUserName: 'CORP\\orlova', SourceProcessName: 'powershell.exe', DeviceAction: 'POLICY_TERMINATE' },
    },
  ]),
  cefEntry('forcepoint-web', 'Forcepoint', 'Security', [
    {
      raw: 'CEF:0|Forcepoint|Security|8.5.5|185|Transaction blocked|7|act=blocked app=https dvc=10.5.5.5 dst=93.184.216.34 dhost=bad.example.com dpt=443 src=10.5.20.41 spt=62022 suser=LDAP://10.0.0.2 OU\\=Users,DC\\=corp/Smirnov requestMethod=CONNECT requestClientApplication=Mozilla/5.0 cs1Label=Policy cs1=Default cs2Label=DynCat cs2=0 cat=Malicious Web Sites request=https://bad.example.com/',
      expected: { DeviceAction: 'blocked', DestinationHostName: 'bad.example.com', SourceUserName: 'LDAP://10.0.0.2 OU=Users,DC=corp/Smirnov', DeviceEventCategory: 'Malicious Web Sites' },
    },
  ]),
  cefEntry('pt-af', 'Positive Technologies', 'PT Application Firewall', [
    {
      raw: 'CEF:0|Positive Technologies|PT Application Firewall|4.2|ptaf_attack|Cross-Site Scripting|7|src=203.0.113.66 spt=55123 dst=10.60.0.10 dpt=443 request=/comments?text=<img src=x onerror=alert(1)> requestMethod=GET act=block cs1=XSS cs1Label=AttackType',
      expected: { DeviceVendor: 'Positive Technologies', Name: 'Cross-Site Scripting', DeviceAction: 'block', RequestMethod: 'GET' },
    },
  ]),
  cefEntry('securitycode-continent', 'Security Code', 'Continent', [
    {
      raw: `${pfx}cgw01 CEF:0|Security Code|Continent|4.1.7|1001|Access denied by filter rule|4|rt=1732789300000 src=172.16.5.10 spt=3389 dst=172.16.9.3 dpt=445 proto=TCP act=deny cs1=Rule 17 cs1Label=RuleName`,
      expected: { DeviceProduct: 'Continent', DeviceAction: 'deny', DestinationPort: 445, TransportProtocol: 'TCP' },
    },
  ]),
  cefEntry('cisco-firepower-estreamer', 'Cisco', 'Firepower', [
    {
      raw: 'CEF:0|Cisco|Firepower|6.7|RNA:1003:1|Intrusion event|5|src=10.2.3.4 dst=10.9.8.7 spt=40000 dpt=80 proto=6 cs1=Initial Access Policy cs1Label=IntrusionPolicy msg=SERVER-WEBAPP Apache Struts remote code execution attempt act=Block',
      expected: { Message: 'SERVER-WEBAPP Apache Struts remote code execution attempt', DestinationPort: 80, DeviceAction: 'Block' },
    },
  ]),
  cefEntry('barracuda-waf', 'Barracuda', 'WAF', [
    {
      raw: 'CEF:0|Barracuda|WAF|11.0|WAF_LOG|SQL_INJECTION_IN_URL|8|cat=WF dvchost=waf01 src=198.51.100.12 spt=40321 dst=10.7.7.7 dpt=443 requestMethod=GET request=/products?id=1;DROP TABLE users act=DENY',
      expected: { DeviceEventCategory: 'WF', DeviceAction: 'DENY', RequestUrl: '/products?id=1;DROP TABLE users' },
    },
  ]),
  cefEntry('microsoft-defender-identity', 'Microsoft', 'Azure ATP', [
    {
      raw: 'CEF:0|Microsoft|Azure ATP|2.0|LdapBruteForceSecurityAlert|Suspected brute force attack (LDAP)|5|start=2024-11-28T10:30:00.0000000Z suser=kirill app=Ldap shost=WS-HR-03 msg=WS-HR-03 attempted to authenticate 57 times against DC01 using LDAP. externalId=2004 cs1Label=url cs1=https://corp.atp.azure.com/securityAlert/1c2d',
      expected: { StartTime: '2024-11-28T10:30:00.000Z', SourceUserName: 'kirill', ApplicationProtocol: 'Ldap', SourceHostName: 'WS-HR-03' },
    },
  ]),
  cefEntry('zscaler-nss', 'Zscaler', 'NSSWeblog', [
    {
      raw: 'CEF:0|Zscaler|NSSWeblog|5.0|Blocked|Malicious Content|9|act=Blocked reason=Malicious Content app=HTTPS dhost=evil.example.org dst=192.0.2.77 src=10.80.1.44 sourceTranslatedAddress=203.0.113.2 in=1200 out=530 request=https://evil.example.org/x.js requestMethod=GET suser=user1@corp.com cat=Malware Sites',
      expected: { SourceTranslatedAddress: '203.0.113.2', BytesIn: 1200, BytesOut: 530, SourceUserName: 'user1@corp.com', Reason: 'Malicious Content' },
    },
  ]),
  cefEntry('darktrace', 'Darktrace', 'DCIP System', [
    {
      raw: 'CEF:0|Darktrace|DCIP System|6.1|100|Anomalous Connection::Data Sent to Rare Domain|7|dvc=10.0.0.250 src=10.12.0.33 shost=dev-laptop-33 dhost=rare-upload.example.net cs1=https://darktrace.corp/#modelbreach/1234 cs1Label=Link cn1=84 cn1Label=Score',
      expected: { SourceHostName: 'dev-laptop-33', DestinationHostName: 'rare-upload.example.net', DeviceCustomNumber1: 84 },
    },
  ]),
  cefEntry('crowdstrike-falcon', 'CrowdStrike', 'FalconHost', [
    {
      raw: 'CEF:0|CrowdStrike|FalconHost|1.0|DetectionSummaryEvent|Detection Summary Event|High|externalId=ldt:4f2b:812 cat=Credential Access shost=SRV-FILE01 suser=administrator fname=mimikatz.exe filePath=\\\\Device\\\\HarddiskVolume2\\\\Temp\\\\mimikatz.exe fileHash=61c0810a23580cf492a6ba4f7654566108331e7a4134c968c2d6a05261b2d8a1 msg=A process attempted to dump LSASS memory act=Process killed',
      expected: { Severity: 'High', SourceHostName: 'SRV-FILE01', FileName: 'mimikatz.exe', FilePath: '\\Device\\HarddiskVolume2\\Temp\\mimikatz.exe', DeviceAction: 'Process killed' },
    },
  ]),
  cefEntry('sentinelone', 'SentinelOne', 'Mgmt', [
    {
      raw: 'CEF:0|SentinelOne|Mgmt|22.3|3608|New threat detected|8|rt=1732789500000 dvchost=LAPTOP-DEV-09 suser=DEV\\\\andreev fname=payload.dll filePath=C:\\\\ProgramData\\\\payload.dll fileHash=3395856ce81f2b7382dee72602f798b642f14140 cs1=Malicious cs1Label=confidenceLevel',
      expected: { DeviceHostName: 'LAPTOP-DEV-09', FileHash: '3395856ce81f2b7382dee72602f798b642f14140', DeviceCustomString1: 'Malicious' },
    },
  ]),
  cefEntry('varonis-datalert', 'Varonis Inc.', 'DatAlert', [
    {
      raw: 'CEF:0|Varonis Inc.|DatAlert|8.5.55|DA-11|Abnormal service behavior: access to atypical folders|Medium|rt=Nov 28 2024 10:40:00 cat=Alert suser=CORP\\\\svc_sql dhost=FS01 filePath=\\\\\\\\FS01\\\\Finance\\\\Payroll outcome=Success',
      expected: { Severity: 'Medium', SourceUserName: 'CORP\\svc_sql', FilePath: '\\\\FS01\\Finance\\Payroll', EventOutcome: 'Success' },
    },
  ]),
  cefEntry('fireeye-hx', 'FireEye', 'HX', [
    {
      raw: 'CEF:0|FireEye|HX|5.2.0|IOC Hit Found|IOC Hit Found|10|rt=Nov 28 2024 10:41:05 UTC dvchost=hx.corp.local categoryDeviceGroup=/IDS cs1Label=Host Agent Cert Hash cs1=7a2dd9b0 dst=10.70.1.9 dhost=WS-ENG-11 duser=CORP\\\\belov cs2Label=Indicator Name cs2=COBALT STRIKE (BACKDOOR) act=Detection',
      expected: { DestinationHostName: 'WS-ENG-11', DestinationAddress: '10.70.1.9', DeviceCustomString2: 'COBALT STRIKE (BACKDOOR)', DeviceReceiptTime: '2024-11-28T10:41:05.000Z' },
    },
  ]),
  cefEntry('paloalto-panos-cef', 'Palo Alto Networks', 'PAN-OS', [
    {
      raw: '<14>Nov 28 10:42:10 PA-3220 CEF:0|Palo Alto Networks|PAN-OS|10.2.4|end|TRAFFIC|1|rt=Nov 28 2024 10:42:10 GMT deviceExternalId=013201001234 src=10.1.1.20 dst=142.250.74.110 sourceTranslatedAddress=203.0.113.10 destinationTranslatedAddress=142.250.74.110 cs1Label=Rule cs1=allow-web suser=corp\\\\volkov duser= app=ssl cs3Label=Virtual System cs3=vsys1 cs4Label=Source Zone cs4=trust cs5Label=Destination Zone cs5=untrust deviceInboundInterface=ethernet1/2 deviceOutboundInterface=ethernet1/1 spt=52311 dpt=443 sourceTranslatedPort=20311 proto=tcp act=allow in=5120 out=1840',
      expected: { DeviceProduct: 'PAN-OS', Name: 'TRAFFIC', SourceAddress: '10.1.1.20', DestinationAddress: '142.250.74.110', SourceTranslatedPort: 20311, DeviceAction: 'allow', BytesIn: 5120, DeviceInboundInterface: 'ethernet1/2' },
    },
  ]),
  cefEntry('fortigate-cef', 'Fortinet', 'Fortigate', [
    {
      raw: '<189>Nov 28 10:43:00 FGT-HQ CEF:0|Fortinet|Fortigate|v7.2.5|00013|traffic:forward deny|3|deviceExternalId=FG100FTK20000001 FTNTFGTlogid=0000000013 cat=traffic:forward FTNTFGTsubtype=forward FTNTFGTlevel=notice src=192.168.1.50 spt=55321 deviceInboundInterface=port2 dst=45.33.32.156 dpt=22 deviceOutboundInterface=wan1 proto=6 act=deny',
      expected: { DeviceEventClassID: '00013', SourceAddress: '192.168.1.50', DestinationPort: 22, DeviceAction: 'deny', DeviceOutboundInterface: 'wan1' },
    },
  ]),
  cefEntry('bitdefender-gravityzone', 'Bitdefender', 'GravityZone', [
    {
      raw: 'CEF:0|Bitdefender|GravityZone|6.41.2-1|35|Antimalware|9|BitdefenderGZModule=av BitdefenderGZCompanyName=Corp dvchost=WS-SALES-04 dvc=10.90.1.4 BitdefenderGZMalwareName=Gen:Variant.Razy.912 filePath=C:\\\\Users\\\\a.popov\\\\AppData\\\\Local\\\\Temp\\\\x.exe act=deleted suser=a.popov',
      expected: { DeviceHostName: 'WS-SALES-04', DeviceAddress: '10.90.1.4', DeviceAction: 'deleted', SourceUserName: 'a.popov' },
    },
  ]),
  cefEntry('radware-defensepro', 'Radware', 'DefensePro', [
    {
      raw: 'CEF:0|Radware|DefensePro|8.22|SYN Flood|SYN Flood HTTP|High|src=0.0.0.0 dst=10.100.0.80 dpt=80 proto=TCP act=Drop cnt=154210 cs1=Policy_Web cs1Label=PolicyName',
      expected: { Name: 'SYN Flood HTTP', BaseEventCount: 154210, DestinationAddress: '10.100.0.80', SourceAddress: '0.0.0.0' },
    },
  ]),
  cefEntry('aruba-clearpass', 'Aruba Networks', 'ClearPass', [
    {
      raw: 'CEF:0|Aruba Networks|ClearPass|6.11.4|0-1-0|Session Logs|0|rt=Nov 28 2024 10:45:12 src=10.110.4.21 smac=a4:83:e7:12:34:56 suser=host/LAPTOP-77.corp.local cat=Session Logs outcome=ACCEPT cs1=Corp 802.1X Wireless cs1Label=Service',
      expected: { SourceMacAddress: 'a4:83:e7:12:34:56', SourceUserName: 'host/LAPTOP-77.corp.local', EventOutcome: 'ACCEPT', DeviceCustomString1: 'Corp 802.1X Wireless' },
    },
  ]),
  cefEntry('netwrix-auditor', 'Netwrix', 'Auditor', [
    {
      raw: 'CEF:0|Netwrix|Auditor|10.5|Modified|Active Directory: Group membership changed|5|rt=Nov 28 2024 10:46:00 suser=CORP\\\\admin.petrov dhost=dc01.corp.local cs1=\\\\corp.local\\\\Groups\\\\Domain Admins cs1Label=What msg=Added: CORP\\\\temp_user',
      expected: { SourceUserName: 'CORP\\admin.petrov', DeviceCustomString1: '\\corp.local\\Groups\\Domain Admins', Message: 'Added: CORP\\temp_user' },
    },
  ]),
  cefEntry('drweb-esuite', 'Doctor Web', 'Dr.Web Enterprise Security Suite', [
    {
      raw: 'CEF:0|Doctor Web|Dr.Web Enterprise Security Suite|13.0|infection|Threat detected|7|shost=BUH-PC02 src=10.15.0.22 suser=buh2 fname=C:\\\\Users\\\\buh2\\\\Desktop\\\\act.scr act=moved to quarantine cs1=Trojan.PWS.Stealer.23680 cs1Label=Virus',
      expected: { DeviceVendor: 'Doctor Web', SourceHostName: 'BUH-PC02', FileName: 'C:\\Users\\buh2\\Desktop\\act.scr', DeviceCustomString1: 'Trojan.PWS.Stealer.23680' },
    },
  ]),
  cefEntry('infowatch-tm', 'InfoWatch', 'Traffic Monitor', [
    {
      raw: 'CEF:0|InfoWatch|Traffic Monitor|7.6|policy_violation|Confidential document sent to personal e-mail|8|suser=s.morozova@corp.ru duser=morozova.s@gmail.com fname=Budget_2025.xlsx act=blocked cs1=Financial data cs1Label=Policy',
      expected: { SourceUserName: 's.morozova@corp.ru', DestinationUserName: 'morozova.s@gmail.com', FileName: 'Budget_2025.xlsx', DeviceCustomString1: 'Financial data' },
    },
  ]),
  cefEntry('thycotic-secret-server', 'Thycotic Software', 'Secret Server', [
    {
      raw: 'CEF:0|Thycotic Software|Secret Server|11.4.000002|500|SECRET - VIEW|2|msg=Secret viewed: Domain Admin - corp suser=jdoe suid=14 cs4=John Doe cs4Label=Suser Display Name src=10.3.3.3 rt=Nov 28 2024 10:47:30 fname=Domain Admin - corp fileType=Secret',
      expected: { Name: 'SECRET - VIEW', SourceUserName: 'jdoe', SourceUserID: '14', FileName: 'Domain Admin - corp', FileType: 'Secret' },
    },
  ]),
  cefEntry('vectra-cognito', 'Vectra Networks', 'X Series', [
    {
      raw: 'CEF:0|Vectra Networks|X Series|7.5|hsc|Host Score Change|3|externalId=1234 cat=HOST SCORING dvchost=cognito-brain shost=WS-DEV-42 src=10.44.1.42 flexNumber1=63 flexNumber1Label=threat flexNumber2=58 flexNumber2Label=certainty',
      expected: { SourceHostName: 'WS-DEV-42', FlexNumber1: 63, FlexNumber2: 58 },
    },
  ]),
];

export const LEEF_SOURCES: CatalogueEntry[] = [
  leefEntry('checkpoint-leef', 'Check Point', 'Firewall', [
    {
      raw: '<134>Nov 28 10:50:01 cpmgmt LEEF:2.0|Check Point|VPN-1 & FireWall-1|1.0|Drop|^|cat=Firewall^src=10.0.0.14^dst=198.51.100.80^srcPort=50123^dstPort=3389^proto=TCP^action=Drop^usrName=CORP\\gromov^policy=Standard',
      expected: { DeviceVendor: 'Check Point', DeviceEventClassID: 'Drop', SourceAddress: '10.0.0.14', DestinationPort: 3389, DeviceAction: 'Drop', SourceUserName: 'CORP\\gromov', Reason: 'Standard' },
    },
  ]),
  leefEntry('paloalto-leef', 'Palo Alto Networks', 'LF', [
    {
      raw: 'LEEF:1.0|Palo Alto Networks|LF|10.2|THREAT|cat=THREAT\tsubtype=vulnerability\tdevTime=Nov 28 2024 10:51:00 GMT\tsrc=10.1.5.5\tdst=10.1.9.9\tsrcPort=51111\tdstPort=445\tproto=tcp\tusrName=corp\\\\ivlev\taction=reset-both\tSeverity=critical\tThreatID=SMB Brute Force(40004)',
      expected: { DeviceProduct: 'LF', DeviceEventCategory: 'THREAT', DeviceReceiptTime: '2024-11-28T10:51:00.000Z', DestinationPort: 445, DeviceAction: 'reset-both' },
    },
  ]),
  leefEntry('tippingpoint-leef', 'TippingPoint', 'SMS', [
    {
      raw: 'LEEF:1.0|TippingPoint|SMS|5.5|Block|cat=Vulnerability\tsev=8\tsrc=198.51.100.4\tdst=10.20.30.40\tsrcPort=4444\tdstPort=80\tproto=TCP\tmsg=HTTP: Apache Log4j RCE (CVE-2021-44228)',
      expected: { Severity: '8', Message: 'HTTP: Apache Log4j RCE (CVE-2021-44228)', SourcePort: 4444, DestinationAddress: '10.20.30.40' },
    },
  ]),
  leefEntry('carbonblack-response-leef', 'CB', 'CB', [
    {
      raw: 'LEEF:1.0|CB|CB|7.7|watchlist.hit.process|cat=watchlist\tidentHostName=WS-OPS-3\tidentSrc=10.61.0.3\tusrName=OPS\\kozlov\tprocess_name=rundll32.exe\tcmdline=rundll32.exe javascript:"\\..\\mshtml,RunHTMLApplication"',
      expected: { SourceHostName: 'WS-OPS-3', SourceAddress: '10.61.0.3', SourceUserName: 'OPS\\kozlov' },
    },
  ]),
  leefEntry('beyondtrust-pbps', 'BeyondTrust', 'Password Safe', [
    {
      raw: 'LEEF:2.0|BeyondTrust|Password Safe|21.3|PasswordCheckout|x09|devTime=2024-11-28T10:52:40Z\tusrName=jsmith\tsrc=10.2.2.40\tresource=srv-db01\taccountName=sa\tmsg=Password checked out',
      expected: { DeviceEventClassID: 'PasswordCheckout', SourceUserName: 'jsmith', DestinationHostName: 'srv-db01', DestinationUserName: 'sa', DeviceReceiptTime: '2024-11-28T10:52:40.000Z' },
    },
  ]),
  leefEntry('ibm-guardium', 'IBM', 'Guardium', [
    {
      raw: 'LEEF:1.0|IBM|Guardium|11.4|Policy Violation|ruleID=20044\truleDesc=Failed Login\tseverity=MED\tdevTime=2024-11-28 10:53:15\tsrc=10.5.6.7\tdst=10.5.6.100\tusrName=APP_USER\tsrcPort=50022\tdstPort=1521\tdbUser=SCOTT',
      expected: { DeviceProduct: 'Guardium', DestinationPort: 1521, SourceUserName: 'APP_USER', DeviceReceiptTime: '2024-11-28T10:53:15.000Z' },
    },
  ]),
];
