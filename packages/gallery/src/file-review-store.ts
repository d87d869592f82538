import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { JsonRecordStore, Transaction, writeDurably } from "@facerec/storage";
import { type ClusterOptions, FaceClusters, type Placement } from "./clustering.js";
import { vectorBytes, vectorOf } from "./gallery-store.js";
import {
  type NewReviewItem,
  type ReviewCluster,
  type ReviewItem,
  type ReviewStore,
  reviewClusterOf,
  type TakenReviewItem,
} from "./review-store.js";

type Stored = Omit<ReviewItem, "vector" | "cluster" | "outcome" | "hasCrop"> & {
  vector: string;
  outcome?: ReviewItem["outcome"];
  hasCrop?: boolean;
  /** Written by a rewrite of the log: the cluster the face was in (a face as added has none yet). */
  cluster?: string;
};
/** `take` and `purge` records are only read: logs written before removals rewrote the log have them. */
type FileRecord =
  | { type: "face"; item: Stored }
  | { type: "take"; tenant: string; cluster: string }
  | { type: "purge"; before: string; tenant?: string };

/** The log's records for the queue as it stands: every face with its cluster, nothing else. */
function* faceRecords(faces: Iterable<ReviewItem>): Generator<FileRecord> {
  for (const { vector, ...rest } of faces) {
    yield { type: "face", item: { ...rest, vector: vectorBytes(vector).toString("base64") } };
  }
}

/** Whether the face is plausibly the subject: its close-call match, or its best candidate. */
const isPlausibly = (item: ReviewItem, subjectId: string): boolean =>
  item.subjectId === subjectId || item.candidates[0]?.subjectId === subjectId;

const mentions = (item: ReviewItem, subjectId: string): boolean => item.candidates.some((c) => c.subjectId === subjectId);

/** The faces, with each cluster whose namesake left renamed after its oldest face (as ReviewCluster.id says). */
function renamed(faces: Map<string, ReviewItem>): Map<string, ReviewItem> {
  const key = (item: ReviewItem) => `${item.tenant}\u0000${item.cluster}`;
  const named = new Set<string>();
  const oldest = new Map<string, ReviewItem>();
  for (const item of faces.values()) {
    if (item.id === item.cluster) named.add(key(item));
    const o = oldest.get(key(item));
    if (!o || item.time < o.time || (item.time === o.time && item.id < o.id)) oldest.set(key(item), item);
  }
  return new Map(
    [...faces].map(([id, item]) => [
      id,
      named.has(key(item)) ? item : { ...item, cluster: (oldest.get(key(item)) as ReviewItem).id },
    ]),
  );
}

/**
 * The review queue in a local record log. Cluster ids are named after their first face, so replaying
 * the log places every face where it was placed; state is rebuilt by replay at start. Crops are files
 * of their own (written before the record that names them), so that replay does not read them. A
 * change that removes faces rewrites the log to the faces that stay, each with its cluster, so that no
 * byte of a face that left (an erased person's above all) stays in the folder.
 */
export class FileReviewStore implements ReviewStore {
  private faces = new Map<string, ReviewItem>();
  private readonly partitions = new Map<string, FaceClusters>();
  /** A `take` or `purge` record was replayed: the log still holds the faces they removed. */
  private removalsReplayed = false;
  private readonly log: JsonRecordStore<FileRecord, Placement | undefined>;

  private constructor(
    dir: string,
    private readonly cropDir: string,
    private readonly options: ClusterOptions,
  ) {
    this.log = JsonRecordStore.open(dir, "review.log", (r: FileRecord) => this.apply(r));
  }

