import type { Database } from "@facerec/storage";
import {
  AppendListeners,
  type AppendOptions,
  type AuditEntry,
  type AuditPage,
  type AuditQuery,
  type AuditRecord,
  type AuditTrail,
  type AuditVerification,
  ChainCheck,
  GENESIS,
  nextEntry,
  pageSizeOf,
} from "./trail.js";

/** Entries read per round trip when a chain is verified. */
const VERIFY_BATCH = 5000;

/**
 * The audit trail in PostgreSQL, shared by every gateway, matcher and job of a deployment. A writer
 * locks its tenant's head row, so concurrent writers (on any replica) extend the chain one at a time
 * and it stays valid; the entry and the head move in one transaction.
 */
export class PgAuditTrail implements AuditTrail {
  private readonly listeners = new AppendListeners();

  constructor(private readonly db: Database) {}

  async append(record: AuditRecord, options: AppendOptions = {}): Promise<AuditEntry> {
    const entry = await this.db.transaction(async (client) => {
      await client.query("INSERT INTO audit_heads (tenant, sequence, hash) VALUES ($1, 0, $2) ON CONFLICT DO NOTHING", [
        record.tenant,
        GENESIS,
      ]);
      const { rows } = await client.query<{ sequence: string; hash: string }>(
        "SELECT sequence, hash FROM audit_heads WHERE tenant = $1 FOR UPDATE",
        [record.tenant],
      );
      const head = rows[0];
      if (options.dedupeKey) {
        const seen = await client.query<{ entry: string }>(
          "SELECT entry FROM audit_entries WHERE tenant = $1 AND dedupe_key = $2",
          [record.tenant, options.dedupeKey],
        );
        if (seen.rows[0]) return { entry: JSON.parse(seen.rows[0].entry) as AuditEntry, fresh: false };
      }
      const entry = nextEntry(
        record,
        head && Number(head.sequence) > 0 ? { sequence: Number(head.sequence), hash: head.hash } : undefined,
      );
      await client.query(
        `INSERT INTO audit_entries (tenant, sequence, time, operation, subject_id, decision, dedupe_key, hash, entry)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          entry.tenant,
          entry.sequence,
          entry.time,
          entry.operation,
          entry.subjectId ?? null,
          entry.decision,
          options.dedupeKey ?? null,
          entry.hash,
          JSON.stringify(entry),
        ],
      );
      await client.query("UPDATE audit_heads SET sequence = $2, hash = $3 WHERE tenant = $1", [
        entry.tenant,
        entry.sequence,
        entry.hash,
      ]);
      return { entry, fresh: true };
    });
    if (entry.fresh) this.listeners.emit(entry.entry);
    return entry.entry;
  }

  onAppend(listener: (entry: AuditEntry) => void): () => void {
    return this.listeners.add(listener);
  }

  async query(q: AuditQuery): Promise<AuditPage> {
    const size = pageSizeOf(q);
    const where = ["tenant = $1", "sequence > $2"];
    const values: unknown[] = [q.tenant, q.pageToken ? Number(q.pageToken) : 0];
    const add = (column: string, op: string, value: unknown) => {
      values.push(value);
      where.push(`${column} ${op} $${values.length}`);
    };
    if (q.operation) add("operation", "=", q.operation);
    if (q.subjectId) add("subject_id", "=", q.subjectId);
    if (q.decision) add("decision", "=", q.decision);
    if (q.since) add("time", ">=", q.since.toISOString());
    if (q.until) add("time", "<", q.until.toISOString());
    values.push(size + 1);
    const { rows } = await this.db.query<{ entry: string }>(
      `SELECT entry FROM audit_entries WHERE ${where.join(" AND ")} ORDER BY sequence LIMIT $${values.length}`,
      values,
    );
    const entries = rows.slice(0, size).map((r) => JSON.parse(r.entry) as AuditEntry);
    const last = entries.at(-1);
    return { entries, ...(rows.length > size && last ? { nextPageToken: String(last.sequence) } : {}) };
  }

  async tenants(): Promise<string[]> {
    const { rows } = await this.db.query<{ tenant: string }>("SELECT tenant FROM audit_heads WHERE sequence > 0 ORDER BY tenant");
    return rows.map((r) => r.tenant);
  }

  async verify(tenant: string): Promise<AuditVerification> {
    const check = new ChainCheck(tenant);
    // Read in key order, whatever the sequences say, so removed or reordered rows show as such.
    let after: number | null = null;
    for (;;) {
      const { rows }: { rows: { sequence: string; entry: string }[] } = await this.db.query(
        `SELECT sequence, entry FROM audit_entries WHERE tenant = $1 AND ($2::bigint IS NULL OR sequence > $2)
         ORDER BY sequence LIMIT $3`,
        [tenant, after, VERIFY_BATCH],
      );
      for (const r of rows) check.add(JSON.parse(r.entry) as AuditEntry);
      if (rows.length < VERIFY_BATCH) break;
      after = Number(rows.at(-1)?.sequence);
    }
    const { rows } = await this.db.query<{ sequence: string; hash: string }>(
      "SELECT sequence, hash FROM audit_heads WHERE tenant = $1",
      [tenant],
    );
    const head = rows[0];
    return check.finish(head && Number(head.sequence) > 0 ? { sequence: Number(head.sequence), hash: head.hash } : undefined);
  }

  async health(): Promise<{ writable: boolean; reason?: string }> {
    try {
      await this.db.query("SELECT 1");
      return { writable: true };
    } catch (error) {
      return { writable: false, reason: `PostgreSQL does not answer: ${(error as Error).message}` };
    }
  }

  async close(): Promise<void> {}
}
