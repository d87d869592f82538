import type { Database } from "@facerec/storage";
import {
  AppendListeners,
  type AppendOptions,
  type AuditCheckpoint,
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
    const where = ["tenant = $1", q.newestFirst ? "sequence < $2" : "sequence > $2"];
    const values: unknown[] = [q.tenant, q.pageToken ? Number(q.pageToken) : q.newestFirst ? Number.MAX_SAFE_INTEGER : 0];
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
      `SELECT entry FROM audit_entries WHERE ${where.join(" AND ")} ORDER BY sequence ${q.newestFirst ? "DESC" : "ASC"} LIMIT $${values.length}`,
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

  /** The tenant's checkpoint, when entries were pruned. */
  private async checkpoint(tenant: string): Promise<AuditCheckpoint | undefined> {
    const { rows } = await this.db.query<{ sequence: string; hash: string; pruned: string; at: string }>(
      "SELECT sequence, hash, pruned, at FROM audit_checkpoints WHERE tenant = $1",
      [tenant],
    );
    const r = rows[0];
    return r && { tenant, sequence: Number(r.sequence), hash: r.hash, pruned: Number(r.pruned), at: r.at };
  }

  async prune(tenant: string, before: string): Promise<{ checkpoint: AuditCheckpoint; removed: number } | undefined> {
    return this.db.transaction(async (client) => {
      // Under the head's lock, as appends are: nothing is appended while the prefix is cut.
      const head = await client.query<{ sequence: string }>("SELECT sequence FROM audit_heads WHERE tenant = $1 FOR UPDATE", [
        tenant,
      ]);
      const last = Number(head.rows[0]?.sequence ?? 0);
      // The prefix of the chain older than `before`: up to the first entry that is not (replicas'
      // clocks may differ a little, so time alone need not be in sequence order), never the newest.
      const { rows: first } = await client.query<{ sequence: string | null }>(
        "SELECT min(sequence) AS sequence FROM audit_entries WHERE tenant = $1 AND time >= $2",
        [tenant, before],
      );
      const cut =
        Math.min(first[0]?.sequence === null || first[0]?.sequence === undefined ? last : Number(first[0].sequence), last) - 1;
      const { rows } = await client.query<{ sequence: string; hash: string }>(
        "DELETE FROM audit_entries WHERE tenant = $1 AND sequence <= $2 RETURNING sequence, hash",
        [tenant, cut],
      );
      if (!rows.length) return undefined;
      const newest = rows.reduce((a, b) => (Number(b.sequence) > Number(a.sequence) ? b : a));
      const { rows: saved } = await client.query<{ pruned: string; at: string }>(
        `INSERT INTO audit_checkpoints (tenant, sequence, hash, pruned, at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (tenant) DO UPDATE SET sequence = EXCLUDED.sequence, hash = EXCLUDED.hash,
           pruned = audit_checkpoints.pruned + EXCLUDED.pruned, at = EXCLUDED.at
         RETURNING pruned, at`,
        [tenant, Number(newest.sequence), newest.hash, rows.length, new Date().toISOString()],
      );
      const checkpoint = {
        tenant,
        sequence: Number(newest.sequence),
        hash: newest.hash,
        pruned: Number(saved[0]?.pruned),
        at: saved[0]?.at as string,
      };
      return { checkpoint, removed: rows.length };
    });
  }

  async verify(tenant: string): Promise<AuditVerification> {
    const check = new ChainCheck(tenant, await this.checkpoint(tenant));
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
