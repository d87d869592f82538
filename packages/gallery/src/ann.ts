import { leadingDirections } from "@facerec/common";
import ort from "onnxruntime-node";
import type { VectorMatrix } from "./matrix.js";
import { codeScanModel, matMulModel } from "./onnx-models.js";

/** How the approximate index is built and searched; every field has its default in DEFAULT_ANN_OPTIONS. */
export interface AnnOptions {
  /**
   * A partition (one tenant and model) gets a code index once it holds this many templates; smaller ones
   * are searched exactly, so their decisions are exact by construction.
   * @default 100_000 (exact search there has p99 about 42 ms; at 1M it is 114 ms)
   */
  minTemplates: number;
  /**
   * Principal directions kept in a template's code, 8 bits each. At 1M distinct identities with 500 real
   * mated pairs (bench/index-search), 96 left none of the 484 mated probes that exact search put first
   * outside the best 500 codes; 64 left 4 out, 48 left 12 (at 1,000), 128 none but scans a third more.
   * @default 96
   */
  codeDims: number;
  /** Best-scoring codes re-scored exactly from the full-precision rows (at least k). @default 500 */
  shortlist: number;
}

export const DEFAULT_ANN_OPTIONS: AnnOptions = {
  minTemplates: 100_000,
  codeDims: 96,
  shortlist: 500,
};

/**
 * Rows of the partition the directions are fitted on (every n-th row). The 96 dimensions were chosen
 * with directions fitted on 50,000 of 1M rows; that covariance took 0.7 s here.
 */
const FIT_ROWS = 50_000;
/** Rows projected per ONNX Runtime call while encoding: about 20 ms each, so searches are not held up long. */
const ENCODE_CHUNK = 8192;
/** A code component's range is four standard deviations of that component over the fitted rows. */
const CLIP_SIGMAS = 4;

export interface CodeSessions {
  scan: ort.InferenceSession;
  matmul: ort.InferenceSession;
}

/**
 * A compressed copy of one partition for approximate search: each template's projection onto the
 * partition's leading principal directions, 8 bits a component. A search scans every code on ONNX
 * Runtime (one integer matrix-vector product and a top-k) and returns the best `shortlist` ids for the
 * caller to re-score from the full-precision rows, so scores are exact and only recall is approximate.
 *
 * Face embeddings of distinct people have no clusters to partition by (an inverted-file index probing
 * 12.5% of 1,024 lists found 94.7% of mates at 200k) and a graph over them lost 13 points of recall at
 * 1M; a scan of 96-byte codes reads 96 MB at 1M, about 6 ms on two cores (a search, rescoring
 * included, p50 7.7 ms in bench/index-search).
 *
 * It is derived data, built in seconds (1M rows: 7 s), so it is not saved: a start builds it again.
 * Until it is built the partition is searched exactly. It is built again, with directions fitted on the
 * rows it then has, each time the partition doubles.
 */
export class CodeIndex {
  private directions: Float32Array | undefined;
  /** Per component: code units per unit of projection. */
  private scales: Float32Array | undefined;
  private codes: Uint8Array;
  private readonly ids: string[] = [];
  private readonly slotOf = new Map<string, number>();
  private touched: Set<string> | undefined = new Set();
  private stopped = false;
  /** Settles when the codes are searchable (or the build failed, and search stays exact). */
  readonly ready: Promise<void>;
  error: Error | undefined;
  /** How many rows the directions were fitted on: the index is built again when the partition doubles. */
  fittedRows = 0;

  constructor(
    private readonly dims: number,
    private readonly options: AnnOptions,
    private readonly matrix: VectorMatrix,
    /** ONNX Runtime sessions shared by an index's partitions (see CodeIndex.sessions). */
    private readonly sessions: Promise<CodeSessions>,
  ) {
    this.codes = new Uint8Array(options.codeDims * Math.max(1024, matrix.count));
    this.ready = this.build().catch((e: unknown) => {
      // The partition stays on exact search: slower, never wrong. Said once, with the cause.
      this.error = e as Error;
      this.touched = undefined;
      process.emitWarning(`the approximate index could not be built; searching exactly: ${this.error.message}`);
    });
  }

