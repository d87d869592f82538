import {
  appendFileSync,
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { crc32 } from "node:zlib";
import { PRIVATE_FILE, restrictOpenFile } from "./private-files.js";
import { type StagedRewrite, type StagedWrites, Transaction } from "./transaction.js";

/** What reopening a log found: how many records were good and whether a torn tail was cut off. */
export interface Recovery {
  records: number;
  /** Bytes after the last intact record (an append cut short by a crash): set aside in `<log>.torn` and cut. */
  discardedBytes: number;
}

/**
 * A record log damaged on disk rather than cut short by a crash: a whole record fails its checksum
 * (wherever it lies, the last one included), or what follows the last intact record is more than one
 * torn append could leave. Nothing is loaded or cut; `facerec repair` salvages what verifies.
 */
export class CorruptLogError extends Error {
  override readonly name = "CorruptLogError";
  constructor(
    readonly path: string,
    /** Where the damaged record starts. */
    readonly offset: number,
    /** Where the next intact record starts, when one follows. */
    readonly resumesAt: number | undefined,
    /** What was found there, in words. */
    found: string,
  ) {
    super(
      `${path} is damaged at byte ${offset}: ${found}; nothing was loaded. Run "facerec repair" to keep what verifies (the damaged file is kept beside it)`,
    );
  }
}

const HEADER = 8;
/** How much of a log is read at a time when it is replayed. */
const READ_CHUNK = 4 * 1024 * 1024;
/**
 * The longest tail that can be one torn append: the largest batch the stores write at once (a bulk
 * enrolment of 4,096 templates is about 10 MiB) with a wide margin.
 */
const MAX_TORN = 256 * 1024 * 1024;
/** Records a rewrite writes at once: one write and one fsync per batch. */
const REWRITE_BATCH = 4096;

/** A frame at `offset` that is whole and passes its checksum: its end, else undefined. */
function intactFrameAt(data: Buffer, offset: number): number | undefined {
  if (offset + HEADER > data.length) return undefined;
  const length = data.readUInt32LE(offset);
  const end = offset + HEADER + length;
  if (end > data.length) return undefined;
  return crc32(data.subarray(offset + HEADER, end)) === data.readUInt32LE(offset + 4) ? end : undefined;
}

/** The first position after `from` where an intact, non-empty frame starts, if any. */
function nextIntactFrame(data: Buffer, from: number): number | undefined {
  for (let p = from + 1; p + HEADER < data.length; p++) {
    const length = data.readUInt32LE(p);
    if (length > 0 && p + HEADER + length <= data.length && intactFrameAt(data, p) !== undefined) return p;
  }
  return undefined;
}

/** Write every byte: write(2) may write less than asked (a disk filling up), so carry on from there. */
function writeAll(fd: number, bytes: Buffer, position?: number): void {
  for (let done = 0; done < bytes.length; ) {
    done += writeSync(fd, bytes, done, bytes.length - done, position === undefined ? null : position + done);
  }
}

/** Records as they lie in the file: each with its length and checksum in front. */
function framed(payloads: readonly Buffer[]): Buffer {
  return Buffer.concat(
    payloads.flatMap((p) => {
      const header = Buffer.alloc(HEADER);
      header.writeUInt32LE(p.length, 0);
      header.writeUInt32LE(crc32(p), 4);
      return [header, p];
    }),
  );
}

/**
 * Replace a small file so that a crash leaves the old content or the new, never a mix or nothing:
 * written aside, fsync'd, renamed over, and the folder fsync'd. The file is private (0600).
 */
export function writeDurably(path: string, content: string | Buffer): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, "w", PRIVATE_FILE);
  try {
    // An aside file a crash left keeps its mode through the truncation.
    restrictOpenFile(fd);
    const bytes = typeof content === "string" ? Buffer.from(content) : content;
    writeAll(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  syncDir(dirname(path));
}

/** fsync a folder, so that a file created or renamed in it survives a crash. */
export function syncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Write `payloads` framed to `aside` (created or truncated, private), one write and one fsync a batch,
 * and return it open. A failure removes it: only a partial copy, taking room (a full disk, likely).
 */
function writeAside(aside: string, payloads: Iterable<Buffer>): number {
  const fd = openSync(aside, "w+", PRIVATE_FILE);
  try {
    restrictOpenFile(fd);
    let at = 0;
    let batch: Buffer[] = [];
    const flush = () => {
      const bytes = framed(batch);
      writeAll(fd, bytes, at);
      fsyncSync(fd);
      at += bytes.length;
      batch = [];
    };
    for (const payload of payloads) {
      batch.push(payload);
      if (batch.length === REWRITE_BATCH) flush();
    }
    if (batch.length) flush();
    return fd;
  } catch (error) {
    closeSync(fd);
    rmSync(aside, { force: true });
    throw error;
  }
}

/** Rename a complete aside file over `path`, durably; `<path>.torn` goes with the old file. */
export function replaceWith(aside: string, path: string): void {
  rmSync(`${path}.torn`, { force: true });
  renameSync(aside, path);
  syncDir(dirname(path));
}

/** Append framed bytes with one write and one fsync; on any failure the file is cut back to where it was. */
function appendFramed(fd: number, bytes: Buffer): void {
  const start = fstatSync(fd).size;
  try {
    writeAll(fd, bytes, start);
    fsyncSync(fd);
  } catch (error) {
    try {
      ftruncateSync(fd, start);
      fsyncSync(fd);
    } catch {
      // The truncation failing too leaves a torn tail, which the next open cuts: still never acknowledged.
    }
    throw error;
  }
}

/** What names a transaction's aside file: `<log>.tx-<transaction id>`. */
const TX_ASIDE = ".tx-";

/**
 * Aside files of transactions that never committed, left beside `path` by a crash: the journal renames
 * those of committed ones over their logs before any log is opened, so what is left is never read.
 */
function removeUncommittedAsides(path: string): void {
  const prefix = `${basename(path)}${TX_ASIDE}`;
  for (const name of readdirSync(dirname(path))) {
    if (name.startsWith(prefix)) rmSync(join(dirname(path), name), { force: true });
  }
}

/**
 * An append-only file of length-prefixed, CRC32-checked records. `append` returns only after every byte
 * is written and fsync'd, so a record acknowledged to a caller survives a crash; an append that fails
 * (a full disk, a short write) is taken back before the error goes on. On reopen an append torn by a
 * crash (a tail shorter than the record it starts) is set aside and cut, never half-loaded; a whole
 * record that fails its checksum, the last one included, stops the open.
 */
export class RecordLog {
  private fd: number;
  /** A rewrite an open transaction staged for this log, which appends outside it also go to. */
  private aside: StagedRewrite | undefined;
  /** The transaction holding writes to this log until it commits. */
  private pending: Transaction | undefined;

  private constructor(
    readonly path: string,
    fd: number,
    /** Whether writes inside a Transaction are staged there (see `open`). */
    private readonly transactional: boolean,
  ) {
    this.fd = fd;
  }

  /**
   * Replay the records of an open file in order, reading it in chunks (a log may be larger than the
   * memory one should spend on it), and return where the intact records end. Throws CorruptLogError
   * on damage (see checkTail); `onRecord` may have seen earlier records by then, so callers build their
   * state aside and drop it on a throw.
   */
  private static scan(
    path: string,
    fd: number,
    onRecord: (payload: Buffer, offset: number) => void,
  ): { end: number; size: number } {
    const size = fstatSync(fd).size;
    let buffer = Buffer.alloc(0);
    let bufferStart = 0;
    /** The file's bytes [at, at + n), from the buffer, refilled from the file when they are not in it. */
    const bytes = (at: number, n: number): Buffer => {
      if (at < bufferStart || at + n > bufferStart + buffer.length) {
        buffer = Buffer.alloc(Math.min(Math.max(n, READ_CHUNK), size - at));
        readSync(fd, buffer, 0, buffer.length, at);
        bufferStart = at;
      }
      return buffer.subarray(at - bufferStart, at - bufferStart + n);
    };
    let offset = 0;
    while (offset + HEADER <= size) {
      const header = bytes(offset, HEADER);
      const length = header.readUInt32LE(0);
      const checksum = header.readUInt32LE(4);
      if (offset + HEADER + length > size) break;
      const payload = bytes(offset + HEADER, length);
      if (crc32(payload) !== checksum) break;
      onRecord(payload, offset);
      offset += HEADER + length;
    }
    if (offset < size) RecordLog.checkTail(path, fd, offset, size);
    return { end: offset, size };
  }

  /**
   * Let the bytes from `offset` (after the last intact record) pass as an append a crash cut short only
   * when they are shorter than the record they start (a header cut short, or a record that runs past
   * the end of the file) and hold no intact record; throw CorruptLogError for anything else. A whole
   * last record that fails its checksum is bytes changed on disk: one flipped bit in the revocation at
   * the end of keys.log, once taken for a torn append and cut, made the revoked key work again.
   */
  private static checkTail(path: string, fd: number, offset: number, size: number): void {
    const damaged = (found: string, resumesAt?: number) => new CorruptLogError(path, offset, resumesAt, found);
    if (size - offset > MAX_TORN) {
      throw damaged(`${size - offset} bytes follow the last intact record, more than one append writes`);
    }
    const tail = Buffer.alloc(size - offset);
    readSync(fd, tail, 0, tail.length, offset);
    const resumesAt = nextIntactFrame(tail, 0);
    if (resumesAt !== undefined) {
      throw damaged(
        `that record fails its checksum and intact records follow from byte ${offset + resumesAt}`,
        offset + resumesAt,
      );
    }
    if (tail.length < HEADER) return;
    const length = tail.readUInt32LE(0);
    if (HEADER + length <= tail.length) {
      throw damaged("the last record is whole but fails its checksum: bytes changed on disk, not an append a crash cut short");
    }
    // A torn payload passes its checksum by chance once in 2^32; bytes to the end of the file that pass
    // it are the whole record, and the length field claiming more is what changed.
    if (crc32(tail.subarray(HEADER)) === tail.readUInt32LE(4)) {
      throw damaged(
        "the last record's length runs past the end of the file, yet the bytes there pass its checksum: its length is damaged",
      );
    }
  }

  /** Read a log without changing it (a torn tail is reported, not cut); throws CorruptLogError on damage. */
  static read(path: string, onRecord: (payload: Buffer, offset: number) => void): { tornBytes: number } {
    if (!existsSync(path)) return { tornBytes: 0 };
    const fd = openSync(path, "r");
    try {
      const { end, size } = RecordLog.scan(path, fd, onRecord);
      return { tornBytes: size - end };
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Open (creating if needed, private: 0600) and replay every record in order, with its offset in the
   * file (for `readAt`); throws CorruptLogError on damage. A torn last append is set aside in
   * `<log>.torn` and cut. A log an earlier version left readable by group or other is made private.
   * Its writes inside a Transaction are staged there, unless `outsideTransactions` (the audit trail and
   * the journals, whose writes are what commits a change or must precede it).
   */
  static open(
    path: string,
    onRecord: (payload: Buffer, offset: number) => void,
    options: { outsideTransactions?: boolean } = {},
  ): { log: RecordLog; recovery: Recovery } {
    const created = !existsSync(path);
    if (!created) removeUncommittedAsides(path);
    const fd = openSync(path, created ? "w+" : "r+", PRIVATE_FILE);
    try {
      restrictOpenFile(fd);
      let records = 0;
      const { end, size } = RecordLog.scan(path, fd, (payload, offset) => {
        records++;
        onRecord(payload, offset);
      });
      if (end < size) {
        // The bytes of an append a crash cut short: never acknowledged, kept aside for whoever looks.
        const torn = Buffer.alloc(size - end);
        readSync(fd, torn, 0, torn.length, end);
        appendFileSync(`${path}.torn`, torn, { mode: PRIVATE_FILE });
        ftruncateSync(fd, end);
        fsyncSync(fd);
      }
      if (created) syncDir(dirname(path));
      return { log: new RecordLog(path, fd, !options.outsideTransactions), recovery: { records, discardedBytes: size - end } };
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  /** The payload of the record that starts at `offset` (as `open` reported it). */
  readAt(offset: number): Buffer {
    const header = Buffer.alloc(HEADER);
    readSync(this.fd, header, 0, HEADER, offset);
    const payload = Buffer.alloc(header.readUInt32LE(0));
    readSync(this.fd, payload, 0, payload.length, offset + HEADER);
    if (crc32(payload) !== header.readUInt32LE(4)) {
      throw new CorruptLogError(this.path, offset, undefined, "that record fails its checksum when read back");
    }
    return payload;
  }

  /**
   * Every record of a damaged log that verifies, and the byte ranges that did not (for `facerec repair`).
   * Reads only; the caller writes the salvage where it wants.
   */
  static salvage(path: string): { records: Buffer[]; damaged: { offset: number; bytes: number }[] } {
    const data = readFileSync(path);
    const records: Buffer[] = [];
    const damaged: { offset: number; bytes: number }[] = [];
    let offset = 0;
    while (offset < data.length) {
      const end = intactFrameAt(data, offset);
      if (end !== undefined && end > offset + HEADER) {
        records.push(data.subarray(offset + HEADER, end));
        offset = end;
        continue;
      }
      const next = nextIntactFrame(data, offset) ?? data.length;
      damaged.push({ offset, bytes: next - offset });
      offset = next;
    }
    return { records, damaged };
  }

  /**
   * Replace the log at `path` with exactly `payloads`, in order, so that a crash leaves the old log or
   * the new one: written to `<path>.rewriting` (one write and one fsync a batch), renamed over, and the
   * folder fsync'd. `<path>.torn` goes too: its bytes were never acknowledged, but they may hold a
   * record the rewrite is there to drop (an erased person's). A RecordLog open on `path` goes on
   * writing the old file: its owner calls the instance's `rewrite` instead.
   */
  static rewrite(path: string, payloads: Iterable<Buffer>): void {
    const aside = `${path}.rewriting`;
    closeSync(writeAside(aside, payloads));
    replaceWith(aside, path);
  }

  /**
   * Replace this log with exactly `payloads` (read lazily, so they may come from this log), as the
   * static `rewrite` does, and go on appending to the new file. Inside a transaction the new file is
   * written aside and renamed over at its commit; appends made outside it until then go to both files.
   */
  rewrite(payloads: Iterable<Buffer>): void {
    const tx = this.transactional ? Transaction.current() : undefined;
    if (!tx) {
      // It would write the state in memory, uncommitted changes and all, and the change's commit
      // would then rename its older aside file over it.
      if (this.pending?.isOpen) throw new Error(`${this.path} was rewritten outside the change that holds writes to it`);
      const aside = `${this.path}.rewriting`;
      const fd = writeAside(aside, payloads);
      try {
        replaceWith(aside, this.path);
      } catch (error) {
        closeSync(fd);
        throw error;
      }
      closeSync(this.fd);
      this.fd = fd;
      return;
    }
    const path = `${this.path}${TX_ASIDE}${tx.id}`;
    // Written whole before it replaces an earlier rewrite of the same change (the same path: reopened).
    const next = { path: `${path}.next`, fd: writeAside(`${path}.next`, payloads) };
    renameSync(next.path, path);
    if (this.aside) closeSync(this.aside.fd);
    const staged = this.stage(tx);
    // The rewrite holds the state the staged appends built: they are in it.
    staged.appends = [];
    staged.rewrite = { path, fd: next.fd };
    this.aside = staged.rewrite;
  }

  /** This log's writes in `tx`, which now holds it until it commits. */
  private stage(tx: Transaction): StagedWrites {
    this.pending = tx;
    return tx.staged(this);
  }

  /** Apply a committed transaction's writes: its rewrite renamed over this log, then its appends. */
  applyStaged(staged: StagedWrites): void {
    this.pending = undefined;
    if (staged.rewrite) {
      replaceWith(staged.rewrite.path, this.path);
      closeSync(this.fd);
      this.fd = staged.rewrite.fd;
      this.aside = undefined;
    }
    if (staged.appends.length) this.appendNow(staged.appends);
  }

  /** Give up what a transaction staged here (it could not commit): a rewrite's aside file goes. */
  dropStaged(): void {
    this.pending = undefined;
    if (!this.aside) return;
    closeSync(this.aside.fd);
    rmSync(this.aside.path, { force: true });
    this.aside = undefined;
  }

  /**
   * Append records as one write and one fsync; on any failure the log is cut back to where it was.
   * Inside a transaction they are staged, and written when it commits.
   */
  append(payloads: readonly Buffer[]): void {
    const tx = this.transactional ? Transaction.current() : undefined;
    if (tx) this.stage(tx).appends.push(...payloads);
    else this.appendNow(payloads);
  }

  private appendNow(payloads: readonly Buffer[]): void {
    const all = framed(payloads);
    appendFramed(this.fd, all);
    // A rewrite an open transaction staged replaces this file when it commits: it must hold these too.
    if (this.aside) appendFramed(this.aside.fd, all);
  }

  get size(): number {
    return fstatSync(this.fd).size;
  }

  close(): void {
    closeSync(this.fd);
  }
}
