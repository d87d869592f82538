import { existsSync, fstatSync } from "node:fs";
import { join, relative } from "node:path";
import { Mutex } from "@facerec/common";
import { privateFolder } from "./private-files.js";
import { CorruptLogError, RecordLog, replaceWith } from "./record-log.js";
import { type Carried, type Committer, Transaction } from "./transaction.js";

/** One log's part of a commit, paths relative to the journal's root (a data folder may move). */
interface LoggedWrites {
  log: string;
  /** The staged rewrite's aside file, renamed over the log first. */
  aside?: string;
  /** The log's size when the commit was written (its aside file's, with a rewrite): where the appends go. */
  at: number;
  /** The appended records, base64. */
  appends: string[];
}

interface Commit {
  id: string;
  writes: LoggedWrites[];
  carried?: unknown;
}

/** A committed transaction whose carried payload is not yet stored where it belongs (its audit entry). */
export interface Unfinished {
  id: string;
  carried: unknown;
}

type JournalRecord = { commit: Commit };

/**
 * Changes to local record logs that commit whole, for embedded mode, where a change (say, naming a
 * review cluster: a subject, its templates, the queue without its faces) spans several logs and its
 * audit entry another, with no transaction across files. Inside `run`, logs stage their writes (see
 * Transaction); the commit then writes them and the carried audit entry as ONE durable record here,
 * and only then to their logs, the audit trail last, all in one synchronous step. A crash before that
 * record leaves none of the change on disk (its aside files are removed when their logs open); after
 * it, `open` writes the logs again before any store reads them (each log's size at the commit says
 * whether its appends are there) and `unfinished` hands the entry back for the trail. After each
 * change the journal is rewritten to hold only entries not yet in the trail (usually nothing): a
 * commit's writes hold personal data (an enrolment's embeddings).
 *
 * Changes run one at a time: two interleaved could reach a log in another order than they were applied
 * in memory. What writes a log outside any change (a face queued for review) goes straight to it.
 */
export class TransactionJournal implements Committer {
  private readonly unfinishedCommits = new Map<string, Unfinished>();
  private readonly queue = new Mutex();
  /**
   * Set when a change could not be made durable whole (a full disk): memory holds what disk may not,
   * so no change is taken until a restart reads the logs and this journal again.
   */
  private broken: Error | undefined;

  private constructor(
    private readonly root: string,
    private readonly log: RecordLog,
  ) {}

  /**
   * Open the journal of the data folder `root` (in `<root>/journal`) and redo what committed changes
   * had not yet written to their logs. Call it before any store opens its log.
   */
  static open(root: string): TransactionJournal {
    const dir = join(root, "journal");
    privateFolder(dir);
    const commits: Commit[] = [];
    const { log } = RecordLog.open(
      join(dir, "transactions.log"),
      (payload) => commits.push((JSON.parse(payload.toString()) as JournalRecord).commit),
      { outsideTransactions: true },
    );
    const journal = new TransactionJournal(root, log);
    try {
      for (const commit of commits) {
        for (const writes of commit.writes) redo(root, writes);
        if (commit.carried !== undefined) journal.unfinishedCommits.set(commit.id, { id: commit.id, carried: commit.carried });
      }
      if (commits.length) journal.keepUnfinished();
    } catch (error) {
      log.close();
      throw error;
    }
    return journal;
  }

  /**
   * Run `work` as one transaction, after the changes before it. It commits when what it carries is
   * handed over (Transaction.commit: the audit trail does it with the change's entry) or, with what it
   * staged and nothing carried, when `work` ends, failed or not: its changes are in memory already, and
   * memory and disk must not part. Inside a transaction's scope, `work` joins it (or, once it has
   * committed, writes directly).
   */
  run<T>(work: () => Promise<T>): Promise<T> {
    if (Transaction.inScope()) return work();
    return this.queue.run(async () => {
      if (this.broken) {
        throw new Error(
          `an earlier change could not be written whole (${this.broken.message}); restart the product to finish or undo it`,
        );
      }
      const tx = new Transaction(this);
      try {
        return await Transaction.run(tx, work);
      } finally {
        if (tx.isOpen) this.commit(tx);
      }
    });
  }

