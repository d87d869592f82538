import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import type { RecordLog } from "./record-log.js";

/** A rewrite a transaction staged: its records complete in an aside file, renamed over the log at commit. */
export interface StagedRewrite {
  path: string;
  fd: number;
}

/** What a transaction writes to one log: a rewrite first, when it staged one, then its appends. */
export interface StagedWrites {
  rewrite?: StagedRewrite;
  appends: Buffer[];
}

/**
 * What a change carries into its commit record: its audit entry, say. `store` puts it where it belongs
 * once the logs have their writes; a crash before that leaves it to be handed back at start.
 */
export interface Carried {
  payload: unknown;
  /** What the change is, in a word (its audit operation): the test hook that kills after a commit names it. */
  label: string;
  store: () => void;
}

/** Commits a transaction's staged writes with what it carries, as one durable record. */
export interface Committer {
  commit(tx: Transaction, carried?: Carried): void;
}

/**
 * The writes of one change to local record logs, held back until it commits (see TransactionJournal):
 * a log written inside `Transaction.run` stages its appends and rewrites here instead of writing them,
 * and the journal then writes them all, with the change's audit entry, in one durable record before
 * any of them reaches its log. Once committed (or given up) it stages nothing: later writes in the same
 * scope go straight to their logs.
 */
export class Transaction {
  readonly id = randomUUID();
  readonly logs = new Map<RecordLog, StagedWrites>();
  /** What waits for the commit: deleting files the change no longer names (a taken face's crop). */
  readonly afterCommit: (() => void)[] = [];
  private open = true;

  constructor(private readonly committer: Committer) {}

  /** The transaction the caller runs in, while it still takes writes. */
  static current(): Transaction | undefined {
    const tx = scope.getStore();
    return tx?.open ? tx : undefined;
  }

  /** The transaction whose scope the caller runs in, committed or not. */
  static inScope(): Transaction | undefined {
    return scope.getStore();
  }

  /**
   * Do `work` once the change the caller runs in has committed, or now outside one: what must not
   * happen to a change that a crash may still undo (a file deleted that its uncommitted records name).
   */
  static whenCommitted(work: () => void): void {
    const tx = Transaction.current();
    if (tx) tx.afterCommit.push(work);
    else work();
  }

  /** Run `work` with its log writes staged in `tx`. */
  static run<T>(tx: Transaction, work: () => Promise<T>): Promise<T> {
    return scope.run(tx, work);
  }

  staged(log: RecordLog): StagedWrites {
    let writes = this.logs.get(log);
    if (!writes) {
      writes = { appends: [] };
      this.logs.set(log, writes);
    }
    return writes;
  }

  /** No more staging: what follows in its scope writes directly. */
  close(): void {
    this.open = false;
  }

  get isOpen(): boolean {
    return this.open;
  }

  /**
   * Commit now, with `carried` in the commit record: the staged writes reach their logs, then `carried`
   * is stored. Synchronous, so nothing else writes a log in between.
   */
  commit(carried: Carried): void {
    this.committer.commit(this, carried);
  }
}

const scope = new AsyncLocalStorage<Transaction>();
