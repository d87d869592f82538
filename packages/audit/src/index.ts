export { FileAuditTrail } from "./file-trail.js";
export { PgAuditTrail } from "./pg-trail.js";
export type {
  AppendOptions,
  AuditCheckpoint,
  AuditEntry,
  AuditPage,
  AuditQuery,
  AuditRecord,
  AuditTrail,
  AuditVerification,
} from "./trail.js";
export { PAGE } from "./trail.js";
