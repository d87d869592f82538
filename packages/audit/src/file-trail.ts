import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RecordLog } from "@facerec/storage";
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
  matches,
  nextEntry,
  pageSizeOf,
} from "./trail.js";

/** How many recent dedupe keys a file trail remembers: redeliveries come within minutes, not days. */
const DEDUPE_MEMORY = 100_000;

type Head = { sequence: number; hash: string };
type Stored = AuditEntry & { dedupeKey?: string };

/**
 * The audit trail in one local file (embedded mode): entries of every tenant interleaved, each
 * chained to the previous entry of its tenant, and each tenant's head written beside the log, so
 * cutting entries off the end is caught too. Unreadable bytes are never cut away: they are reported,
 * and appends are refused until an operator has looked.
 */
export class FileAuditTrail implements AuditTrail {
  private readonly entries = new Map<string, AuditEntry[]>();
  private readonly heads = new Map<string, Head>();
  private readonly dedupe = new Map<string, AuditEntry>();
  private readonly listeners = new AppendListeners();

  private constructor(
    private readonly dir: string,
    private readonly log: RecordLog,
    private readonly damage: number,
  ) {}

  static open(dir: string): FileAuditTrail {
    mkdirSync(dir, { recursive: true });
    archiveGlobalChain(dir);
    const stored: Stored[] = [];
    const { log, recovery } = RecordLog.open(join(dir, "audit.log"), (r) => stored.push(JSON.parse(r.toString())), {
      repair: false,
    });
    const trail = new FileAuditTrail(dir, log, recovery.discardedBytes);
    for (const s of stored) trail.remember(s);
    return trail;
  }

  private get headsPath(): string {
    return join(this.dir, "audit.heads");
  }

  private remember({ dedupeKey, ...entry }: Stored): void {
    const list = this.entries.get(entry.tenant) ?? [];
    list.push(entry);
    this.entries.set(entry.tenant, list);
    this.heads.set(entry.tenant, { sequence: entry.sequence, hash: entry.hash });
    if (dedupeKey) {
      this.dedupe.set(`${entry.tenant}\u0000${dedupeKey}`, entry);
      if (this.dedupe.size > DEDUPE_MEMORY) this.dedupe.delete(this.dedupe.keys().next().value as string);
    }
  }

  async append(record: AuditRecord, options: AppendOptions = {}): Promise<AuditEntry> {
    if (this.damage > 0) {
      throw new Error(`the audit log has ${this.damage} unreadable bytes at its end; refusing to append until it is inspected`);
    }
    const seen = options.dedupeKey ? this.dedupe.get(`${record.tenant}\u0000${options.dedupeKey}`) : undefined;
    if (seen) return seen;
    const entry = nextEntry(record, this.heads.get(record.tenant));
    const stored: Stored = options.dedupeKey ? { ...entry, dedupeKey: options.dedupeKey } : entry;
    this.log.append([Buffer.from(JSON.stringify(stored))]);
    this.remember(stored);
    const tmp = `${this.headsPath}.tmp`;
    writeFileSync(tmp, JSON.stringify(Object.fromEntries(this.heads)));
    renameSync(tmp, this.headsPath);
    this.listeners.emit(entry);
    return entry;
  }

  onAppend(listener: (entry: AuditEntry) => void): () => void {
    return this.listeners.add(listener);
  }

  async query(q: AuditQuery): Promise<AuditPage> {
    const after = q.pageToken ? Number(q.pageToken) : 0;
    const size = pageSizeOf(q);
    const matching = (this.entries.get(q.tenant) ?? []).filter((e) => e.sequence > after && matches(e, q));
    const page = matching.slice(0, size);
    const last = page.at(-1);
    return { entries: page, ...(matching.length > size && last ? { nextPageToken: String(last.sequence) } : {}) };
  }

  /** Tenants with entries, and those whose head says they had some (entries past damage still count). */
  async tenants(): Promise<string[]> {
    return [...new Set([...this.heads.keys(), ...Object.keys(this.storedHeads())])];
  }

  private storedHeads(): Record<string, Head> {
    return existsSync(this.headsPath) ? (JSON.parse(readFileSync(this.headsPath, "utf8")) as Record<string, Head>) : {};
  }

  /** Recompute the tenant's chain from the file as it is now on disk. */
  async verify(tenant: string): Promise<AuditVerification> {
    const check = new ChainCheck(tenant);
    let unreadable = 0;
    try {
      const { log, recovery } = RecordLog.open(
        join(this.dir, "audit.log"),
        (r) => {
          const e = JSON.parse(r.toString()) as Stored;
          if (e.tenant === tenant) check.add(e);
        },
        { repair: false },
      );
      log.close();
      unreadable = recovery.discardedBytes;
    } catch (error) {
      const partial = check.finish(undefined);
      return {
        ...partial,
        intact: false,
        firstBroken: partial.entries + 1,
        reason: `unreadable entry: ${(error as Error).message}`,
      };
    }
    return check.finish(this.storedHeads()[tenant], unreadable);
  }

  async close(): Promise<void> {
    this.log.close();
  }
}

/**
 * Trails written before chains were per tenant held one chain for all tenants, with its head in
 * `audit.head`. Such a trail is kept, renamed, for inspection, and a new per-tenant trail starts.
 */
function archiveGlobalChain(dir: string): void {
  const oldHead = join(dir, "audit.head");
  if (!existsSync(oldHead)) return;
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  renameSync(join(dir, "audit.log"), join(dir, `audit-global-chain-${stamp}.log`));
  renameSync(oldHead, join(dir, `audit-global-chain-${stamp}.head`));
  process.emitWarning(`the audit trail in ${dir} used one chain for all tenants; it was kept as audit-global-chain-${stamp}.log`);
}
