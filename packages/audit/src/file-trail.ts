import { accessSync, constants, existsSync, mkdirSync, readFileSync, renameSync, statfsSync } from "node:fs";
import { join } from "node:path";
import { RecordLog, Transaction, type TransactionJournal, writeDurably } from "@facerec/storage";
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
  matches,
  nextEntry,
  pageSizeOf,
} from "./trail.js";

/** How many recent dedupe keys a file trail remembers: redeliveries come within minutes, not days. */
const DEDUPE_MEMORY = 100_000;

/**
 * Entries one query reads from disk at most before it answers: a filter that matches rarely returns a
 * short (even empty) page with a nextPageToken to go on from, rather than reading the whole trail.
 * @default 20,000 (FileAuditTrail.open's `scanLimit` sets another, for tests of the short page)
 */
const SCAN_LIMIT = 20_000;

/** Free space under which the trail reports itself unwritable: a few thousand entries' worth. */
const MIN_FREE_BYTES = 1024 * 1024;

type Head = { sequence: number; hash: string };
type Stored = AuditEntry & { dedupeKey?: string };
/** A change's entry as its commit record carries it. */
type CarriedEntry = { record: AuditRecord; dedupeKey: string };

/**
 * The audit trail in one local file (embedded mode): entries of every tenant interleaved, each
 * chained to the previous entry of its tenant, and each tenant's head written beside the log (fsync'd
 * with its folder), so cutting entries off the end is caught too. Memory holds only where each entry
 * is in the file (two numbers an entry) and the recent dedupe keys; queries read the entries they
 * page through from disk. A torn last append is cut at open (it was never acknowledged); damage
 * anywhere else stops the open (CorruptLogError) and is left for `facerec repair` and an operator.
 */
export class FileAuditTrail implements AuditTrail {
  /** Per tenant, in chain order: each entry's sequence and its record's offset in the log. */
  private readonly index = new Map<string, { sequences: number[]; offsets: number[] }>();
  private readonly heads = new Map<string, Head>();
  private readonly dedupe = new Map<string, AuditEntry>();
  private readonly listeners = new AppendListeners();
  private readonly checkpoints: Map<string, AuditCheckpoint>;

  private constructor(
    private readonly dir: string,
    private readonly scanLimit: number,
  ) {
    this.checkpoints = new Map(Object.entries(storedCheckpoints(dir)));
  }

  private log!: RecordLog;

  static open(dir: string, options: { scanLimit?: number } = {}): FileAuditTrail {
    mkdirSync(dir, { recursive: true });
    archiveGlobalChain(dir);
    const trail = new FileAuditTrail(dir, options.scanLimit ?? SCAN_LIMIT);
    trail.log = trail.replay();
    return trail;
  }

  private replay(): RecordLog {
    // Outside transactions: an entry's write is what completes a change's commit, never staged with it.
    return RecordLog.open(join(this.dir, "audit.log"), (r, offset) => this.remember(JSON.parse(r.toString()), offset), {
      outsideTransactions: true,
    }).log;
  }

  private remember({ dedupeKey, ...entry }: Stored, offset: number): void {
    this.heads.set(entry.tenant, { sequence: entry.sequence, hash: entry.hash });
    // Pruned, and still in the file only because the rewrite did not finish: not listed again.
    if (entry.sequence <= (this.checkpoints.get(entry.tenant)?.sequence ?? 0)) return;
    const at = this.index.get(entry.tenant) ?? { sequences: [], offsets: [] };
    at.sequences.push(entry.sequence);
    at.offsets.push(offset);
    this.index.set(entry.tenant, at);
    if (dedupeKey) {
      this.dedupe.set(`${entry.tenant}\u0000${dedupeKey}`, entry);
      if (this.dedupe.size > DEDUPE_MEMORY) this.dedupe.delete(this.dedupe.keys().next().value as string);
    }
  }

  /**
   * Inside a change's transaction (embedded mode) the entry commits it: the change's staged writes and
   * the entry go into one journal record, then to their logs, then the entry here. A crash after that
   * record leaves the entry to `finishCommits` at the next start, under the same dedupe key.
   */
  async append(record: AuditRecord, options: AppendOptions = {}): Promise<AuditEntry> {
    const tx = Transaction.current();
    if (!tx) return this.appendNow(record, options.dedupeKey);
    const carried: CarriedEntry = { record, dedupeKey: options.dedupeKey ?? `tx:${tx.id}` };
    let entry: AuditEntry | undefined;
    tx.commit({
      payload: carried,
      label: record.operation,
      store: () => {
        entry = this.appendNow(record, carried.dedupeKey);
      },
    });
    return entry as AuditEntry;
  }

