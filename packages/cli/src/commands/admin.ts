import { join } from "node:path";
import { type AuditTrail, FileAuditTrail, PgAuditTrail } from "@facerec/audit";
import { ApiKeyStore, FileKeyStore, PgKeyStore, SCOPES, type Scope } from "@facerec/auth";
import { Database } from "@facerec/storage";
import { UsageError } from "../usage.js";

/** Where the product keeps its state: FACEREC_DATA, or ./data beside where it runs. */
export function dataDir(flag?: string): string {
  return flag ?? process.env.FACEREC_DATA ?? join(process.cwd(), "data");
}

/**
 * Run `work` with the PostgreSQL system of record when DATABASE_URL is set (distributed mode);
 * without it `work` gets undefined and uses the data folder.
 */
async function withState<T>(work: (db: Database | undefined) => Promise<T>): Promise<T> {
  const db = process.env.DATABASE_URL ? await Database.connect(process.env.DATABASE_URL) : undefined;
  try {
    return await work(db);
  } finally {
    await db?.close();
  }
}

/** `facerec keys create|list|revoke`: manage a tenant's API keys. */
export function keysCommand(
  action: string | undefined,
  options: { data: string; tenant?: string; name?: string; scopes?: string; id?: string },
): Promise<Record<string, unknown>> {
  const tenant = options.tenant;
  if (!tenant) throw new UsageError("--tenant is required");
  return withState(async (db) => {
    const store = await ApiKeyStore.open(db ? new PgKeyStore(db) : FileKeyStore.open(join(options.data, "keys")));
    try {
      if (action === "create") {
        const scopes = (options.scopes ?? "").split(",").filter(Boolean);
        const unknown = scopes.filter((s) => !SCOPES.includes(s as Scope));
        if (scopes.length === 0 || unknown.length)
          throw new UsageError(`--scopes takes a comma-separated list of ${SCOPES.join(", ")}`);
        const { key, record } = await store.create(tenant, options.name ?? "unnamed", scopes as Scope[]);
        const { secretSha256: _, ...shown } = record;
        return { ...shown, key, note: "the key is shown once; only its hash is stored" };
      }
      if (action === "list") return { keys: await store.list(tenant) };
      if (action === "revoke") {
        if (!options.id) throw new UsageError("--id is required");
        return { ...(await store.revoke(tenant, options.id)) };
      }
      throw new UsageError("keys takes create, list or revoke");
    } finally {
      await store.close();
    }
  });
}

/** `facerec audit verify [--tenant T]`: recompute each tenant's hash chain (every tenant by default). */
export function auditVerifyCommand(data: string, tenant?: string): Promise<Record<string, unknown>> {
  return withState(async (db) => {
    const audit: AuditTrail = db ? new PgAuditTrail(db) : FileAuditTrail.open(join(data, "audit"));
    try {
      const tenants = tenant ? [tenant] : await audit.tenants();
      const results = [];
      for (const t of tenants) results.push(await audit.verify(t));
      return { intact: results.every((r) => r.intact), tenants: results };
    } finally {
      await audit.close();
    }
  });
}

/**
 * `facerec db migrate|status`: apply the schema migrations this build carries to DATABASE_URL (one
 * runner at a time, under the same lock the services take), or list those still pending. The Helm
 * chart runs `db migrate` as an init step so that an upgrade migrates once, before the new pods serve.
 */
export async function dbCommand(action: string | undefined): Promise<Record<string, unknown>> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new UsageError("db needs DATABASE_URL (the PostgreSQL system of record)");
  if (action !== "migrate" && action !== "status") throw new UsageError("db takes migrate or status");
  const db = await Database.connect(url, { schema: "none" });
  try {
    if (action === "status") return { pending: await db.pendingMigrations() };
    return { applied: await db.migrate(), pending: await db.pendingMigrations() };
  } finally {
    await db.close();
  }
}
