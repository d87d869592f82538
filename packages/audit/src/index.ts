export { type AuditEntry, AuditLog, type AuditQuery, type AuditRecord, type AuditVerification } from "./audit-log.js";