  static async sessions(codeDims: number): Promise<CodeSessions> {
    const [scan, matmul] = await Promise.all([
      ort.InferenceSession.create(codeScanModel(codeDims)),
      ort.InferenceSession.create(matMulModel()),
    ]);
    return { scan, matmul };
  }

  get searchable(): boolean {
    return this.directions !== undefined && this.touched === undefined;
  }

  get count(): number {
    return this.ids.length;
  }

  /** Bytes held per code, counting spare capacity. */
  get bytesPerRow(): number {
    return this.ids.length ? this.codes.byteLength / this.ids.length : 0;
  }

  /** Note a row that was set or removed; applied now if the codes are built, else when they are. */
  touch(id: string): void {
    if (this.touched) this.touched.add(id);
    else if (this.directions) this.apply(id);
  }

  private async product(a: Float32Array, m: number, k: number, b: Float32Array, n: number): Promise<Float32Array> {
    const { matmul } = await this.sessions;
    const out = await matmul.run({
      a: new ort.Tensor("float32", a, [m, k]),
      b: new ort.Tensor("float32", b, [k, n]),
    });
    return out.c?.data as Float32Array;
  }

  /**
   * Fit the directions on every n-th row, then encode every row in chunks; rows changed meanwhile are
   * encoded again at the end from what they hold then.
   */
  private async build(): Promise<void> {
    const { dims } = this;
    const codeDims = this.options.codeDims;
    // The rows are taken once the sessions are here, not when the build was asked for: rows that came in
    // meanwhile (a gallery filling up) are fitted and coded in this build, not coded one by one after it
    // with directions fitted without them. What they hold is read below, so their notes are dropped.
    await this.sessions;
    const ids = [...this.matrix.ids];
    this.touched = new Set();
    const stride = Math.max(1, Math.floor(ids.length / FIT_ROWS));
    const fit = ids.filter((_, i) => i % stride === 0);
    const rows = this.gather(fit);
    // Covariance about the mean, as (rows - mean)ᵀ x rows: the mean's part of the second factor sums to zero.
    const mean = new Float64Array(dims);
    for (let i = 0; i < rows.length; i++) mean[i % dims] = (mean[i % dims] as number) + (rows[i] as number) / fit.length;
    const centredT = new Float32Array(dims * fit.length);
    for (let i = 0; i < fit.length; i++)
      for (let j = 0; j < dims; j++) centredT[j * fit.length + i] = (rows[i * dims + j] as number) - (mean[j] as number);
    const cov = await this.product(centredT, dims, fit.length, rows, dims);
    const leading = leadingDirections(cov, dims, codeDims);
    const directions = new Float32Array(codeDims * dims);
    const basis = new Float32Array(dims * codeDims);
    for (const [c, u] of leading.entries()) {
      directions.set(u, c * dims);
      for (let j = 0; j < dims; j++) basis[j * codeDims + c] = u[j] as number;
    }
    // Each component's spread over the fitted rows sets its scale.
    const fitted = await this.product(rows, fit.length, dims, basis, codeDims);
    const spread = new Float64Array(codeDims);
    for (let i = 0; i < fitted.length; i++)
      spread[i % codeDims] = (spread[i % codeDims] as number) + (fitted[i] as number) ** 2 / fit.length;
    this.scales = Float32Array.from(spread, (v) => 127 / (CLIP_SIGMAS * Math.sqrt(v) + 1e-12));
    this.fittedRows = ids.length;
    for (let at = 0; at < ids.length && !this.stopped; at += ENCODE_CHUNK) {
      const chunk = ids.slice(at, at + ENCODE_CHUNK).filter((id) => this.matrix.rowOf(id) !== undefined);
      const projected = await this.product(this.gather(chunk), chunk.length, dims, basis, codeDims);
      for (const [i, id] of chunk.entries()) this.store(id, projected.subarray(i * codeDims, (i + 1) * codeDims));
    }
    if (this.stopped) return;
    this.directions = directions;
    const touched = this.touched ?? new Set<string>();
    this.touched = undefined;
    for (const id of touched) this.apply(id);
  }

