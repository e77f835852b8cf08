// The normalized event schema: flat, PascalCase, CEF-derived (KUMA's data model). Every field has a
// type; values are coerced to it, and values that fail validation are dropped (KUMA drops invalid
// *Address / *Date fields silently; we also report them in `warnings`).

export type FieldType = 'string' | 'int' | 'float' | 'address' | 'mac' | 'port' | 'time';

const strings = [
  'DeviceVendor', 'DeviceProduct', 'DeviceVersion', 'DeviceEventClassID', 'Name', 'Severity', 'Message', 'DeviceAction',
  'DeviceHostName', 'DeviceProcessName', 'DeviceExternalID', 'DeviceFacility', 'DeviceEventCategory', 'DeviceInboundInterface',
  'DeviceOutboundInterface', 'DeviceTimeZone', 'DeviceDnsDomain', 'DeviceNtDomain', 'DeviceZone', 'ApplicationProtocol', 'TransportProtocol',
  'SourceHostName', 'SourceUserName', 'SourceUserID', 'SourceNtDomain', 'SourceProcessName', 'SourceDnsDomain', 'SourceServiceName',
  'SourceUserPrivileges', 'SourceZone', 'SourceCountry', 'SourceCity',
  'DestinationHostName', 'DestinationUserName', 'DestinationUserID', 'DestinationNtDomain', 'DestinationProcessName', 'DestinationDnsDomain',
  'DestinationServiceName', 'DestinationUserPrivileges', 'DestinationZone', 'DestinationCountry', 'DestinationCity',
  'RequestUrl', 'RequestMethod', 'RequestClientApplication', 'RequestContext', 'RequestCookies', 'FileName', 'FilePath', 'FileHash',
  'FileType', 'FileID', 'FilePermission', 'OldFileName', 'OldFilePath', 'OldFileHash', 'EventOutcome', 'Reason', 'ExternalID', 'Code',
  'DeviceCustomString1', 'DeviceCustomString2', 'DeviceCustomString3', 'DeviceCustomString4', 'DeviceCustomString5', 'DeviceCustomString6',
  'DeviceCustomString1Label', 'DeviceCustomString2Label', 'DeviceCustomString3Label', 'DeviceCustomString4Label', 'DeviceCustomString5Label', 'DeviceCustomString6Label',
  'DeviceCustomNumber1Label', 'DeviceCustomNumber2Label', 'DeviceCustomNumber3Label', 'DeviceCustomFloatingPoint1Label', 'DeviceCustomFloatingPoint2Label',
  'DeviceCustomFloatingPoint3Label', 'DeviceCustomFloatingPoint4Label', 'DeviceCustomIPv6Address1Label', 'DeviceCustomIPv6Address2Label',
  'DeviceCustomIPv6Address3Label', 'DeviceCustomIPv6Address4Label', 'DeviceCustomDate1Label', 'DeviceCustomDate2Label', 'FlexString1', 'FlexString2',
  'FlexString1Label', 'FlexString2Label', 'Raw', 'TenantID', 'ID',
];
const ints = ['BytesIn', 'BytesOut', 'DeviceCustomNumber1', 'DeviceCustomNumber2', 'DeviceCustomNumber3', 'SourceProcessID', 'DestinationProcessID', 'DeviceProcessID', 'FileSize', 'Priority', 'Type', 'BaseEventCount', 'DeviceDirection', 'FlexNumber1', 'FlexNumber2'];
const floats = ['SourceLatitude', 'SourceLongitude', 'DestinationLatitude', 'DestinationLongitude', 'DeviceCustomFloatingPoint1', 'DeviceCustomFloatingPoint2', 'DeviceCustomFloatingPoint3', 'DeviceCustomFloatingPoint4'];
const addresses = ['SourceAddress', 'DestinationAddress', 'DeviceAddress', 'SourceTranslatedAddress', 'DestinationTranslatedAddress', 'DeviceTranslatedAddress', 'DeviceCustomIPv6Address1', 'DeviceCustomIPv6Address2', 'DeviceCustomIPv6Address3', 'DeviceCustomIPv6Address4'];
const macs = ['SourceMacAddress', 'DestinationMacAddress', 'DeviceMacAddress'];
const ports = ['SourcePort', 'DestinationPort', 'SourceTranslatedPort', 'DestinationTranslatedPort'];
const times = ['StartTime', 'EndTime', 'DeviceReceiptTime', 'DeviceCustomDate1', 'DeviceCustomDate2', 'FileCreateTime', 'FileModificationTime', 'OldFileCreateTime', 'FlexDate1', 'Timestamp'];

export const SCHEMA: Readonly<Record<string, FieldType>> = Object.freeze(
  Object.fromEntries([
    ...strings.map((f) => [f, 'string']),
    ...ints.map((f) => [f, 'int']),
    ...floats.map((f) => [f, 'float']),
    ...addresses.map((f) => [f, 'address']),
    ...macs.map((f) => [f, 'mac']),
    ...ports.map((f) => [f, 'port']),
    ...times.map((f) => [f, 'time']),
  ]) as Record<string, FieldType>,
);

/** KUMA size limits for the string fields that have documented ones; others get 4,096. */
export const STRING_LIMITS: Readonly<Record<string, number>> = {
  DeviceVendor: 63, DeviceProduct: 63, DeviceVersion: 31, DeviceEventClassID: 1023, Name: 512, ApplicationProtocol: 31,
  DestinationHostName: 1023, SourceHostName: 1023, DestinationDnsDomain: 255, SourceDnsDomain: 255, DestinationNtDomain: 255, SourceNtDomain: 255,
  Message: 1048576, Raw: 4194304, RequestUrl: 8192,
};

/** The normalized event: schema fields plus `Extra` (unmapped original fields as strings). */
export type NormalizedEvent = Record<string, string | number | Record<string, string>> & { Extra?: Record<string, string> };

export function isSchemaField(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(SCHEMA, name);
}
