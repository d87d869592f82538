import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { cosine } from "@facerec/common";
import { RecordLog, type Recovery } from "@facerec/storage";
import ort from "onnxruntime-node";
import { type AnnOptions, CodeIndex, type CodeSessions, DEFAULT_ANN_OPTIONS } from "./ann.js";
import { VectorMatrix } from "./matrix.js";
import { topKModel } from "./onnx-models.js";
import type { IndexFilter, IndexPoint, SearchHit, VectorIndex } from "./types.js";

const UPSERT = 1;
const DELETE = 2;
const DELETE_SUBJECT = 3;

const partitionKey = (tenant: string, model: string): string => `${tenant}\u0000${model}`;

function encodeUpsert(p: IndexPoint): Buffer {
  const meta = Buffer.from(JSON.stringify({ id: p.id, tenant: p.tenant, model: p.model, subject: p.subject }));
  const head = Buffer.alloc(3);
  head.writeUInt8(UPSERT, 0);
  head.writeUInt16LE(meta.length, 1);
  return Buffer.concat([head, meta, Buffer.from(p.vector.buffer, p.vector.byteOffset, p.vector.byteLength)]);
}

/** Exact scores of the shortlisted rows, best k first: the code index only chooses whom to score. */
function rescore(matrix: VectorMatrix, query: Float32Array, ids: readonly string[], k: number): SearchHit[] {
  const hits: SearchHit[] = [];
  for (const id of ids) {
    const row = matrix.rowOf(id);
    if (row === undefined) continue;
    hits.push({ id, subject: matrix.subjects[row] as string, score: cosine(matrix.vector(row), query) });
  }
  return hits.sort((a, b) => b.score - a.score).slice(0, k);
}

function encodeJson(op: number, body: unknown): Buffer {
  return Buffer.concat([Buffer.from([op]), Buffer.from(JSON.stringify(body))]);
}

export interface EmbeddedIndexOptions {
  /** Folder for the index's log; omit for a memory-only index (benchmarks, tests of search alone). */
  dir?: string;
  dims: number;
  /**
   * Approximate search for large partitions (a scan of compressed codes whose shortlist is re-scored
   * exactly, see CodeIndex), or false for exact search everywhere. @default DEFAULT_ANN_OPTIONS:
   * partitions of 100,000 templates and more.
   */
  ann?: Partial<AnnOptions> | false;
}

/**
 * The one-machine index: cosine search over in-memory matrices, one per tenant and model. Small
 * partitions are searched exactly, as a GEMM + TopK on ONNX Runtime; large ones through a code index
 * of their own (CodeIndex) whose shortlist is re-scored from the full-precision rows, so a tenant's search
 * never reads another's vectors and scores are exact. Every change is appended to a checksummed log and
 * fsync'd before the call returns; opening the folder replays the log, dropping a torn last record.
 */
