import { createHash } from "node:crypto";

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
  /** The camera a decision was made for (a pipeline camera, or the label an API call gave). */
  camera?: string;
}

export interface AuditEntry extends AuditRecord {
  /** Position in the tenant's chain, from 1. */
  sequence: number;
  time: string;
  /** SHA-256 over the previous entry's hash (in the same tenant) and this entry's content. */
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
  /** The sequence number to continue from (after it, or before it when newest first), from the previous page's `nextPageToken`. */
  pageToken?: string;
  /** Newest entries first: what an operator looking at the trail wants to see first. */
  newestFirst?: boolean;
}

export interface AuditPage {
  entries: AuditEntry[];
  nextPageToken?: string;
}

/**
 * What a prune removed, kept beside the chain: the last pruned entry's sequence and hash. The first
 * entry kept chains from that hash, so the checkpoint is anchored by the chain itself: a checkpoint
 * edited to hide a removal no longer matches the entry after it.
 */
export interface AuditCheckpoint {
  tenant: string;
  /** The last pruned entry's sequence: entries up to it are gone. */
  sequence: number;
  /** The last pruned entry's hash. */
  hash: string;
  /** Entries pruned so far, over every prune. */
  pruned: number;
  /** When the last prune ran. */
  at: string;
}

export interface AuditVerification {
  tenant: string;
  intact: boolean;
  /** Entries checked (those after the checkpoint). */
  entries: number;
  /** Where the check started, when older entries were pruned. */
  checkpoint?: AuditCheckpoint;
  /** Sequence of the first entry that does not follow from its predecessor. */
  firstBroken?: number;
  reason?: string;
}

export interface AppendOptions {
  /**
   * An entry already appended under this key (in the tenant) is returned instead of a second one: the
   * matcher keys each decision by its crop, so a redelivered embedding is audited once.
   */
  dedupeKey?: string;
}

/**
 * The audit trail port: one hash chain per tenant, append-only, shared by every writer of the
 * deployment. Two adapters pass one conformance suite: a local file (embedded mode) and PostgreSQL.
 */
export interface AuditTrail {
  append(record: AuditRecord, options?: AppendOptions): Promise<AuditEntry>;
  /** One tenant's entries, oldest first, filtered and paged by sequence number. */
  query(q: AuditQuery): Promise<AuditPage>;
  /** Recompute one tenant's chain from what is stored now (from its checkpoint, when entries were pruned). */
  verify(tenant: string): Promise<AuditVerification>;
  /**
   * Remove the tenant's entries older than `before` (ISO time; entries are in time order along the
   * chain, so they are a prefix of it) and move its checkpoint to the last one removed. The newest
   * entry is always kept, so the chain has a head to extend. Undefined when nothing was old enough.
   */
  prune(tenant: string, before: string): Promise<{ checkpoint: AuditCheckpoint; removed: number } | undefined>;
  /** Every tenant that has a chain. */
  tenants(): Promise<string[]>;
  /**
   * Whether an append would be stored now (the disk has room, the database answers): readiness
   * reports it, and changes are refused while it is not, so that none is made without its entry.
   */
  health(): Promise<{ writable: boolean; reason?: string }>;
  /** Be told of every entry this process appends (metrics count decisions this way); returns the unsubscribe. */
  onAppend(listener: (entry: AuditEntry) => void): () => void;
  close(): Promise<void>;
}

export const GENESIS = "0".repeat(64);

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
    // Added after the first release: entries without a camera hash as they always did.
    ...(e.camera !== undefined ? [e.camera] : []),
  ]);
}

export function chainHash(previous: string, e: Omit<AuditEntry, "hash">): string {
  return createHash("sha256").update(previous).update(canonical(e)).digest("hex");
}

/** The next entry of a chain whose head is `head`. */
export function nextEntry(record: AuditRecord, head: { sequence: number; hash: string } | undefined): AuditEntry {
  const body = { ...record, sequence: (head?.sequence ?? 0) + 1, time: new Date().toISOString() };
  return { ...body, hash: chainHash(head?.hash ?? GENESIS, body) };
}

/** Page size bounds for queries. @default 50, at most 1000 */
export const PAGE = { default: 50, max: 1000 };

export function pageSizeOf(q: AuditQuery): number {
  return Math.min(Math.max(q.pageSize ?? PAGE.default, 1), PAGE.max);
}

/** Incremental check of one tenant's chain, entry by entry, then against its recorded head. */
export class ChainCheck {
  private previous = GENESIS;
  private count = 0;
  private checked = 0;
  private broken: Omit<AuditVerification, "tenant" | "entries" | "intact"> | undefined;

  /** With a checkpoint the chain starts after it: at its sequence, from its hash. */
  constructor(
    readonly tenant: string,
    private readonly checkpoint?: AuditCheckpoint,
  ) {
    if (checkpoint) {
      this.previous = checkpoint.hash;
      this.count = checkpoint.sequence;
    }
  }

  add(e: AuditEntry): void {
    if (this.broken) return;
    // Pruned but still stored (a prune interrupted before the rewrite): the last one must be the checkpoint's.
    if (this.checkpoint && e.sequence <= this.checkpoint.sequence) {
      if (e.sequence === this.checkpoint.sequence && e.hash !== this.checkpoint.hash) {
        this.broken = { firstBroken: e.sequence, reason: `entry ${e.sequence} does not match the checkpoint's hash` };
      }
      return;
    }
    this.count++;
    this.checked++;
    if (e.sequence !== this.count) {
      this.broken = {
        firstBroken: this.count,
        reason: `entry ${this.count} carries sequence ${e.sequence}: entries were removed or reordered`,
      };
      return;
    }
    const { hash, ...body } = e;
    if (chainHash(this.previous, body) !== hash || e.tenant !== this.tenant) {
      this.broken = {
        firstBroken: e.sequence,
        reason: `entry ${e.sequence} does not match its hash: it was edited, or one before it was removed`,
      };
      return;
    }
    this.previous = hash;
  }

  /** The result, given the head recorded beside the chain and any unreadable bytes after it. */
  finish(head: { sequence: number; hash: string } | undefined, unreadable = 0): AuditVerification {
    const base = { tenant: this.tenant, entries: this.checked, ...(this.checkpoint ? { checkpoint: this.checkpoint } : {}) };
    if (this.broken) return { ...base, intact: false, ...this.broken };
    if (unreadable > 0) {
      return {
        ...base,
        intact: false,
        firstBroken: this.count + 1,
        reason: `${unreadable} unreadable bytes after entry ${this.count}`,
      };
    }
    if (head && (head.sequence !== this.count || head.hash !== this.previous)) {
      return {
        ...base,
        intact: false,
        firstBroken: this.count + 1,
        reason: `the chain ends at entry ${this.count} but its head records entry ${head.sequence}: entries were cut off the end`,
      };
    }
    return { ...base, intact: true };
  }
}

/** Keeps the listeners of `onAppend`. */
export class AppendListeners {
  private readonly listeners = new Set<(entry: AuditEntry) => void>();

  add(listener: (entry: AuditEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(entry: AuditEntry): void {
    for (const listener of this.listeners) listener(entry);
  }
}

/** Whether an entry passes a query's filters (other than tenant and paging). */
export function matches(e: AuditEntry, q: AuditQuery): boolean {
  return (
    (!q.operation || e.operation === q.operation) &&
    (!q.subjectId || e.subjectId === q.subjectId) &&
    (!q.decision || e.decision === q.decision) &&
    (!q.since || e.time >= q.since.toISOString()) &&
    (!q.until || e.time < q.until.toISOString())
  );
}
