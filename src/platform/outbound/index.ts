export { createOutboundClient, fingerprintSha256, normalizeFingerprint, type OutboundClient, type OutboundRequest, type OutboundResponse, type OutboundStats, type TlsOptions } from './client.ts';
export { OutboundError, classifyHttpStatus, classifyNetworkError, httpError, type OutboundErrorKind, type OutboundStage } from './errors.ts';
