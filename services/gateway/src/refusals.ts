import type { AuditTrail } from "@facerec/audit";
import { type ApiKeyStore, AuthError, type Principal } from "@facerec/auth";

/**
 * The caller a presented key stands for. A refused key is a decision too and is audited before the
 * AuthError goes on; who tried is unknown, so the entry is filed under no tenant.
 */
export async function authenticateOrAudit(
  keys: ApiKeyStore,
  audit: AuditTrail,
  key: string | undefined,
  operation: string,
  requestId: string,
): Promise<Principal> {
  try {
    return await keys.authenticate(key);
  } catch (error) {
    if (error instanceof AuthError) {
      await audit.append({ tenant: "-", keyId: "-", operation, decision: `rejected-auth:${error.reason}`, requestId });
    }
    throw error;
  }
}

/** Audit a refused request of a known caller: rate limit, bad input, not found, forbidden. */
export async function auditRefusal(
  audit: AuditTrail,
  p: Principal,
  operation: string,
  decision: string,
  requestId: string,
): Promise<void> {
  await audit.append({ tenant: p.tenant, keyId: p.keyId, operation, decision, requestId });
}