  /** The rows of `ids` (each held now) as one block. */
  private gather(ids: readonly string[]): Float32Array {
    const block = new Float32Array(ids.length * this.dims);
    for (const [i, id] of ids.entries()) block.set(this.matrix.vector(this.matrix.rowOf(id) as number), i * this.dims);
    return block;
  }

  /** A projection's code: each component in its own scale, clipped, offset by 128. */
  private store(id: string, projected: Float32Array): void {
    const codeDims = this.options.codeDims;
    const scales = this.scales as Float32Array;
    let slot = this.slotOf.get(id);
    if (slot === undefined) {
      slot = this.ids.length;
      if ((slot + 1) * codeDims > this.codes.length) {
        const grown = new Uint8Array(this.codes.length * 2);
        grown.set(this.codes);
        this.codes = grown;
      }
      this.ids.push(id);
      this.slotOf.set(id, slot);
    }
    for (let c = 0; c < codeDims; c++) {
      const q = Math.round((projected[c] as number) * (scales[c] as number));
      this.codes[slot * codeDims + c] = Math.max(-127, Math.min(127, q)) + 128;
    }
  }

  private project(vector: Float32Array): Float32Array {
    const { dims } = this;
    const directions = this.directions as Float32Array;
    const out = new Float32Array(this.options.codeDims);
    for (let c = 0; c < out.length; c++) {
      let dot = 0;
      for (let j = 0; j < dims; j++) dot += (directions[c * dims + j] as number) * (vector[j] as number);
      out[c] = dot;
    }
    return out;
  }

  private apply(id: string): void {
    const row = this.matrix.rowOf(id);
    if (row !== undefined) {
      this.store(id, this.project(this.matrix.vector(row)));
      return;
    }
    // Removed: the last code moves into its slot, so the codes stay one packed block.
    const slot = this.slotOf.get(id);
    if (slot === undefined) return;
    const codeDims = this.options.codeDims;
    const last = this.ids.length - 1;
    if (slot !== last) {
      this.codes.copyWithin(slot * codeDims, last * codeDims, (last + 1) * codeDims);
      const moved = this.ids[last] as string;
      this.ids[slot] = moved;
      this.slotOf.set(moved, slot);
    }
    this.codes.fill(0, last * codeDims, (last + 1) * codeDims);
    this.ids.pop();
    this.slotOf.delete(id);
  }

  /**
   * Ids of the `n` rows whose codes score best against the query's, best first. A change landing while
   * the scan runs can name a neighbouring row instead: that costs recall only, as the caller re-scores
   * every id from its row.
   */
  async shortlist(query: Float32Array, n: number): Promise<string[]> {
    if (this.ids.length <= n) return [...this.ids];
    const codeDims = this.options.codeDims;
    const scales = this.scales as Float32Array;
    // The query in code units, so the integer product ranks as Σ x_c y_c: its components divided by the
    // codes' scales, then stretched to fill int8. (A second int8 column for 15 bits cost 5 ms at 1M and
    // found no more mates.)
    const weights = this.project(query).map((y, c) => y / (scales[c] as number));
    const peak = weights.reduce((m, w) => Math.max(m, Math.abs(w)), 1e-12);
    const q = Int8Array.from(weights, (w) => Math.round((w / peak) * 127));
    const { scan } = await this.sessions;
    const out = await scan.run({
      codes: new ort.Tensor("uint8", this.codes.subarray(0, this.ids.length * codeDims), [this.ids.length, codeDims]),
      query: new ort.Tensor("int8", q, [codeDims, 1]),
      k: new ort.Tensor("int64", BigInt64Array.from([BigInt(n)]), [1]),
    });
    const slots = out.indices?.data as BigInt64Array;
    return Array.from(slots, (s) => this.ids[Number(s)] as string);
  }

  /** Stop a build in progress at its next chunk. */
  async close(): Promise<void> {
    this.stopped = true;
    await this.ready;
  }
}
