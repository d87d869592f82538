import { join } from "node:path";
import { AuditLog } from "@facerec/audit";
import { ApiKeyStore, SCOPES, type Scope } from "@facerec/auth";
import { UsageError } from "../usage.js";

/** Where the product keeps its state: FACEREC_DATA, or ./data beside where it runs. */
export function dataDir(flag?: string): string {
  return flag ?? process.env.FACEREC_DATA ?? join(process.cwd(), "data");
}

/** `facerec keys create|list|revoke`: manage a tenant's API keys in the data folder. */
export function keysCommand(
  action: string | undefined,
  options: { data: string; tenant?: string; name?: string; scopes?: string; id?: string },
): Record<string, unknown> {
  if (!options.tenant) throw new UsageError("--tenant is required");
  const store = ApiKeyStore.open(join(options.data, "keys"));
  try {
    if (action === "create") {
      const scopes = (options.scopes ?? "").split(",").filter(Boolean);
      const unknown = scopes.filter((s) => !SCOPES.includes(s as Scope));
      if (scopes.length === 0 || unknown.length)
        throw new UsageError(`--scopes takes a comma-separated list of ${SCOPES.join(", ")}`);
      const { key, record } = store.create(options.tenant, options.name ?? "unnamed", scopes as Scope[]);
      const { secretSha256: _, ...shown } = record;
      return { ...shown, key, note: "the key is shown once; only its hash is stored" };
    }
    if (action === "list") return { keys: store.list(options.tenant) };
    if (action === "revoke") {
      if (!options.id) throw new UsageError("--id is required");
      const { secretSha256: _, ...shown } = store.revoke(options.tenant, options.id);
      return shown;
    }
    throw new UsageError("keys takes create, list or revoke");
  } finally {
    store.close();
  }
}

/** `facerec audit verify`: recompute the audit trail's hash chain. */
export function auditVerifyCommand(data: string): Record<string, unknown> {
  const audit = AuditLog.open(join(data, "audit"));
  try {
    return { ...audit.verify() };
  } finally {
    audit.close();
  }
}
