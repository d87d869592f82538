import { randomUUID } from "node:crypto";
import { existsSync, linkSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { type AuditVerification, FileAuditTrail, PgAuditTrail } from "@facerec/audit";
import { ApiKeyStore, FileKeyStore, PgKeyStore, SCOPES, type Scope } from "@facerec/auth";
import { CorruptLogError, Database, FolderLock, RecordLog, TransactionJournal } from "@facerec/storage";
import { UsageError } from "../usage.js";

/** Where the product keeps its state: FACEREC_DATA, or ./data beside where it runs. */
export function dataDir(flag?: string): string {
  return flag ?? process.env.FACEREC_DATA ?? join(process.cwd(), "data");
}

/**
 * Run `work` with the PostgreSQL system of record when DATABASE_URL is set (distributed mode);
 * without it `work` gets undefined and uses the data folder. A command that opens logs there names the
 * folder (`data`) and holds it meanwhile, so a product running on it makes the command fail with
 * FolderLockedError: their appends would land in one log, each unseen by the other (and opening a log
 * writes too, when it cuts a torn tail). `audit verify` only reads, and names none.
 */
async function withState<T>(work: (db: Database | undefined) => Promise<T>, data?: string): Promise<T> {
  const db = process.env.DATABASE_URL ? await Database.connect(process.env.DATABASE_URL) : undefined;
  const lock = !db && data !== undefined ? FolderLock.acquire(data) : undefined;
  try {
    return await work(db);
  } finally {
    lock?.release();
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
    // As the product opens the folder: what committed changes had not yet written goes first.
    const transactions = db ? undefined : TransactionJournal.open(options.data);
    const store = await ApiKeyStore.open(db ? new PgKeyStore(db) : FileKeyStore.open(join(options.data, "keys")));
    const fileAudit = db ? undefined : FileAuditTrail.open(join(options.data, "audit"));
    const audit = fileAudit ?? new PgAuditTrail(db as Database);
    if (transactions) await fileAudit?.finishCommits(transactions);
    // A key changed on the host is audited as one changed over the API, under the operator's login;
    // the key and its entry commit together (one transaction, or one journal record).
    const audited = <T>(operation: string, change: () => Promise<T & { id: string }>, verb: string) => {
      const work = async () => {
        const done = await change();
        await audit.append({
          tenant,
          keyId: `cli:${userInfo().username}`,
          operation,
          decision: `${verb} ${done.id}`,
          requestId: randomUUID(),
        });
        return done;
      };
      return transactions ? transactions.run(work) : (db as Database).transaction(work);
    };
    try {
      if (action === "create") {
        const scopes = (options.scopes ?? "").split(",").filter(Boolean);
        const unknown = scopes.filter((s) => !SCOPES.includes(s as Scope));
        if (scopes.length === 0 || unknown.length)
          throw new UsageError(`--scopes takes a comma-separated list of ${SCOPES.join(", ")}`);
        const { key, ...record } = await audited(
          "create-key",
          async () => {
            const created = await store.create(tenant, options.name ?? "unnamed", scopes as Scope[]);
            return { ...created.record, key: created.key };
          },
          "created",
        );
        const { secretSha256: _, ...shown } = record;
        return { ...shown, key, note: "the key is shown once; only its hash is stored" };
      }
      if (action === "list") return { keys: await store.list(tenant) };
      if (action === "revoke") {
        const id = options.id;
        if (!id) throw new UsageError("--id is required");
        return { ...(await audited("revoke-key", () => store.revoke(tenant, id), "revoked")) };
      }
      throw new UsageError("keys takes create, list or revoke");
    } finally {
      await store.close();
      await audit.close();
      transactions?.close();
    }
  }, options.data);
}

/** `facerec audit verify [--tenant T]`: recompute each tenant's hash chain (every tenant by default). */
export function auditVerifyCommand(data: string, tenant?: string): Promise<Record<string, unknown>> {
  return withState(async (db) => {
    let results: AuditVerification[];
    if (db) {
      const audit = new PgAuditTrail(db);
      results = [];
      for (const t of tenant ? [tenant] : await audit.tenants()) results.push(await audit.verify(t));
    } else {
      // Read-only: a damaged trail can be examined without being opened for writing.
      results = await FileAuditTrail.inspect(join(data, "audit"), tenant ? [tenant] : undefined);
    }
    return { intact: results.every((r) => r.intact), tenants: results };
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

/** The product's record logs under its data folder, with what losing records of each would mean. */
const STATE_LOGS = [
  { file: join("gallery", "gallery.log"), loss: "subjects, templates or erasures in the damaged bytes are gone: enrol again" },
  {
    file: join("keys", "keys.log"),
    loss: "keys or revocations in the damaged bytes are gone: a lost revocation revives a key, so review `facerec keys list`",
  },
  {
    file: join("audit", "audit.log"),
    loss: "audit entries in the damaged bytes are gone: `facerec audit verify` reports the chain broken where they were",
  },
  {
    file: join("webhooks", "webhooks.log"),
    loss: "webhooks or deletions in the damaged bytes are gone: a lost deletion sends decisions to its receiver again, so review GET /v1/webhooks",
  },
  {
    file: join("policy", "policy.log"),
    loss: "policy versions in the damaged bytes are gone: a tenant's policy in force may be an older one, so review GET /v1/policy",
  },
  { file: join("review", "review.log"), loss: "faces queued for review in the damaged bytes are gone" },
] as const;

/**
 * `facerec repair [--data DIR]`: for each of the product's record logs that is damaged, keep every
 * record that verifies in a fresh log and set the damaged file aside (`<log>.damaged-<time>`), then
 * report what was kept and which byte ranges were lost. It holds the data folder meanwhile, so it is
 * refused while the product runs there.
 */
export function repairCommand(data: string): Record<string, unknown> {
  // No folder: nothing to repair, and none to create for the lock.
  if (!existsSync(data)) return { repaired: 0, logs: [] };
  const lock = FolderLock.acquire(data);
  try {
    return repairLogs(data);
  } finally {
    lock.release();
  }
}

function repairLogs(data: string): Record<string, unknown> {
  const logs = [];
  for (const { file, loss } of STATE_LOGS) {
    const path = join(data, file);
    if (!existsSync(path)) continue;
    try {
      const { tornBytes } = RecordLog.read(path, () => {});
      logs.push({
        file: path,
        state: "intact",
        ...(tornBytes ? { tornBytes, note: "a torn last append, cut at the next start" } : {}),
      });
      continue;
    } catch (error) {
      if (!(error instanceof CorruptLogError)) throw error;
    }
    const { records, damaged } = RecordLog.salvage(path);
    const keptAs = `${path}.damaged-${new Date().toISOString().replace(/[:.]/g, "-")}`;
    // A second name for the damaged file, so that the log's own name never goes missing on the way.
    linkSync(path, keptAs);
    RecordLog.rewrite(path, records);
    logs.push({ file: path, state: "repaired", kept: records.length, damaged, damagedFileKeptAs: keptAs, loss });
  }
  return { repaired: logs.filter((l) => l.state === "repaired").length, logs };
}
