// CEF extension keys (short and full names) → normalized field names. The normalized schema is
// PascalCase CEF, so this table *is* the field dictionary of the generic CEF normalizer.
const PAIRS: Array<[string, string, string]> = [
  // [short key, CEF full name, normalized field]
  ['act', 'deviceAction', 'DeviceAction'], ['app', 'applicationProtocol', 'ApplicationProtocol'], ['cat', 'deviceEventCategory', 'DeviceEventCategory'],
  ['cnt', 'baseEventCount', 'BaseEventCount'], ['dhost', 'destinationHostName', 'DestinationHostName'], ['dmac', 'destinationMacAddress', 'DestinationMacAddress'],
  ['dntdom', 'destinationNtDomain', 'DestinationNtDomain'], ['dpid', 'destinationProcessId', 'DestinationProcessID'], ['dpriv', 'destinationUserPrivileges', 'DestinationUserPrivileges'],
  ['dproc', 'destinationProcessName', 'DestinationProcessName'], ['dpt', 'destinationPort', 'DestinationPort'], ['dst', 'destinationAddress', 'DestinationAddress'],
  ['duid', 'destinationUserId', 'DestinationUserID'], ['duser', 'destinationUserName', 'DestinationUserName'], ['dvc', 'deviceAddress', 'DeviceAddress'],
  ['dvchost', 'deviceHostName', 'DeviceHostName'], ['dvcmac', 'deviceMacAddress', 'DeviceMacAddress'], ['dvcpid', 'deviceProcessId', 'DeviceProcessID'],
  ['end', 'endTime', 'EndTime'], ['fname', 'fileName', 'FileName'], ['fsize', 'fileSize', 'FileSize'], ['in', 'bytesIn', 'BytesIn'],
  ['msg', 'message', 'Message'], ['out', 'bytesOut', 'BytesOut'], ['outcome', 'eventOutcome', 'EventOutcome'], ['proto', 'transportProtocol', 'TransportProtocol'],
  ['request', 'requestUrl', 'RequestUrl'], ['requestMethod', 'requestMethod', 'RequestMethod'], ['requestClientApplication', 'requestClientApplication', 'RequestClientApplication'],
  ['requestContext', 'requestContext', 'RequestContext'], ['requestCookies', 'requestCookies', 'RequestCookies'], ['rt', 'deviceReceiptTime', 'DeviceReceiptTime'],
  ['shost', 'sourceHostName', 'SourceHostName'], ['smac', 'sourceMacAddress', 'SourceMacAddress'], ['sntdom', 'sourceNtDomain', 'SourceNtDomain'],
  ['spid', 'sourceProcessId', 'SourceProcessID'], ['spriv', 'sourceUserPrivileges', 'SourceUserPrivileges'], ['sproc', 'sourceProcessName', 'SourceProcessName'],
  ['spt', 'sourcePort', 'SourcePort'], ['src', 'sourceAddress', 'SourceAddress'], ['start', 'startTime', 'StartTime'], ['suid', 'sourceUserId', 'SourceUserID'],
  ['suser', 'sourceUserName', 'SourceUserName'], ['dtz', 'deviceTimeZone', 'DeviceTimeZone'], ['deviceExternalId', 'deviceExternalId', 'DeviceExternalID'],
  ['deviceFacility', 'deviceFacility', 'DeviceFacility'], ['deviceInboundInterface', 'deviceInboundInterface', 'DeviceInboundInterface'],
  ['deviceOutboundInterface', 'deviceOutboundInterface', 'DeviceOutboundInterface'], ['deviceProcessName', 'deviceProcessName', 'DeviceProcessName'],
  ['deviceDirection', 'deviceDirection', 'DeviceDirection'], ['deviceDnsDomain', 'deviceDnsDomain', 'DeviceDnsDomain'], ['deviceNtDomain', 'deviceNtDomain', 'DeviceNtDomain'],
  ['destinationDnsDomain', 'destinationDnsDomain', 'DestinationDnsDomain'], ['sourceDnsDomain', 'sourceDnsDomain', 'SourceDnsDomain'],
  ['destinationServiceName', 'destinationServiceName', 'DestinationServiceName'], ['sourceServiceName', 'sourceServiceName', 'SourceServiceName'],
  ['destinationTranslatedAddress', 'destinationTranslatedAddress', 'DestinationTranslatedAddress'], ['destinationTranslatedPort', 'destinationTranslatedPort', 'DestinationTranslatedPort'],
  ['sourceTranslatedAddress', 'sourceTranslatedAddress', 'SourceTranslatedAddress'], ['sourceTranslatedPort', 'sourceTranslatedPort', 'SourceTranslatedPort'],
  ['deviceTranslatedAddress', 'deviceTranslatedAddress', 'DeviceTranslatedAddress'], ['externalId', 'externalId', 'ExternalID'], ['reason', 'reason', 'Reason'],
  ['filePath', 'filePath', 'FilePath'], ['fileHash', 'fileHash', 'FileHash'], ['fileType', 'fileType', 'FileType'], ['fileId', 'fileId', 'FileID'],
  ['filePermission', 'filePermission', 'FilePermission'], ['fileCreateTime', 'fileCreateTime', 'FileCreateTime'], ['fileModificationTime', 'fileModificationTime', 'FileModificationTime'],
  ['oldFileName', 'oldFileName', 'OldFileName'], ['oldFilePath', 'oldFilePath', 'OldFilePath'], ['oldFileHash', 'oldFileHash', 'OldFileHash'],
  ['slat', 'sourceLatitude', 'SourceLatitude'], ['slong', 'sourceLongitude', 'SourceLongitude'], ['dlat', 'destinationLatitude', 'DestinationLatitude'],
  ['dlong', 'destinationLongitude', 'DestinationLongitude'], ['cs1', 'deviceCustomString1', 'DeviceCustomString1'], ['cs2', 'deviceCustomString2', 'DeviceCustomString2'],
  ['cs3', 'deviceCustomString3', 'DeviceCustomString3'], ['cs4', 'deviceCustomString4', 'DeviceCustomString4'], ['cs5', 'deviceCustomString5', 'DeviceCustomString5'],
  ['cs6', 'deviceCustomString6', 'DeviceCustomString6'], ['cs1Label', 'deviceCustomString1Label', 'DeviceCustomString1Label'], ['cs2Label', 'deviceCustomString2Label', 'DeviceCustomString2Label'],
  ['cs3Label', 'deviceCustomString3Label', 'DeviceCustomString3Label'], ['cs4Label', 'deviceCustomString4Label', 'DeviceCustomString4Label'],
  ['cs5Label', 'deviceCustomString5Label', 'DeviceCustomString5Label'], ['cs6Label', 'deviceCustomString6Label', 'DeviceCustomString6Label'],
  ['cn1', 'deviceCustomNumber1', 'DeviceCustomNumber1'], ['cn2', 'deviceCustomNumber2', 'DeviceCustomNumber2'], ['cn3', 'deviceCustomNumber3', 'DeviceCustomNumber3'],
  ['cn1Label', 'deviceCustomNumber1Label', 'DeviceCustomNumber1Label'], ['cn2Label', 'deviceCustomNumber2Label', 'DeviceCustomNumber2Label'], ['cn3Label', 'deviceCustomNumber3Label', 'DeviceCustomNumber3Label'],
  ['cfp1', 'deviceCustomFloatingPoint1', 'DeviceCustomFloatingPoint1'], ['cfp2', 'deviceCustomFloatingPoint2', 'DeviceCustomFloatingPoint2'],
  ['cfp3', 'deviceCustomFloatingPoint3', 'DeviceCustomFloatingPoint3'], ['cfp4', 'deviceCustomFloatingPoint4', 'DeviceCustomFloatingPoint4'],
  ['cfp1Label', 'deviceCustomFloatingPoint1Label', 'DeviceCustomFloatingPoint1Label'], ['cfp2Label', 'deviceCustomFloatingPoint2Label', 'DeviceCustomFloatingPoint2Label'],
  ['cfp3Label', 'deviceCustomFloatingPoint3Label', 'DeviceCustomFloatingPoint3Label'], ['cfp4Label', 'deviceCustomFloatingPoint4Label', 'DeviceCustomFloatingPoint4Label'],
  ['c6a1', 'deviceCustomIPv6Address1', 'DeviceCustomIPv6Address1'], ['c6a2', 'deviceCustomIPv6Address2', 'DeviceCustomIPv6Address2'],
  ['c6a3', 'deviceCustomIPv6Address3', 'DeviceCustomIPv6Address3'], ['c6a4', 'deviceCustomIPv6Address4', 'DeviceCustomIPv6Address4'],
  ['c6a1Label', 'deviceCustomIPv6Address1Label', 'DeviceCustomIPv6Address1Label'], ['c6a2Label', 'deviceCustomIPv6Address2Label', 'DeviceCustomIPv6Address2Label'],
  ['c6a3Label', 'deviceCustomIPv6Address3Label', 'DeviceCustomIPv6Address3Label'], ['c6a4Label', 'deviceCustomIPv6Address4Label', 'DeviceCustomIPv6Address4Label'],
  ['deviceCustomDate1', 'deviceCustomDate1', 'DeviceCustomDate1'], ['deviceCustomDate2', 'deviceCustomDate2', 'DeviceCustomDate2'],
  ['deviceCustomDate1Label', 'deviceCustomDate1Label', 'DeviceCustomDate1Label'], ['deviceCustomDate2Label', 'deviceCustomDate2Label', 'DeviceCustomDate2Label'],
  ['flexString1', 'flexString1', 'FlexString1'], ['flexString2', 'flexString2', 'FlexString2'], ['flexString1Label', 'flexString1Label', 'FlexString1Label'],
  ['flexString2Label', 'flexString2Label', 'FlexString2Label'], ['flexNumber1', 'flexNumber1', 'FlexNumber1'], ['flexNumber2', 'flexNumber2', 'FlexNumber2'],
  ['flexDate1', 'flexDate1', 'FlexDate1'],
];

