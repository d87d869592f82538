import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RecordLog } from "@facerec/gallery";

/** One decision, as the audit trail keeps it: no images, no embeddings. */
export interface AuditRecord {
  tenant: string;
  keyId: string;
  operation: string;
  subjectId?: string;
  decision: string;
  scores?: number[];
  modelId?: string;
  latencyMs?: number;
  requestId: string;
}

export interface AuditEntry extends AuditRecord {
  sequence: number;
  time: string;
  /** SHA-256 over the previous entry's hash and this entry's content. */
  hash: string;
}

export interface AuditQuery {
  tenant: string;
  operation?: string;
  subjectId?: string;
  decision?: string;
  since?: Date;
  until?: Date;
  pageSize?: number;
  /** The sequence number to continue after, from the previous page's `nextPageToken`. */
  pageToken?: string;
}

export interface AuditVerification {
  intact: boolean;
  entries: number;
  /** Sequence of the first entry that does not follow from its predecessor. */
  firstBroken?: number;
  reason?: string;
}

const GENESIS = "0".repeat(64);

/** The entry's content in a fixed key order, so that the hash does not depend on how it was built. */
function canonical(e: Omit<AuditEntry, "hash">): string {
  return JSON.stringify([
    e.sequence,
    e.time,
    e.tenant,
    e.keyId,
    e.operation,
    e.subjectId ?? null,
    e.decision,
    e.scores ?? [],
    e.modelId ?? null,
    e.latencyMs ?? null,
    e.requestId,
  ]);
}

function chain(previous: string, e: Omit<AuditEntry, "hash">): string {
  return createHash("sha256").update(previous).update(canonical(e)).digest("hex");
}

/**
 * An append-only, hash-chained audit trail in one file. Each entry's hash covers its predecessor's, so an
 * edited, removed or reordered entry breaks the chain from there on. The head (last sequence and hash) is
 * also written beside the log, so cutting entries off the end is caught too. Unreadable bytes are never
 * cut away: they are reported, and appends are refused until an operator has looked.
 */
export class AuditLog {
  private readonly entries: AuditEntry[] = [];
  private readonly damage: number;
  private readonly listeners = new Set<(entry: AuditEntry) => void>();

  private constructor(
    private readonly dir: string,
    private readonly log: RecordLog,
    damage: number,
  ) {
    this.damage = damage;
  }

  static open(dir: string): AuditLog {
    mkdirSync(dir, { recursive: true });
    const entries: AuditEntry[] = [];
    const { log, recovery } = RecordLog.open(join(dir, "audit.log"), (r) => entries.push(JSON.parse(r.toString())), {
      repair: false,
    });
    const audit = new AuditLog(dir, log, recovery.discardedBytes);
    audit.entries.push(...entries);
    return audit;
  }

  private get headPath(): string {
    return join(this.dir, "audit.head");
  }

  append(record: AuditRecord): AuditEntry {
    if (this.damage > 0) {
      throw new Error(`the audit log has ${this.damage} unreadable bytes at its end; refusing to append until it is inspected`);
    }
    const last = this.entries.at(-1);
    const body = { ...record, sequence: (last?.sequence ?? 0) + 1, time: new Date().toISOString() };
    const entry: AuditEntry = { ...body, hash: chain(last?.hash ?? GENESIS, body) };
    this.log.append([Buffer.from(JSON.stringify(entry))]);
    this.entries.push(entry);
    const tmp = `${this.headPath}.tmp`;
    writeFileSync(tmp, JSON.stringify({ sequence: entry.sequence, hash: entry.hash }));
    renameSync(tmp, this.headPath);
    for (const listener of this.listeners) listener(entry);
    return entry;
  }

  /** Be told of every entry appended from now on (metrics count decisions this way); returns the unsubscribe. */
  onAppend(listener: (entry: AuditEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** One tenant's entries, oldest first, filtered and paged by sequence number. */
  query(q: AuditQuery): { entries: AuditEntry[]; nextPageToken?: string } {
    const after = q.pageToken ? Number(q.pageToken) : 0;
    const size = Math.min(Math.max(q.pageSize ?? 50, 1), 1000);
    const matching = this.entries.filter(
      (e) =>
        e.tenant === q.tenant &&
        e.sequence > after &&
        (!q.operation || e.operation === q.operation) &&
        (!q.subjectId || e.subjectId === q.subjectId) &&
        (!q.decision || e.decision === q.decision) &&
        (!q.since || e.time >= q.since.toISOString()) &&
        (!q.until || e.time < q.until.toISOString()),
    );
    const page = matching.slice(0, size);
    const last = page.at(-1);
    return { entries: page, ...(matching.length > size && last ? { nextPageToken: String(last.sequence) } : {}) };
  }

  /** Recompute the chain from the file as it is now on disk. */
  verify(): AuditVerification {
    const onDisk: AuditEntry[] = [];
    let unreadable = 0;
    try {
      const { log, recovery } = RecordLog.open(join(this.dir, "audit.log"), (r) => onDisk.push(JSON.parse(r.toString())), {
        repair: false,
      });
      log.close();
      unreadable = recovery.discardedBytes;
    } catch (error) {
      return {
        intact: false,
        entries: onDisk.length,
        firstBroken: onDisk.length + 1,
        reason: `unreadable entry: ${(error as Error).message}`,
      };
    }
    let previous = GENESIS;
    for (const [i, e] of onDisk.entries()) {
      if (e.sequence !== i + 1) {
        return {
          intact: false,
          entries: onDisk.length,
          firstBroken: i + 1,
          reason: `entry ${i + 1} carries sequence ${e.sequence}: entries were removed or reordered`,
        };
      }
      const { hash, ...body } = e;
      if (chain(previous, body) !== hash) {
        return {
          intact: false,
          entries: onDisk.length,
          firstBroken: e.sequence,
          reason: `entry ${e.sequence} does not match its hash: it was edited, or one before it was removed`,
        };
      }
      previous = hash;
    }
    if (unreadable > 0) {
      return {
        intact: false,
        entries: onDisk.length,
        firstBroken: onDisk.length + 1,
        reason: `${unreadable} unreadable bytes after entry ${onDisk.length}`,
      };
    }
    if (existsSync(this.headPath)) {
      const head = JSON.parse(readFileSync(this.headPath, "utf8")) as { sequence: number; hash: string };
      if (head.sequence !== onDisk.length || head.hash !== previous) {
        return {
          intact: false,
          entries: onDisk.length,
          firstBroken: onDisk.length + 1,
          reason: `the log ends at entry ${onDisk.length} but its head records entry ${head.sequence}: entries were cut off the end`,
        };
      }
    }
    return { intact: true, entries: onDisk.length };
  }

  close(): void {
    this.log.close();
  }
}