  /**
   * Write the commit record (the change is decided here), then the staged writes to their logs, then
   * store what it carries, then what waited for the commit. A carried payload that could not be stored
   * is kept here and handed back at the next start.
   */
  commit(tx: Transaction, carried?: Carried): void {
    tx.close();
    const staged = [...tx.logs];
    if (staged.length === 0 && carried === undefined) {
      runAfterCommit(tx);
      return;
    }
    try {
      const writes: LoggedWrites[] = staged.map(([log, s]) => ({
        log: relative(this.root, log.path),
        ...(s.rewrite ? { aside: relative(this.root, s.rewrite.path) } : {}),
        at: s.rewrite ? fstatSync(s.rewrite.fd).size : log.size,
        appends: s.appends.map((a) => a.toString("base64")),
      }));
      this.append({ commit: { id: tx.id, writes, ...(carried ? { carried: carried.payload } : {}) } });
    } catch (error) {
      for (const [log] of staged) log.dropStaged();
      throw this.fail(error);
    }
    if (killAfterCommit && killAfterCommit === carried?.label) process.kill(process.pid, "SIGKILL");
    try {
      for (const [log, s] of staged) log.applyStaged(s);
    } catch (error) {
      throw this.fail(error);
    }
    let unstored: unknown;
    if (carried) {
      try {
        carried.store();
      } catch (error) {
        this.unfinishedCommits.set(tx.id, { id: tx.id, carried: carried.payload });
        unstored = error;
      }
    }
    this.keepUnfinished();
    runAfterCommit(tx);
    if (unstored) throw unstored;
  }

  /** What a commit carried is stored now (handed back by `unfinished` at start). */
  finish(id: string): void {
    if (this.unfinishedCommits.delete(id)) this.keepUnfinished();
  }

  /** Commits whose carried payload a crash kept from its store: store each, then `finish` it. */
  unfinished(): Unfinished[] {
    return [...this.unfinishedCommits.values()];
  }

  /** Rewrite the journal to hold only what is not yet stored: the carried payloads, without their writes. */
  private keepUnfinished(): void {
    try {
      this.log.rewrite(
        [...this.unfinishedCommits.values()].map(({ id, carried }) =>
          Buffer.from(JSON.stringify({ commit: { id, writes: [], carried } } satisfies JournalRecord)),
        ),
      );
    } catch (error) {
      throw this.fail(error);
    }
  }

  private fail(error: unknown): unknown {
    this.broken ??= error as Error;
    return error;
  }

  private append(record: JournalRecord): void {
    this.log.append([Buffer.from(JSON.stringify(record))]);
  }

  close(): void {
    this.log.close();
  }
}

/** What waited for a commit; a failure there (a crop file left) is swept when its store next opens. */
function runAfterCommit(tx: Transaction): void {
  for (const work of tx.afterCommit.splice(0)) {
    try {
      work();
    } catch {
      // Left for the sweep at open.
    }
  }
}

/**
 * Write one log's part of a commit again: the aside file renamed over the log unless that was done,
 * then the appends unless the log already holds more than it did at the commit (appends follow the
 * commit record at once, in the same turn of the event loop, so nothing else came between).
 */
function redo(root: string, writes: LoggedWrites): void {
  const path = join(root, writes.log);
  if (writes.aside && existsSync(join(root, writes.aside))) replaceWith(join(root, writes.aside), path);
  if (writes.appends.length === 0) return;
  // Opening cuts a torn tail: an append the crash cut short, which is written again whole here.
  const { log } = RecordLog.open(path, () => {}, { outsideTransactions: true });
  try {
    if (log.size === writes.at) log.append(writes.appends.map((a) => Buffer.from(a, "base64")));
    else if (log.size < writes.at) {
      throw new CorruptLogError(
        path,
        log.size,
        undefined,
        `the log is shorter than when a change committed to it (${writes.at} bytes)`,
      );
    }
  } finally {
    log.close();
  }
}

/**
 * A test hook: with NODE_ENV=test, the process dies after the commit record of the change that
 * FACEREC_TEST_KILL_AFTER_COMMIT names (its audit word) is written and before any log has its writes,
 * as a crash would; `open` must then finish them. Ignored anywhere else.
 */
const killAfterCommit = process.env.NODE_ENV === "test" ? process.env.FACEREC_TEST_KILL_AFTER_COMMIT : undefined;