  static open(dir: string, options: ClusterOptions): FileReviewStore {
    const cropDir = join(dir, "review-crops");
    mkdirSync(cropDir, { recursive: true });
    const store = new FileReviewStore(dir, cropDir, options);
    // An older log still holds the faces taken and purged, and a torn append may hold a face whose
    // person is erased later: rewritten now, as no later removal need happen to reach them.
    if (store.removalsReplayed || existsSync(`${store.log.path}.torn`)) store.replace(new Map(store.faces));
    // A crop written just before a crash whose record never was, or whose face's removal was cut short
    // after the rewrite: nothing names it, so it goes.
    const named = new Set(
      [...store.faces.values()].filter((i) => i.hasCrop).map((i) => basename(store.cropFile(i.tenant, i.id))),
    );
    for (const f of readdirSync(cropDir)) if (!named.has(f)) rmSync(join(cropDir, f), { force: true });
    return store;
  }

  private partition(tenant: string, model: string): FaceClusters {
    const key = `${tenant}\u0000${model}`;
    let p = this.partitions.get(key);
    if (!p) {
      p = new FaceClusters(this.options);
      this.partitions.set(key, p);
    }
    return p;
  }

  /** A crop's file: named by a hash, as ids are the API's strings (a request id and a face index). */
  private cropFile(tenant: string, id: string): string {
    return join(this.cropDir, `${createHash("sha256").update(`${tenant}\u0000${id}`).digest("hex").slice(0, 40)}.png`);
  }

  private apply(r: FileRecord): Placement | undefined {
    if (r.type === "face") {
      const { vector, cluster, ...rest } = r.item;
      if (this.faces.has(rest.id)) return undefined;
      const v = vectorOf(Buffer.from(vector, "base64"));
      // Records written before low-margin matches were kept are unknown decisions.
      const face = { ...rest, outcome: rest.outcome ?? "unknown", hasCrop: rest.hasCrop ?? false, vector: v };
      if (cluster !== undefined) {
        this.partition(rest.tenant, rest.model).adopt(cluster, rest.id, v);
        this.faces.set(rest.id, { ...face, cluster });
        return undefined;
      }
      const placed = this.partition(rest.tenant, rest.model).add(rest.id, v);
      const item: ReviewItem = { ...face, cluster: placed.cluster };
      this.faces.set(item.id, item);
      if (placed.merged.length) {
        for (const other of this.faces.values()) {
          if (other.tenant === item.tenant && placed.merged.includes(other.cluster)) other.cluster = placed.cluster;
        }
      }
      return placed;
    }
    this.removalsReplayed = true;
    if (r.type === "take") {
      const models = new Set<string>();
      for (const [id, item] of this.faces) {
        if (item.tenant === r.tenant && item.cluster === r.cluster) {
          this.faces.delete(id);
          models.add(item.model);
        }
      }
      for (const model of models) this.partition(r.tenant, model).remove(r.cluster);
      return undefined;
    }
    for (const [id, item] of this.faces) {
      if (item.time < r.before && (r.tenant === undefined || item.tenant === r.tenant)) {
        this.faces.delete(id);
        this.partition(item.tenant, item.model).forget(item.cluster, id, item.vector);
      }
    }
    return undefined;
  }

  /**
   * Make `kept` the queue. The log is rewritten to hold exactly its faces, so a crash leaves the queue
   * as it was or as it is now; the clusters are then rebuilt from the faces as a reopen rebuilds them,
   * and the crops of the faces that left are deleted (a crash before that leaves files that nothing
   * names, which the next open deletes).
   */
  private replace(kept: Map<string, ReviewItem>): void {
    const next = renamed(kept);
    this.log.rewrite(faceRecords(next.values()));
    const gone = [...this.faces.values()].filter((i) => !next.has(i.id));
    this.faces = next;
    this.partitions.clear();
    for (const item of next.values()) this.partition(item.tenant, item.model).adopt(item.cluster, item.id, item.vector);
    // After the change commits: a crash before then keeps these faces queued, and their crops with them.
    Transaction.whenCommitted(() => {
      for (const item of gone) if (item.hasCrop) rmSync(this.cropFile(item.tenant, item.id), { force: true });
    });
  }