export class EmbeddedIndex implements VectorIndex {
  private readonly partitions = new Map<string, VectorMatrix>();
  private readonly coded = new Map<string, CodeIndex>();
  /** A partition's next code index while it is built (the partition doubled); the current one serves meanwhile. */
  private readonly recoding = new Map<string, CodeIndex>();
  private sessions: Promise<CodeSessions> | undefined;
  private readonly ann: AnnOptions | undefined;
  private log: RecordLog | undefined;
  private replaying = false;
  recovery: Recovery = { records: 0, discardedBytes: 0 };

  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly options: EmbeddedIndexOptions,
  ) {
    this.ann = options.ann === false ? undefined : { ...DEFAULT_ANN_OPTIONS, ...options.ann };
  }

  static async open(options: EmbeddedIndexOptions): Promise<EmbeddedIndex> {
    const session = await ort.InferenceSession.create(topKModel(options.dims));
    const index = new EmbeddedIndex(session, options);
    if (options.dir) {
      mkdirSync(options.dir, { recursive: true });
      index.replaying = true;
      const { log, recovery } = RecordLog.open(join(options.dir, "index.log"), (r) => index.replay(r));
      index.replaying = false;
      index.log = log;
      index.recovery = recovery;
      // Rewrite the log once deletions and overwrites make up most of it (a live record is about dims x 4 + 128 bytes).
      const liveBytes = [...index.partitions.values()].reduce((s, m) => s + m.count, 0) * (options.dims * 4 + 128);
      if (log.size > 64 * 1024 * 1024 && log.size > 2 * liveBytes) index.compact();
      for (const [key, matrix] of index.partitions) index.touch(key, matrix, undefined);
    }
    return index;
  }

  /** Where a partition's approximate search stands: none (searched exactly), building, ready or failed. */
  annState(filter: IndexFilter): "none" | "building" | "ready" | "failed" {
    const codes = this.coded.get(partitionKey(filter.tenant, filter.model));
    if (!codes) return "none";
    return codes.error ? "failed" : codes.searchable ? "ready" : "building";
  }

  /** Rows a partition's code index fitted its directions on (none without one). */
  annFittedRows(filter: IndexFilter): number | undefined {
    return this.coded.get(partitionKey(filter.tenant, filter.model))?.fittedRows;
  }

  /** Codes a partition's code index holds (none without one). */
  annCodes(filter: IndexFilter): number | undefined {
    return this.coded.get(partitionKey(filter.tenant, filter.model))?.count;
  }

  /** Settles once every partition's code index is built, a rebuild included (until then those search exactly). */
  async annReady(): Promise<void> {
    while (true) {
      const pending = [...this.coded.values(), ...this.recoding.values()].filter((c) => !c.searchable && !c.error);
      if (pending.length === 0) return;
      await Promise.all(pending.map((c) => c.ready));
    }
  }

  /**
   * Note a changed row (none after a replay) for the partition's code index, and start building one where
   * the partition has grown into it, or has doubled since its directions were fitted. A replay builds
   * once at its end, not at the first row past the size.
   */
  private touch(key: string, matrix: VectorMatrix, id: string | undefined): void {
    const codes = this.coded.get(key);
    if (id !== undefined) {
      codes?.touch(id);
      this.recoding.get(key)?.touch(id);
    }
    if (!this.ann || this.replaying) return;
    if (codes ? this.outgrown(key, matrix, codes) : matrix.count >= this.ann.minTemplates) this.startCodes(key, matrix, codes);
  }

  /** Whether a partition has doubled since its built codes' directions were fitted (no rebuild under way). */
  private outgrown(key: string, matrix: VectorMatrix, codes: CodeIndex): boolean {
    return codes.searchable && matrix.count >= 2 * codes.fittedRows && !this.recoding.has(key);
  }

  private startCodes(key: string, matrix: VectorMatrix, current: CodeIndex | undefined): void {
    const ann = this.ann as AnnOptions;
    this.sessions ??= CodeIndex.sessions(ann.codeDims);
    const next = new CodeIndex(this.options.dims, ann, matrix, this.sessions);
    // The current codes serve until the new ones are built; both note every change meanwhile.
    if (current) this.recoding.set(key, next);
    else this.coded.set(key, next);
    void next.ready.then(() => {
      if (current) {
        if (this.recoding.get(key) !== next) return;
        this.recoding.delete(key);
        if (next.error) return;
        this.coded.set(key, next);
      }
      // Rows that arrived during the build were coded with directions fitted without them: where they
      // doubled the partition (a gallery filling up), fit again.
      if (this.coded.get(key) === next && this.outgrown(key, matrix, next)) this.startCodes(key, matrix, next);
    });
  }

  private partition(tenant: string, model: string, create: boolean): VectorMatrix | undefined {
    const key = partitionKey(tenant, model);
    let matrix = this.partitions.get(key);
    if (!matrix && create) {
      matrix = new VectorMatrix(this.options.dims);
      this.partitions.set(key, matrix);
    }
    return matrix;
  }

  private applyUpsert(p: IndexPoint): void {
    const matrix = this.partition(p.tenant, p.model, true) as VectorMatrix;
    matrix.set(p.id, p.subject, p.vector);
    this.touch(partitionKey(p.tenant, p.model), matrix, p.id);
  }

  private applyDelete(filter: IndexFilter, ids: readonly string[]): void {
    const matrix = this.partition(filter.tenant, filter.model, false);
    if (!matrix) return;
    for (const id of ids) if (matrix.remove(id)) this.touch(partitionKey(filter.tenant, filter.model), matrix, id);
  }

  private applyDeleteSubject(tenant: string, subject: string): number {
    let removed = 0;
    for (const [key, matrix] of this.partitions) {
      if (!key.startsWith(`${tenant}\u0000`)) continue;
      const ids = matrix.ids.filter((_, row) => matrix.subjects[row] === subject);
      for (const id of ids) {
        if (!matrix.remove(id)) continue;
        this.touch(key, matrix, id);
        removed++;
      }
    }
    return removed;
  }

  private replay(record: Buffer): void {
    const op = record.readUInt8(0);
    if (op === UPSERT) {
      const metaLength = record.readUInt16LE(1);
      const meta = JSON.parse(record.subarray(3, 3 + metaLength).toString());
      const bytes = record.subarray(3 + metaLength);
      const vector = new Float32Array(bytes.length / 4);
      Buffer.from(vector.buffer).set(bytes);
      this.applyUpsert({ ...meta, vector });
    } else if (op === DELETE) {
      const { tenant, model, ids } = JSON.parse(record.subarray(1).toString());
      this.applyDelete({ tenant, model }, ids);
    } else if (op === DELETE_SUBJECT) {
      const { tenant, subject } = JSON.parse(record.subarray(1).toString());
      this.applyDeleteSubject(tenant, subject);
    }
  }

  async upsert(points: readonly IndexPoint[]): Promise<void> {
    for (const p of points) {
      if (p.vector.length !== this.options.dims) {
        throw new RangeError(`vector ${p.id} has ${p.vector.length} dims; this index holds ${this.options.dims}`);
      }
    }
    this.log?.append(points.map(encodeUpsert));
    for (const p of points) this.applyUpsert(p);
  }

  /**
   * Upsert many points (loading a gallery at start), then start the code indexes of the partitions that
   * reached the size: one build over all their rows, not a build at the first row past the size and
   * the rest put in one at a time.
   */
  async upsertAll(points: readonly IndexPoint[]): Promise<void> {
    this.replaying = true;
    try {
      for (let i = 0; i < points.length; i += 4096) await this.upsert(points.slice(i, i + 4096));
    } finally {
      this.replaying = false;
    }
    for (const [key, matrix] of this.partitions) this.touch(key, matrix, undefined);
  }

  async delete(filter: IndexFilter, ids: readonly string[]): Promise<void> {
    this.log?.append([encodeJson(DELETE, { ...filter, ids })]);
    this.applyDelete(filter, ids);
  }

  async deleteSubject(tenant: string, subject: string): Promise<number> {
    this.log?.append([encodeJson(DELETE_SUBJECT, { tenant, subject })]);
    return this.applyDeleteSubject(tenant, subject);
  }

  async search(query: Float32Array, k: number, filter: IndexFilter): Promise<SearchHit[]> {
    if (query.length !== this.options.dims) {
      throw new RangeError(`query has ${query.length} dims; this index holds ${this.options.dims}`);
    }
    const matrix = this.partition(filter.tenant, filter.model, false);
    if (!matrix || matrix.count === 0 || k <= 0) return [];
    const codes = this.coded.get(partitionKey(filter.tenant, filter.model));
    if (codes?.searchable && this.ann)
      return rescore(matrix, query, await codes.shortlist(query, Math.max(k, this.ann.shortlist)), k);
    const n = matrix.count;
    const kk = Math.min(k, n);
    const out = await this.session.run({
      queries: new ort.Tensor("float32", query, [1, this.options.dims]),
      gallery: new ort.Tensor("float32", matrix.block, [n, this.options.dims]),
      k: new ort.Tensor("int64", BigInt64Array.from([BigInt(kk)]), [1]),
    });
    const values = out.values?.data as Float32Array;
    const indices = out.indices?.data as BigInt64Array;
    return Array.from({ length: kk }, (_, i) => {
      const row = Number(indices[i]);
      return { id: matrix.ids[row] as string, subject: matrix.subjects[row] as string, score: values[i] as number };
    });
  }

  async count(filter: IndexFilter): Promise<number> {
    return this.partition(filter.tenant, filter.model, false)?.count ?? 0;
  }

  async ids(filter: IndexFilter): Promise<string[]> {
    return [...(this.partition(filter.tenant, filter.model, false)?.ids ?? [])];
  }

  async subjectVectors(filter: IndexFilter, subject: string): Promise<Float32Array[]> {
    const matrix = this.partition(filter.tenant, filter.model, false);
    if (!matrix) return [];
    return matrix.subjects.flatMap((s, row) => (s === subject ? [matrix.vector(row).slice()] : []));
  }

  /** Memory held per stored vector across partitions (their codes included), in bytes. */
  bytesPerVector(): number {
    let bytes = 0;
    let rows = 0;
    for (const m of this.partitions.values()) {
      bytes += m.bytesPerRow * m.count;
      rows += m.count;
    }
    for (const c of this.coded.values()) bytes += c.bytesPerRow * c.count;
    return rows ? bytes / rows : 0;
  }

  /** Every stored point, partition by partition (the vectors are views into the matrices). */
  *points(): Generator<IndexPoint> {
    for (const [key, matrix] of this.partitions) {
      const [tenant = "", model = ""] = key.split("\u0000");
      for (const [row, id] of matrix.ids.entries()) {
        yield { id, tenant, model, subject: matrix.subjects[row] as string, vector: matrix.vector(row) };
      }
    }
  }

  /** Rewrite the log with only live points. */
  compact(): void {
    if (!this.log || !this.options.dir) return;
    this.log.rewrite([...this.points()].map(encodeUpsert));
  }

  async close(): Promise<void> {
    await Promise.all([...this.coded.values(), ...this.recoding.values()].map((c) => c.close()));
    this.coded.clear();
    this.recoding.clear();
    this.log?.close();
    this.log = undefined;
  }
}
