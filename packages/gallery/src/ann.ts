import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import usearch, { type Index, type MetricKind, type ScalarKind } from "usearch";
import type { VectorMatrix } from "./matrix.js";

/** How the approximate index is built and searched; every field has its default in DEFAULT_ANN_OPTIONS. */
export interface AnnOptions {
  /**
   * A partition (one tenant and model) gets a graph once it holds this many templates; smaller ones are
   * searched exactly, so their decisions are exact by construction.
   * @default 100_000 (exact search there has p99 about 17 ms; at 1M it is 151 ms, the graph's under 2 ms)
   */
  minTemplates: number;
  /**
   * Storage of the graph's vectors. The decision never reads them: the shortlist is re-scored from the
   * full-precision rows, so 8 bits cost only recall, and recall is measured in bench/index-search.
   * @default "i8" (a quarter of f32's memory, and at 100k LFW-derived vectors it built in 6.8 s against 15.9 s)
   */
  quantization: "i8" | "f16" | "f32";
  /**
   * HNSW links per node. @default 16 (32 links raised recall@10 at 100k LFW-derived vectors from 0.51 to
   * 0.71 but took 2.3x as long to build: a 1M build with 32 did not finish in 20 minutes on 2 cores)
   */
  connectivity: number;
  /** Candidates kept while inserting. @default 128 */
  expansionAdd: number;
  /**
   * Graph hits re-scored exactly from the full-precision rows for a search (at least k); also the
   * search's candidate list. @default 512 (recall@10 0.51 against 0.33 at 128, p99 0.85 ms at 100k)
   */
  shortlist: number;
}

export const DEFAULT_ANN_OPTIONS: AnnOptions = {
  minTemplates: 100_000,
  quantization: "i8",
  connectivity: 16,
  expansionAdd: 128,
  shortlist: 512,
};

const builtWorker = new URL("./ann-worker.js", import.meta.url);
// Under a TypeScript test runner this module is the source file; the worker is always the compiled one.
const workerUrl = existsSync(fileURLToPath(builtWorker)) ? builtWorker : new URL("../dist/ann-worker.js", import.meta.url);

/** What the build worker is given: the rows to insert, keyed 0..n-1, and where to save the graph. */
export interface BuildRequest {
  dims: number;
  options: AnnOptions;
  vectors: Float32Array;
  count: number;
  path: string;
  threads: number;
}

function newIndex(dims: number, o: AnnOptions): Index {
  return new usearch.Index({
    dimensions: dims,
    metric: "ip" as MetricKind,
    quantization: o.quantization as ScalarKind,
    connectivity: o.connectivity,
    expansion_add: o.expansionAdd,
    expansion_search: o.shortlist,
    multi: false,
  });
}

/** Runs in the build worker: insert every row and save the graph where the owner will load it. */
export function buildGraphFile(req: BuildRequest): void {
  const index = newIndex(req.dims, req.options);
  const keys = new BigUint64Array(req.count);
  for (let i = 0; i < req.count; i++) keys[i] = BigInt(i);
  // Batches, so the native add's threads stay busy without one huge temporary.
  const batch = 20_000;
  for (let at = 0; at < req.count; at += batch) {
    const end = Math.min(req.count, at + batch);
    index.add(keys.subarray(at, end), req.vectors.subarray(at * req.dims, end * req.dims), req.threads);
  }
  index.save(req.path);
}

/**
 * An HNSW graph (USearch) over one partition's rows, used to pick a shortlist that the caller re-scores
 * from the full-precision matrix. It is derived data, built again at each start from the rows (which
 * come from the gallery store or the index log); until it is ready the partition is searched exactly.
 *
 * Builds run in a worker thread so a million inserts (minutes) never block the event loop; changes made
 * meanwhile are noted and applied to the graph when it arrives.
 */
export class AnnGraph {
  private index: Index | undefined;
  private readonly keyOf = new Map<string, number>();
  private readonly idOf = new Map<number, string>();
  private nextKey = 0;
  private touched: Set<string> | undefined = new Set();
  private worker: Worker | undefined;
  /** Settles when the graph is searchable (or the build failed, and search stays exact). */
  readonly ready: Promise<void>;
  error: Error | undefined;

  /** Start building a graph of the matrix's current rows in a worker. */
  constructor(
    private readonly dims: number,
    private readonly options: AnnOptions,
    private readonly matrix: VectorMatrix,
  ) {
    this.ready = this.buildInWorker().catch((e: unknown) => {
      // The partition stays on exact search: slower, never wrong. Said once, with the cause.
      this.error = e as Error;
      this.touched = undefined;
      process.emitWarning(`the approximate index's graph could not be built; searching exactly: ${this.error.message}`);
    });
  }

  get searchable(): boolean {
    return this.index !== undefined && this.touched === undefined;
  }

  /** Note a row that was set or removed; applied now if the graph is here, else when it arrives. */
  touch(id: string): void {
    if (this.touched) this.touched.add(id);
    else if (this.index) this.apply(id);
  }

  private apply(id: string): void {
    const index = this.index as Index;
    const old = this.keyOf.get(id);
    if (old !== undefined) {
      index.remove(BigInt(old));
      this.keyOf.delete(id);
      this.idOf.delete(old);
    }
    const row = this.matrix.rowOf(id);
    if (row === undefined) return;
    const key = this.nextKey++;
    index.add(BigInt(key), this.matrix.vector(row));
    this.keyOf.set(id, key);
    this.idOf.set(key, id);
  }

  /** Take the built graph (row i under key i), then apply what changed while it was built. */
  private adopt(index: Index, ids: readonly string[]): void {
    ids.forEach((id, key) => {
      this.keyOf.set(id, key);
      this.idOf.set(key, id);
    });
    this.nextKey = ids.length;
    this.index = index;
    const touched = this.touched ?? new Set<string>();
    this.touched = undefined;
    for (const id of touched) this.apply(id);
  }

  private async buildInWorker(): Promise<void> {
    const ids = [...this.matrix.ids];
    const vectors = this.matrix.block.slice();
    const scratch = mkdtempSync(join(tmpdir(), "facerec-ann-"));
    const path = join(scratch, "graph.usearch");
    try {
      const request: BuildRequest = {
        dims: this.dims,
        options: this.options,
        vectors,
        count: ids.length,
        path,
        threads: availableParallelism(),
      };
      await new Promise<void>((resolve, reject) => {
        const worker = new Worker(workerUrl, { workerData: request });
        this.worker = worker;
        // A build never holds a stopping process open: the graph is rebuilt at the next start.
        worker.unref();
        worker.once("message", () => resolve());
        worker.once("error", reject);
        worker.once("exit", (code) => reject(new Error(`the graph build stopped (exit ${code})`)));
      });
      const index = newIndex(this.dims, this.options);
      index.load(path);
      this.adopt(index, ids);
    } finally {
      this.worker = undefined;
      rmSync(scratch, { recursive: true, force: true });
    }
  }

  /** Ids of the graph's nearest rows to the query, best first, `n` of them at most. */
  shortlist(query: Float32Array, n: number): string[] {
    const index = this.index as Index;
    const found = index.search(query, n, 1);
    const ids: string[] = [];
    for (const key of found.keys) {
      const id = this.idOf.get(Number(key));
      if (id !== undefined) ids.push(id);
    }
    return ids;
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
    await this.ready;
  }
}
