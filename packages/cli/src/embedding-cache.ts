import { mkdirSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { RecordLog } from "@facerec/storage";

interface Entry {
  size: number;
  mtimeMs: number;
  /** Undefined when no face was found in the file. */
  vector?: Float32Array;
}

/**
 * Embeddings of image files on disk, keyed by path, size and modification time, in one file per pipeline
 * configuration. Evaluations over the same images (LFW verification, identification, calibration)
 * then embed each file once.
 */
export class EmbeddingCache {
  private readonly entries = new Map<string, Entry>();
  private readonly log: RecordLog;

  constructor(dir: string, key: string) {
    mkdirSync(dir, { recursive: true });
    this.log = RecordLog.open(join(dir, `${key.replace(/[^A-Za-z0-9_.+-]/g, "_")}.log`), (record) => {
      const metaLength = record.readUInt16LE(0);
      const meta = JSON.parse(record.subarray(2, 2 + metaLength).toString()) as { path: string; size: number; mtimeMs: number };
      const bytes = record.subarray(2 + metaLength);
      const vector = bytes.length ? new Float32Array(bytes.length / 4) : undefined;
      if (vector) Buffer.from(vector.buffer).set(bytes);
      this.entries.set(meta.path, { size: meta.size, mtimeMs: meta.mtimeMs, ...(vector ? { vector } : {}) });
    }).log;
  }

  static defaultDir(): string {
    return process.env.FACEREC_EMBEDDING_CACHE ?? join(homedir(), ".cache", "facerec", "embeddings");
  }

  /** The cached result for a file, if it is still the same file: a vector, or null for "no face". */
  get(path: string): Float32Array | null | undefined {
    const entry = this.entries.get(path);
    if (!entry) return undefined;
    const st = statSync(path);
    if (st.size !== entry.size || st.mtimeMs !== entry.mtimeMs) return undefined;
    return entry.vector ?? null;
  }

  set(results: readonly { path: string; vector: Float32Array | null }[]): void {
    this.log.append(
      results.map(({ path, vector }) => {
        const st = statSync(path);
        const meta = Buffer.from(JSON.stringify({ path, size: st.size, mtimeMs: st.mtimeMs }));
        const head = Buffer.alloc(2);
        head.writeUInt16LE(meta.length);
        const body = vector ? Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength) : Buffer.alloc(0);
        this.entries.set(path, { size: st.size, mtimeMs: st.mtimeMs, ...(vector ? { vector } : {}) });
        return Buffer.concat([head, meta, body]);
      }),
    );
  }

  close(): void {
    this.log.close();
  }
}