  /** Append the entries of changes that committed before a crash kept them from the trail. */
  async finishCommits(journal: TransactionJournal): Promise<number> {
    const unfinished = journal.unfinished();
    for (const { id, carried } of unfinished) {
      const { record, dedupeKey } = carried as CarriedEntry;
      this.appendNow(record, dedupeKey);
      journal.finish(id);
    }
    return unfinished.length;
  }

  private appendNow(record: AuditRecord, dedupeKey: string | undefined): AuditEntry {
    const seen = dedupeKey ? this.dedupe.get(`${record.tenant}\u0000${dedupeKey}`) : undefined;
    if (seen) return seen;
    const entry = nextEntry(record, this.heads.get(record.tenant));
    const stored: Stored = dedupeKey ? { ...entry, dedupeKey } : entry;
    const offset = this.log.size;
    this.log.append([Buffer.from(JSON.stringify(stored))]);
    this.remember(stored, offset);
    writeDurably(headsPath(this.dir), JSON.stringify(Object.fromEntries(this.heads)));
    this.listeners.emit(entry);
    return entry;
  }

  onAppend(listener: (entry: AuditEntry) => void): () => void {
    return this.listeners.add(listener);
  }

  async query(q: AuditQuery): Promise<AuditPage> {
    const size = pageSizeOf(q);
    const at = this.index.get(q.tenant);
    if (!at) return { entries: [] };
    const token = q.pageToken ? Number(q.pageToken) : q.newestFirst ? Number.POSITIVE_INFINITY : 0;
    // The first entry past the token (oldest first), or the first at or past it (newest first, which
    // reads down from the one before): sequences grow along the chain, so a binary search finds it.
    let lo = 0;
    let hi = at.sequences.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const s = at.sequences[mid] as number;
      if (s < token || (s === token && !q.newestFirst)) lo = mid + 1;
      else hi = mid;
    }
    const step = q.newestFirst ? -1 : 1;
    const start = q.newestFirst ? lo - 1 : lo;
    const inRange = (i: number) => i >= 0 && i < at.offsets.length;
    const page: AuditEntry[] = [];
    let i = start;
    for (; inRange(i) && page.length <= size && Math.abs(i - start) < this.scanLimit; i += step) {
      const { dedupeKey: _, ...entry } = JSON.parse(this.log.readAt(at.offsets[i] as number).toString()) as Stored;
      if (matches(entry, q)) page.push(entry);
    }
    if (page.length > size) {
      page.pop();
      return { entries: page, nextPageToken: String((page.at(-1) as AuditEntry).sequence) };
    }
    // Stopped at the scan limit with entries left: go on from the last one read.
    if (inRange(i)) return { entries: page, nextPageToken: String(at.sequences[i - step]) };
    return { entries: page };
  }

  /**
   * The checkpoint is written first, then the log is rewritten without the pruned entries: a crash in
   * between leaves them in the file, where verification and queries pass over them, and the next prune
   * rewrites the log again.
   */
  async prune(tenant: string, before: string): Promise<{ checkpoint: AuditCheckpoint; removed: number } | undefined> {
    const at = this.index.get(tenant);
    if (!at) return undefined;
    let cut = -1;
    let hash = "";
    // The prefix older than `before`, never the newest entry (the head the chain goes on from).
    for (let i = 0; i < at.offsets.length - 1; i++) {
      const e = JSON.parse(this.log.readAt(at.offsets[i] as number).toString()) as Stored;
      if (e.time >= before) break;
      cut = i;
      hash = e.hash;
    }
    if (cut < 0) return undefined;
    const checkpoint: AuditCheckpoint = {
      tenant,
      sequence: at.sequences[cut] as number,
      hash,
      pruned: (this.checkpoints.get(tenant)?.pruned ?? 0) + cut + 1,
      at: new Date().toISOString(),
    };
    this.checkpoints.set(tenant, checkpoint);
    writeDurably(checkpointsPath(this.dir), JSON.stringify(Object.fromEntries(this.checkpoints)));
    this.compact();
    return { checkpoint, removed: cut + 1 };
  }

  /** Rewrite the log without the entries every checkpoint says are pruned, and read it again. */
  private compact(): void {
    RecordLog.rewrite(join(this.dir, "audit.log"), this.unpruned());
    this.log.close();
    this.index.clear();
    this.log = this.replay();
  }

  /** The records of entries past their tenant's checkpoint, read one at a time in file order. */
  private *unpruned(): Generator<Buffer> {
    const offsets: number[] = [];
    for (const [tenant, at] of this.index) {
      const pruned = this.checkpoints.get(tenant)?.sequence ?? 0;
      for (const [i, sequence] of at.sequences.entries()) if (sequence > pruned) offsets.push(at.offsets[i] as number);
    }
    offsets.sort((a, b) => a - b);
    for (const offset of offsets) yield this.log.readAt(offset);
  }

  /** Tenants with entries, and those whose head says they had some (entries past damage still count). */
  async tenants(): Promise<string[]> {
    return [...new Set([...this.heads.keys(), ...Object.keys(storedHeads(this.dir))])];
  }

  /** Recompute the tenant's chain from the file as it is now on disk. */
  async verify(tenant: string): Promise<AuditVerification> {
    return (await FileAuditTrail.inspect(this.dir, [tenant]))[0] as AuditVerification;
  }

  /**
   * Check the chains of a trail's folder without opening it for writing (so a damaged trail can be
   * examined): one pass over the log, in chunks, for `tenants` or every tenant it or its heads name.
   */
  static async inspect(dir: string, tenants?: readonly string[]): Promise<AuditVerification[]> {
    const heads = storedHeads(dir);
    const checkpoints = storedCheckpoints(dir);
    const checkOf = (t: string) => new ChainCheck(t, checkpoints[t]);
    const checks = new Map<string, ChainCheck>((tenants ?? Object.keys(heads)).map((t) => [t, checkOf(t)]));
    let failure: Error | undefined;
    let unreadable = 0;
    try {
      unreadable = RecordLog.read(join(dir, "audit.log"), (r) => {
        const e = JSON.parse(r.toString()) as Stored;
        let check = checks.get(e.tenant);
        if (!check && !tenants) {
          check = checkOf(e.tenant);
          checks.set(e.tenant, check);
        }
        check?.add(e);
      }).tornBytes;
    } catch (error) {
      failure = error as Error;
    }
    return [...checks.values()]
      .sort((a, b) => a.tenant.localeCompare(b.tenant))
      .map((check) => {
        if (!failure) return check.finish(heads[check.tenant], unreadable);
        const partial = check.finish(undefined);
        return { ...partial, intact: false, firstBroken: partial.entries + 1, reason: `unreadable entry: ${failure.message}` };
      });
  }

  async health(): Promise<{ writable: boolean; reason?: string }> {
    try {
      accessSync(this.dir, constants.W_OK);
      const { bavail, bsize } = statfsSync(this.dir);
      if (bavail * bsize < MIN_FREE_BYTES) {
        return { writable: false, reason: `${this.dir} has ${bavail * bsize} bytes free, under ${MIN_FREE_BYTES}` };
      }
      return { writable: true };
    } catch (error) {
      return { writable: false, reason: `${this.dir} is not writable: ${(error as Error).message}` };
    }
  }

  async close(): Promise<void> {
    this.log.close();
  }
}

/** Where each tenant's checkpoint is written, beside the log. */
const checkpointsPath = (dir: string): string => join(dir, "audit.checkpoints");

function storedCheckpoints(dir: string): Record<string, AuditCheckpoint> {
  const path = checkpointsPath(dir);
  return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as Record<string, AuditCheckpoint>) : {};
}

/** Where each tenant's head is written, beside the log. */
const headsPath = (dir: string): string => join(dir, "audit.heads");

/** Each tenant's head as last written beside the log. */
function storedHeads(dir: string): Record<string, Head> {
  const path = headsPath(dir);
  return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as Record<string, Head>) : {};
}

function archiveGlobalChain(dir: string): void {
  const oldHead = join(dir, "audit.head");
  if (!existsSync(oldHead)) return;
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  renameSync(join(dir, "audit.log"), join(dir, `audit-global-chain-${stamp}.log`));
  renameSync(oldHead, join(dir, `audit-global-chain-${stamp}.head`));
  process.emitWarning(`the audit trail in ${dir} used one chain for all tenants; it was kept as audit-global-chain-${stamp}.log`);
}
