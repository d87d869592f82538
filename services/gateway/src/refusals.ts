import type { AuditLog } from "@facerec/audit";
import { type ApiKeyStore, AuthError, type Principal } from "@facerec/auth";

/**
 * The caller a presented key stands for. A refused key is a decision too and is audited before the
 * AuthError goes on; who tried is unknown, so the entry is filed under no tenant.
 */
export function authenticateOrAudit(
  keys: ApiKeyStore,
  audit: AuditLog,
  key: string | undefined,
  operation: string,
  requestId: string,
): Principal {
  try {
    return keys.authenticate(key);
  } catch (error) {
    if (error instanceof AuthError) {
      audit.append({ tenant: "-", keyId: "-", operation, decision: `rejected-auth:${error.reason}`, requestId });
    }
    throw error;
  }
}

/** Audit a refused request of a known caller: rate limit, bad input, not found, forbidden. */
export function auditRefusal(audit: AuditLog, p: Principal, operation: string, decision: string, requestId: string): void {
  audit.append({ tenant: p.tenant, keyId: p.keyId, operation, decision, requestId });
}
