import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync, writeSync } from "node:fs";
import { crc32 } from "node:zlib";

/** What reopening a log found: how many records were good and whether a torn tail was cut off. */
export interface Recovery {
  records: number;
  /** Bytes after the last intact record (a write cut short by a crash); they are not loaded and are truncated. */
  discardedBytes: number;
}

const HEADER = 8;

/**
 * An append-only file of length-prefixed, CRC32-checked records. `append` returns only after the bytes
 * are fsync'd, so a record acknowledged to a caller survives a crash; a record torn by a crash fails its
 * checksum on reopen and is dropped, never half-loaded.
 */
export class RecordLog {
  private fd: number;

  private constructor(
    readonly path: string,
    fd: number,
  ) {
    this.fd = fd;
  }

  /**
   * Open (creating if needed) and replay every intact record in order. Bytes after the last intact record
   * are a write torn by a crash: with `repair` (the default) they are cut off so appends continue cleanly;
   * without it they are left in place for inspection (an audit trail must not destroy evidence).
   */
  static open(
    path: string,
    onRecord: (payload: Buffer) => void,
    options: { repair?: boolean } = {},
  ): { log: RecordLog; recovery: Recovery } {
    const data = existsSync(path) ? readFileSync(path) : Buffer.alloc(0);
    let offset = 0;
    let records = 0;
    while (offset + HEADER <= data.length) {
      const length = data.readUInt32LE(offset);
      const checksum = data.readUInt32LE(offset + 4);
      const end = offset + HEADER + length;
      if (end > data.length) break;
      const payload = data.subarray(offset + HEADER, end);
      if (crc32(payload) !== checksum) break;
      onRecord(payload);
      records++;
      offset = end;
    }
    const fd = openSync(path, existsSync(path) ? "r+" : "w+");
    if (offset < data.length && (options.repair ?? true)) {
      ftruncateSync(fd, offset);
      fsyncSync(fd);
    }
    return { log: new RecordLog(path, fd), recovery: { records, discardedBytes: data.length - offset } };
  }

  /** Append records as one write and one fsync. */
  append(payloads: readonly Buffer[]): void {
    const frames = payloads.map((p) => {
      const header = Buffer.alloc(HEADER);
      header.writeUInt32LE(p.length, 0);
      header.writeUInt32LE(crc32(p), 4);
      return Buffer.concat([header, p]);
    });
    const all = Buffer.concat(frames);
    writeSync(this.fd, all, 0, all.length, fstatSync(this.fd).size);
    fsyncSync(this.fd);
  }

  get size(): number {
    return fstatSync(this.fd).size;
  }

  close(): void {
    closeSync(this.fd);
  }
}
