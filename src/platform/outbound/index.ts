export { createOutboundClient, type HttpMethod, type OutboundClient, type OutboundClientOptions, type OutboundDefaults, type OutboundRequest, type OutboundResponse, type OutboundStats } from './client.ts';
export { OutboundError, classifyHttpStatus, classifyNetworkError, httpError, type OutboundErrorKind, type OutboundStage, type TlsFailureReason } from './errors.ts';
export { fingerprintSha256, normalizeFingerprint, type TlsOptions } from './tls.ts';
export type { RetryOptions } from './retry.ts';
