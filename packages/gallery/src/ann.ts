import { createHash } from "node:crypto";
import { closeSync, existsSync, fsyncSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { writeDurably } from "@facerec/storage";
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

/** The snapshot's description of its graph file: what it was built with, and which row each key is. */
interface SnapshotIndexFile {
  version: 1;
  dims: number;
  quantization: AnnOptions["quantization"];
  connectivity: number;
  expansionAdd: number;
  graphBytes: number;
  graphSha256: string;
  /** [template id, graph key, fingerprint of the row's vector when saved] */
  keys: [string, number, number][];
}

/**
 * A cheap fingerprint of a vector (16 of its components' bits): a row whose vector changed since the
 * snapshot is put into the graph again. A change it missed would cost recall only, never a wrong
 * score: the shortlist is re-scored from the rows.
 */
function fingerprint(v: Float32Array): number {
  const bits = new Uint32Array(v.buffer, v.byteOffset, v.length);
  let h = 0x811c9dc5;
  for (let i = 0; i < 16; i++) h = Math.imul(h ^ (bits[Math.floor((i * bits.length) / 16)] as number), 0x01000193);
  return h >>> 0;
}

function sha256Of(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

/**
 * An HNSW graph (USearch) over one partition's rows, used to pick a shortlist that the caller re-scores
 * from the full-precision matrix. It is derived data: the rows (from the gallery store or the index log)
 * are the record. With a snapshot path the graph is saved there after a build and at close, and the next
 * start loads it and puts in only the rows changed since, instead of building again (261 s at 1M rows).
 * A snapshot that does not match (another build setting, a torn or damaged file) is removed and the
 * graph built. Until the graph is ready the partition is searched exactly.
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
  /** Rows applied since the graph was last saved. */
  private unsaved = 0;
  /** Settles when the graph is searchable (or the build failed, and search stays exact). */
  readonly ready: Promise<void>;
  error: Error | undefined;
  /** Where the graph came from: a snapshot loaded at start, or a build. */
  origin: "snapshot" | "build" | undefined;

  /** Load the partition's snapshot, or start building a graph of the matrix's current rows in a worker. */
  constructor(
    private readonly dims: number,
    private readonly options: AnnOptions,
    private readonly matrix: VectorMatrix,
    /** Path prefix of this partition's snapshot files (`.usearch`, `.json`); none keeps no snapshot. */
    private readonly snapshot?: string,
  ) {
    this.ready = this.loadOrBuild().catch((e: unknown) => {
      // The partition stays on exact search: slower, never wrong. Said once, with the cause.
      this.error = e as Error;
      this.touched = undefined;
      process.emitWarning(`the approximate index's graph could not be built; searching exactly: ${this.error.message}`);
    });
  }

  get searchable(): boolean {
    return this.index !== undefined && this.touched === undefined;
  }

  /**
   * Note a row that was set or removed; applied now if the graph is here, else when it arrives. A
   * removed row (an erasure) also takes the saved graph with it: its file holds the row's vector, and
   * erased vectors are not kept anywhere. The next close saves the graph again.
   */
  touch(id: string): void {
    if (this.snapshot && this.matrix.rowOf(id) === undefined) this.dropSnapshot(this.snapshot);
    if (this.touched) this.touched.add(id);
    else if (this.index) this.apply(id);
  }

  /** Remove the saved graph (the change that calls for it is applied, and so saved at close, by its caller). */
  private dropSnapshot(prefix: string): void {
    rmSync(`${prefix}.json`, { force: true });
    rmSync(`${prefix}.usearch`, { force: true });
  }

  private apply(id: string): void {
    const index = this.index as Index;
    this.unsaved++;
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

  private async loadOrBuild(): Promise<void> {
    if (this.snapshot && this.load(this.snapshot)) return;
    await this.buildInWorker();
  }

  /**
   * Take the snapshot's graph when it was built with these settings and its file is whole: keep the
   * keys whose row is unchanged, take out the rest, put in the rows it lacks. False (the files removed,
   * and a warning saying why) when it cannot be used.
   */
  private load(prefix: string): boolean {
    const graphPath = `${prefix}.usearch`;
    if (!existsSync(`${prefix}.json`) || !existsSync(graphPath)) return false;
    let index: Index;
    let file: SnapshotIndexFile;
    try {
      file = JSON.parse(readFileSync(`${prefix}.json`, "utf8")) as SnapshotIndexFile;
      const o = this.options;
      const same =
        file.version === 1 &&
        file.dims === this.dims &&
        file.quantization === o.quantization &&
        file.connectivity === o.connectivity &&
        file.expansionAdd === o.expansionAdd;
      if (!same) throw new Error("it was built with other settings");
      // Checked before the native loader reads it: a torn or damaged graph file is never loaded.
      if (statSync(graphPath).size !== file.graphBytes || sha256Of(graphPath) !== file.graphSha256)
        throw new Error("its graph file does not match its checksum");
      index = newIndex(this.dims, this.options);
      index.load(graphPath);
    } catch (e) {
      process.emitWarning(
        `the approximate index's snapshot ${prefix} is not used and the graph is built: ${(e as Error).message}`,
      );
      this.dropSnapshot(prefix);
      return false;
    }
    let next = 0;
    for (const [id, key, print] of file.keys) {
      next = Math.max(next, key + 1);
      const row = this.matrix.rowOf(id);
      if (row !== undefined && fingerprint(this.matrix.vector(row)) === print) {
        this.keyOf.set(id, key);
        this.idOf.set(key, id);
      } else {
        // Gone or changed since it was saved: out of the graph now, and the file saved again at close.
        index.remove(BigInt(key));
        this.unsaved++;
      }
    }
    this.nextKey = next;
    this.index = index;
    this.origin = "snapshot";
    this.touched = undefined;
    // The rows the graph lacks: new since the snapshot, or changed (taken out above).
    for (const id of this.matrix.ids) if (!this.keyOf.has(id)) this.apply(id);
    return true;
  }

  /**
   * Write a graph file and its key map: the graph aside, fsync'd and renamed into place, then the key
   * map with the graph's checksum (written durably). A crash between the two leaves a checksum that does
   * not match, so the next start builds rather than loads a mismatched pair.
   */
  private writeSnapshot(prefix: string, aside: string, keys: SnapshotIndexFile["keys"]): void {
    const fd = openSync(aside, "r+");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    const file: SnapshotIndexFile = {
      version: 1,
      dims: this.dims,
      quantization: this.options.quantization,
      connectivity: this.options.connectivity,
      expansionAdd: this.options.expansionAdd,
      graphBytes: statSync(aside).size,
      graphSha256: sha256Of(aside),
      keys,
    };
    renameSync(aside, `${prefix}.usearch`);
    writeDurably(`${prefix}.json`, JSON.stringify(file));
  }

  /** Write a snapshot; a failure is said once and costs the next start a build, never data. */
  private saving(write: () => void): void {
    try {
      write();
    } catch (e) {
      process.emitWarning(`the approximate index's graph could not be saved: ${(e as Error).message}`);
    }
  }

  /** Save the graph as it is now (at close, when rows changed since the last save). */
  private save(prefix: string): void {
    const aside = `${prefix}.usearch.tmp`;
    (this.index as Index).save(aside);
    this.writeSnapshot(
      prefix,
      aside,
      [...this.keyOf].map(([id, key]) => [id, key, fingerprint(this.matrix.vector(this.matrix.rowOf(id) as number))]),
    );
    this.unsaved = 0;
  }

  private async buildInWorker(): Promise<void> {
    const ids = [...this.matrix.ids];
    const vectors = this.matrix.block.slice();
    // With a snapshot the build writes beside it (the same file system, so the file is renamed, not copied).
    const scratch = this.snapshot ? undefined : mkdtempSync(join(tmpdir(), "facerec-ann-"));
    const path = scratch ? join(scratch, "graph.usearch") : `${this.snapshot}.building`;
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
      // The built file becomes the snapshot, keyed as built (row i under key i); rows changed during the
      // build go into the graph below and into the file at close. Not when a row it holds was removed
      // meanwhile: an erased vector is not written.
      const erased = [...(this.touched ?? [])].some((id) => this.matrix.rowOf(id) === undefined);
      const snapshot = this.snapshot;
      if (snapshot && !erased) {
        const print = (i: number) => fingerprint(vectors.subarray(i * this.dims, (i + 1) * this.dims));
        this.saving(() =>
          this.writeSnapshot(
            snapshot,
            path,
            ids.map((id, i) => [id, i, print(i)]),
          ),
        );
      }
      this.origin = "build";
      this.adopt(index, ids);
    } finally {
      this.worker = undefined;
      if (scratch) rmSync(scratch, { recursive: true, force: true });
      else rmSync(path, { force: true });
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

  /** Stop a build in progress, and save a graph that changed since it was last saved. */
  async close(): Promise<void> {
    await this.worker?.terminate();
    await this.ready;
    const snapshot = this.snapshot;
    if (snapshot && this.searchable && this.unsaved > 0) this.saving(() => this.save(snapshot));
  }
}
