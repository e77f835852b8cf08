export { createAuditLog, AuditInputError, type AuditLog, type AuditEntry, type AuditEntryInput, type AuditListQuery, type AuditPage, type AuditOutcome, type VerifyResult } from './log.ts';
export { auditMigrations, GENESIS_HASH, type AuditTables, type AuditLogTable, type AuditHeadTable } from './migrations.ts';
export { redactSecrets } from './redact.ts';
export { canonicalJson, entryHash } from './chain.ts';
export { auditVerifyCommand } from './command.ts';