  /** The queue without the faces `leaves` picks, or undefined when it picks none. */
  private without(leaves: (item: ReviewItem) => boolean): Map<string, ReviewItem> | undefined {
    const next = new Map([...this.faces].filter(([, item]) => !leaves(item)));
    return next.size < this.faces.size ? next : undefined;
  }

  async add(item: NewReviewItem): Promise<Placement | undefined> {
    if (this.faces.has(item.id)) return undefined;
    const { vector, crop, ...rest } = item;
    if (crop) writeDurably(this.cropFile(item.tenant, item.id), Buffer.from(crop));
    return this.log.append({
      type: "face",
      item: { ...rest, hasCrop: crop !== undefined, vector: vectorBytes(vector).toString("base64") },
    });
  }

  async crop(tenant: string, id: string): Promise<Uint8Array | undefined> {
    const item = this.faces.get(id);
    if (!item || item.tenant !== tenant || !item.hasCrop) return undefined;
    return readFileSync(this.cropFile(tenant, id));
  }

  private byCluster(tenant: string): Map<string, ReviewItem[]> {
    const out = new Map<string, ReviewItem[]>();
    for (const item of this.faces.values()) {
      if (item.tenant !== tenant) continue;
      const list = out.get(item.cluster);
      if (list) list.push(item);
      else out.set(item.cluster, [item]);
    }
    return out;
  }

  async clusters(tenant: string, limit: number, offset: number): Promise<{ clusters: ReviewCluster[]; total: number }> {
    const all = [...this.byCluster(tenant)]
      .map(([id, items]) => reviewClusterOf(tenant, items[0]?.model ?? "", id, items))
      .sort((a, b) => (a.last < b.last ? 1 : a.last > b.last ? -1 : a.id.localeCompare(b.id)));
    return { clusters: all.slice(offset, offset + limit), total: all.length };
  }

  async items(tenant: string, cluster: string): Promise<ReviewItem[]> {
    return (this.byCluster(tenant).get(cluster) ?? []).sort((a, b) => a.time.localeCompare(b.time));
  }

  async take(tenant: string, cluster: string): Promise<TakenReviewItem[]> {
    const items: TakenReviewItem[] = (await this.items(tenant, cluster)).map((item) =>
      item.hasCrop ? { ...item, crop: readFileSync(this.cropFile(tenant, item.id)) } : item,
    );
    const next = this.without((i) => i.tenant === tenant && i.cluster === cluster);
    if (next) this.replace(next);
    return items;
  }

  async purge(before: string, tenant?: string): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    const next = this.without((item) => {
      if (item.time >= before || (tenant !== undefined && item.tenant !== tenant)) return false;
      counts.set(item.tenant, (counts.get(item.tenant) ?? 0) + 1);
      return true;
    });
    if (next) this.replace(next);
    return counts;
  }

  async eraseSubject(tenant: string, subjectId: string): Promise<{ faces: number; mentions: number }> {
    const next = new Map<string, ReviewItem>();
    let faces = 0;
    let mentioned = 0;
    for (const [id, item] of this.faces) {
      if (item.tenant !== tenant) next.set(id, item);
      else if (isPlausibly(item, subjectId)) faces++;
      else if (mentions(item, subjectId)) {
        mentioned++;
        next.set(id, { ...item, candidates: item.candidates.filter((c) => c.subjectId !== subjectId) });
      } else next.set(id, item);
    }
    if (faces || mentioned) this.replace(next);
    return { faces, mentions: mentioned };
  }

  async facesOf(tenant: string, subjectId: string): Promise<ReviewItem[]> {
    return [...this.faces.values()]
      .filter((i) => i.tenant === tenant && (i.subjectId === subjectId || mentions(i, subjectId)))
      .sort((a, b) => a.time.localeCompare(b.time) || a.id.localeCompare(b.id));
  }

  async close(): Promise<void> {
    this.log.close();
  }
}
