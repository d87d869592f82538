import { join } from "node:path";
import { privateFolder } from "./private-files.js";
import { RecordLog } from "./record-log.js";

function* encoded<R>(records: Iterable<R>): Generator<Buffer> {
  for (const record of records) yield Buffer.from(JSON.stringify(record));
}

/**
 * A file store's state as one record log of JSON records, in its own folder. `open` replays every
 * record through `apply`, which builds the store's state; `append` makes a record durable and only
 * then applies it, so the state in memory is always what a restart replays to. `apply` returns what
 * applying a record tells its writer (`A`: the review queue's placement of a face, say).
 *
 * A damaged log throws CorruptLogError from `open`, after `apply` may have seen earlier records: a
 * store opens its log while it is constructed, so a throw drops the half-built state with it.
 */
export class JsonRecordStore<R, A = void> {
  private constructor(
    /** The log's file, `<dir>/<file>`. */
    readonly path: string,
    private readonly log: RecordLog,
    private readonly apply: (record: R) => A,
  ) {}

  /**
   * Open `<dir>/<file>` (creating both if needed, private: the folder 0700, the log 0600) and replay its
   * records, in order, through `apply`. Its writes take part in transactions unless `outsideTransactions`
   * (see RecordLog.open).
   */
  static open<R, A = void>(
    dir: string,
    file: string,
    apply: (record: R) => A,
    options: { outsideTransactions?: boolean } = {},
  ): JsonRecordStore<R, A> {
    privateFolder(dir);
    const path = join(dir, file);
    const { log } = RecordLog.open(path, (payload) => apply(JSON.parse(payload.toString()) as R), options);
    return new JsonRecordStore(path, log, apply);
  }

  /** Write the record (durable when this returns; on failure nothing is applied), then apply it. */
  append(record: R): A {
    this.log.append([Buffer.from(JSON.stringify(record))]);
    return this.apply(record);
  }

  /**
   * Replace the log with exactly `records` (read lazily), as RecordLog's rewrite does: a crash leaves the
   * old log or the new one. Nothing is applied: they are the state the store already holds, written
   * again without what it dropped.
   */
  rewrite(records: Iterable<R>): void {
    this.log.rewrite(encoded(records));
  }

  close(): void {
    this.log.close();
  }
}