/** CEF key (short or full) → normalized field. */
export const CEF_TO_SCHEMA: ReadonlyMap<string, string> = new Map(PAIRS.flatMap(([s, f, n]) => [[s, n], [f, n]] as Array<[string, string]>));

/** CEF header keys produced by the CEF parser → normalized fields. */
export const CEF_HEADER_TO_SCHEMA: Readonly<Record<string, string>> = {
  deviceVendor: 'DeviceVendor', deviceProduct: 'DeviceProduct', deviceVersion: 'DeviceVersion', deviceEventClassId: 'DeviceEventClassID', name: 'Name', severity: 'Severity',
};

/** LEEF predefined attributes → normalized fields. */
export const LEEF_TO_SCHEMA: ReadonlyMap<string, string> = new Map([
  ['vendor', 'DeviceVendor'], ['product', 'DeviceProduct'], ['productVersion', 'DeviceVersion'], ['eventId', 'DeviceEventClassID'],
  ['cat', 'DeviceEventCategory'], ['devTime', 'DeviceReceiptTime'], ['proto', 'TransportProtocol'], ['sev', 'Severity'], ['src', 'SourceAddress'],
  ['dst', 'DestinationAddress'], ['srcPort', 'SourcePort'], ['dstPort', 'DestinationPort'], ['srcPreNAT', 'SourceAddress'], ['dstPreNAT', 'DestinationAddress'],
  ['srcPostNAT', 'SourceTranslatedAddress'], ['dstPostNAT', 'DestinationTranslatedAddress'], ['srcPreNATPort', 'SourcePort'], ['dstPreNATPort', 'DestinationPort'],
  ['srcPostNATPort', 'SourceTranslatedPort'], ['dstPostNATPort', 'DestinationTranslatedPort'], ['usrName', 'SourceUserName'], ['accountName', 'DestinationUserName'],
  ['identSrc', 'SourceAddress'], ['identHostName', 'SourceHostName'], ['srcMAC', 'SourceMacAddress'], ['dstMAC', 'DestinationMacAddress'], ['srcBytes', 'BytesOut'],
  ['dstBytes', 'BytesIn'], ['action', 'DeviceAction'], ['url', 'RequestUrl'], ['msg', 'Message'], ['resource', 'DestinationHostName'], ['policy', 'Reason'],
]);
