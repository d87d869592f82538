import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { type Database, type Queryable, RecordLog, writeDurably } from "@facerec/storage";
import { type ClusterOptions, FaceClusters, type Placement } from "./clustering.js";
import { vectorBytes, vectorOf } from "./gallery-store.js";

/**
 * A face kept for review: an unknown decision's (or a low-margin match's) embedding, where and when it
 * was seen, and its candidates.
 */
export interface ReviewItem {
  /** The decision's crop or request id. */
  id: string;
  tenant: string;
  camera: string;
  model: string;
  time: string;
  vector: Float32Array;
  quality: number;
  /** `unknown`, or `match` for a match kept because it was a close call. */
  outcome: "unknown" | "match";
  /** The subject a low-margin match named. */
  subjectId?: string;
  /** The nearest enrolled subjects at the time, best first. */
  candidates: { subjectId: string; score: number; threshold: number }[];
  /** The cluster it belongs to. */
  cluster: string;
  /** Whether its aligned crop is kept (crop retention on); the bytes come from ReviewStore.crop. */
  hasCrop: boolean;
}

/** A face as it enters the queue: with its crop's PNG bytes where crops are retained. */
export type NewReviewItem = Omit<ReviewItem, "cluster" | "hasCrop"> & { crop?: Uint8Array };

/** A face as it leaves the queue (assigned): with its crop's bytes, which become the template's. */
export type TakenReviewItem = ReviewItem & { crop?: Uint8Array };

/** A cluster as the review queue lists it. */
export interface ReviewCluster {
  id: string;
  tenant: string;
  model: string;
  faces: number;
  cameras: string[];
  first: string;
  last: string;
}

/**
 * The review queue's storage port: local files (embedded mode) or PostgreSQL, where every gateway and
 * matcher places faces in the same clusters (placing is serialised per tenant).
 */
export interface ReviewStore {
  /** Place a face in its cluster (FaceClusters) and keep it; an id already kept is left as it is. */
  add(item: NewReviewItem): Promise<Placement | undefined>;
  /** The tenant's clusters, the most recently seen first. */
  clusters(tenant: string, limit: number, offset: number): Promise<{ clusters: ReviewCluster[]; total: number }>;
  /** One cluster's faces, oldest first; empty when the tenant has no such cluster. */
  items(tenant: string, cluster: string): Promise<ReviewItem[]>;
  /** One face's aligned crop (PNG), when it was kept. */
  crop(tenant: string, id: string): Promise<Uint8Array | undefined>;
  /** Take a cluster and its faces out of the queue (assigned or dismissed) and return the faces with their crops. */
  take(tenant: string, cluster: string): Promise<TakenReviewItem[]>;
  /** Forget every face seen before `before` (of one tenant, or of all); the counts per tenant. */
  purge(before: string, tenant?: string): Promise<Map<string, number>>;
  close(): Promise<void>;
}

/** A cluster as listed, from its faces: how many, which cameras, first and last seen. */
export function reviewClusterOf(tenant: string, model: string, id: string, items: readonly ReviewItem[]): ReviewCluster {
  const times = items.map((i) => i.time).sort();
  return {
    id,
    tenant,
    model,
    faces: items.length,
    cameras: [...new Set(items.map((i) => i.camera))].sort(),
    first: times[0] ?? "",
    last: times.at(-1) ?? "",
  };
}

type Stored = Omit<ReviewItem, "vector" | "cluster" | "outcome" | "hasCrop"> & {
  vector: string;
  outcome?: ReviewItem["outcome"];
  hasCrop?: boolean;
};
type FileRecord =
  | { type: "face"; item: Stored }
  | { type: "take"; tenant: string; cluster: string }
  | { type: "purge"; before: string; tenant?: string };

/**
 * The review queue in a local record log. Cluster ids are named after their first face, so replaying
 * the log places every face where it was placed; state is rebuilt by replay at start. Crops are files
 * of their own (written before the record that names them), so that replay does not read them.
 */
export class FileReviewStore implements ReviewStore {
  private readonly faces = new Map<string, ReviewItem>();
  private readonly partitions = new Map<string, FaceClusters>();

  private constructor(
    private readonly log: RecordLog,
    private readonly cropDir: string,
    private readonly options: ClusterOptions,
  ) {}

  static open(dir: string, options: ClusterOptions): FileReviewStore {
    const cropDir = join(dir, "review-crops");
    mkdirSync(cropDir, { recursive: true });
    const records: FileRecord[] = [];
    const { log } = RecordLog.open(join(dir, "review.log"), (r) => records.push(JSON.parse(r.toString())));
    const store = new FileReviewStore(log, cropDir, options);
    for (const r of records) store.apply(r);
    // A crop written just before a crash whose record never was: nothing names it, so it goes.
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
      const { vector, ...rest } = r.item;
      if (this.faces.has(rest.id)) return undefined;
      const v = vectorOf(Buffer.from(vector, "base64"));
      const placed = this.partition(rest.tenant, rest.model).add(rest.id, v);
      // Records written before low-margin matches were kept are unknown decisions.
      const item: ReviewItem = {
        ...rest,
        outcome: rest.outcome ?? "unknown",
        hasCrop: rest.hasCrop ?? false,
        vector: v,
        cluster: placed.cluster,
      };
      this.faces.set(item.id, item);
      if (placed.merged.length) {
        for (const other of this.faces.values()) {
          if (other.tenant === item.tenant && placed.merged.includes(other.cluster)) other.cluster = placed.cluster;
        }
      }
      return placed;
    }
    if (r.type === "take") {
      const models = new Set<string>();
      for (const [id, item] of this.faces) {
        if (item.tenant === r.tenant && item.cluster === r.cluster) {
          this.faces.delete(id);
          models.add(item.model);
          if (item.hasCrop) rmSync(this.cropFile(item.tenant, id), { force: true });
        }
      }
      for (const model of models) this.partition(r.tenant, model).remove(r.cluster);
      return undefined;
    }
    for (const [id, item] of this.faces) {
      if (item.time < r.before && (r.tenant === undefined || item.tenant === r.tenant)) {
        this.faces.delete(id);
        this.partition(item.tenant, item.model).forget(item.cluster, id, item.vector);
        if (item.hasCrop) rmSync(this.cropFile(item.tenant, id), { force: true });
      }
    }
    return undefined;
  }

  private write(r: FileRecord): Placement | undefined {
    this.log.append([Buffer.from(JSON.stringify(r))]);
    return this.apply(r);
  }

  async add(item: NewReviewItem): Promise<Placement | undefined> {
    if (this.faces.has(item.id)) return undefined;
    const { vector, crop, ...rest } = item;
    if (crop) writeDurably(this.cropFile(item.tenant, item.id), Buffer.from(crop));
    return this.write({
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
    const items: TakenReviewItem[] = await this.items(tenant, cluster);
    for (const item of items) if (item.hasCrop) item.crop = readFileSync(this.cropFile(tenant, item.id));
    if (items.length) this.write({ type: "take", tenant, cluster });
    return items;
  }

  async purge(before: string, tenant?: string): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const item of this.faces.values()) {
      if (item.time < before && (tenant === undefined || item.tenant === tenant)) {
        counts.set(item.tenant, (counts.get(item.tenant) ?? 0) + 1);
      }
    }
    if (counts.size) this.write({ type: "purge", before, ...(tenant !== undefined ? { tenant } : {}) });
    return counts;
  }

  async close(): Promise<void> {
    this.log.close();
  }
}

type ItemRow = {
  tenant: string;
  id: string;
  camera: string;
  model: string;
  time: string;
  vector: Buffer;
  quality: number;
  outcome: ReviewItem["outcome"];
  subject_id: string | null;
  candidates: ReviewItem["candidates"];
  cluster: string;
  has_crop: boolean;
  crop?: Buffer | null;
};

/** An item's columns, its crop's bytes left out (`crop` adds them where they are wanted). */
const ITEM_COLUMNS =
  "tenant, id, camera, model, time, vector, quality, outcome, subject_id, candidates, cluster, crop IS NOT NULL AS has_crop";

const itemOf = ({ subject_id, has_crop, crop, ...r }: ItemRow): TakenReviewItem => ({
  ...r,
  vector: vectorOf(r.vector),
  hasCrop: has_crop,
  ...(subject_id ? { subjectId: subject_id } : {}),
  ...(crop ? { crop } : {}),
});

type ClusterStates = Map<string, { sum: Float32Array; count: number }>;

/** Raise a partition's version (under the tenant's lock); every write to its clusters carries it. */
async function bump(client: Queryable, tenant: string, model: string): Promise<number> {
  const { rows } = await client.query<{ version: string }>(
    `INSERT INTO review_heads (tenant, model, version) VALUES ($1, $2, 1)
     ON CONFLICT (tenant, model) DO UPDATE SET version = review_heads.version + 1 RETURNING version`,
    [tenant, model],
  );
  return Number(rows[0]?.version);
}

/**
 * The review queue in PostgreSQL. A face is placed under a per-tenant transaction lock against the
 * clusters' sums as stored, so concurrent matchers and gateways agree on every cluster. Each process
 * keeps the sums it last saw with their version and reads only the clusters written since: reading
 * every sum on each placement cost more than 10 ms a face at 2,000 clusters (`bench/dist/review.js`).
 */
export class PgReviewStore implements ReviewStore {
  private readonly cached = new Map<string, { version: number; clusters: ClusterStates }>();

  constructor(
    private readonly db: Database,
    private readonly options: ClusterOptions,
  ) {}

  /** The partition's clusters as of version `now - 1`: memory, brought up to date with what others wrote. */
  private async current(client: Queryable, tenant: string, model: string, now: number): Promise<ClusterStates> {
    const held = this.cached.get(`${tenant}\u0000${model}`);
    const clusters: ClusterStates = new Map(held?.clusters ?? []);
    if (held?.version === now - 1) return clusters;
    if (held) {
      const { rows } = await client.query<{ id: string }>("SELECT id FROM review_clusters WHERE tenant = $1 AND model = $2", [
        tenant,
        model,
      ]);
      const live = new Set(rows.map((r) => r.id));
      for (const id of clusters.keys()) if (!live.has(id)) clusters.delete(id);
    }
    const { rows } = await client.query<{ id: string; sum: Buffer; count: number }>(
      "SELECT id, sum, count FROM review_clusters WHERE tenant = $1 AND model = $2 AND version > $3",
      [tenant, model, held?.version ?? 0],
    );
    for (const r of rows) clusters.set(r.id, { sum: vectorOf(r.sum), count: r.count });
    return clusters;
  }

  async add(item: NewReviewItem): Promise<Placement | undefined> {
    const key = `${item.tenant}\u0000${item.model}`;
    const done = await this.db.transaction(async (client) => {
      await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`review:${item.tenant}`]);
      const seen = await client.query("SELECT 1 FROM review_items WHERE tenant = $1 AND id = $2", [item.tenant, item.id]);
      if (seen.rowCount) return undefined;
      const now = await bump(client, item.tenant, item.model);
      const states = await this.current(client, item.tenant, item.model, now);
      const clusters = FaceClusters.restore(
        this.options,
        [...states].map(([id, c]) => ({ id, ...c })),
      );
      const placed = clusters.add(item.id, item.vector);
      const cluster = clusters.get(placed.cluster);
      if (!cluster) throw new Error(`cluster ${placed.cluster} vanished while placing ${item.id}`);
      await client.query(
        `INSERT INTO review_clusters (tenant, model, id, sum, count, version) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (tenant, id) DO UPDATE SET sum = EXCLUDED.sum, count = EXCLUDED.count, version = EXCLUDED.version`,
        [item.tenant, item.model, cluster.id, vectorBytes(cluster.sum), cluster.count, now],
      );
      if (placed.merged.length) {
        await client.query("UPDATE review_items SET cluster = $3 WHERE tenant = $1 AND cluster = ANY($2)", [
          item.tenant,
          placed.merged,
          cluster.id,
        ]);
        await client.query("DELETE FROM review_clusters WHERE tenant = $1 AND id = ANY($2)", [item.tenant, placed.merged]);
      }
      states.set(cluster.id, { sum: cluster.sum, count: cluster.count });
      for (const id of placed.merged) states.delete(id);
      await client.query(
        `INSERT INTO review_items (tenant, id, camera, model, time, vector, quality, candidates, cluster, outcome, subject_id, crop)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
        [
          item.tenant,
          item.id,
          item.camera,
          item.model,
          item.time,
          vectorBytes(item.vector),
          item.quality,
          JSON.stringify(item.candidates),
          cluster.id,
          item.outcome,
          item.subjectId ?? null,
          item.crop ? Buffer.from(item.crop) : null,
        ],
      );
      return { placed, now, states };
    });
    if (!done) return undefined;
    // Kept only once committed, and only if no later placement in this process was kept first.
    if ((this.cached.get(key)?.version ?? -1) < done.now) this.cached.set(key, { version: done.now, clusters: done.states });
    return done.placed;
  }

  async clusters(tenant: string, limit: number, offset: number): Promise<{ clusters: ReviewCluster[]; total: number }> {
    const { rows } = await this.db.query<{
      id: string;
      model: string;
      faces: string;
      cameras: string[];
      first: string;
      last: string;
      total: string;
    }>(
      `SELECT cluster AS id, min(model) AS model, count(*) AS faces, array_agg(DISTINCT camera ORDER BY camera) AS cameras,
              min(time) AS first, max(time) AS last, count(*) OVER () AS total
       FROM review_items WHERE tenant = $1 GROUP BY cluster ORDER BY max(time) DESC, cluster LIMIT $2 OFFSET $3`,
      [tenant, limit, offset],
    );
    const total = rows[0]
      ? Number(rows[0].total)
      : Number(
          (
            await this.db.query<{ n: string }>("SELECT count(DISTINCT cluster) AS n FROM review_items WHERE tenant = $1", [
              tenant,
            ])
          ).rows[0]?.n ?? 0,
        );
    return {
      clusters: rows.map((r) => ({
        id: r.id,
        tenant,
        model: r.model,
        faces: Number(r.faces),
        cameras: r.cameras,
        first: r.first,
        last: r.last,
      })),
      total,
    };
  }

  async items(tenant: string, cluster: string): Promise<ReviewItem[]> {
    const { rows } = await this.db.query<ItemRow>(
      `SELECT ${ITEM_COLUMNS} FROM review_items WHERE tenant = $1 AND cluster = $2 ORDER BY time, id`,
      [tenant, cluster],
    );
    return rows.map(itemOf);
  }

  async crop(tenant: string, id: string): Promise<Uint8Array | undefined> {
    const { rows } = await this.db.query<{ crop: Buffer | null }>("SELECT crop FROM review_items WHERE tenant = $1 AND id = $2", [
      tenant,
      id,
    ]);
    return rows[0]?.crop ?? undefined;
  }

  async take(tenant: string, cluster: string): Promise<TakenReviewItem[]> {
    return this.db.transaction(async (client) => {
      await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`review:${tenant}`]);
      const { rows } = await client.query<ItemRow>(
        `DELETE FROM review_items WHERE tenant = $1 AND cluster = $2 RETURNING ${ITEM_COLUMNS}, crop`,
        [tenant, cluster],
      );
      const gone = await client.query<{ model: string }>(
        "DELETE FROM review_clusters WHERE tenant = $1 AND id = $2 RETURNING model",
        [tenant, cluster],
      );
      // Other processes see the cluster go by its id missing once the version moved on.
      for (const { model } of gone.rows) await bump(client, tenant, model);
      return rows.map(itemOf).sort((a, b) => a.time.localeCompare(b.time));
    });
  }

  async purge(before: string, only?: string): Promise<Map<string, number>> {
    const { rows } = await this.db.query<{ tenant: string }>(
      "SELECT DISTINCT tenant FROM review_items WHERE time < $1 AND ($2::text IS NULL OR tenant = $2)",
      [before, only ?? null],
    );
    const counts = new Map<string, number>();
    for (const { tenant } of rows) {
      await this.db.transaction(async (client) => {
        await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`review:${tenant}`]);
        const gone = await client.query<ItemRow>(
          `DELETE FROM review_items WHERE tenant = $1 AND time < $2 RETURNING ${ITEM_COLUMNS}`,
          [tenant, before],
        );
        // The clusters' sums lose the expired faces (written at a new version); a cluster left empty goes.
        const versions = new Map<string, number>();
        for (const model of new Set(gone.rows.map((r) => r.model))) versions.set(model, await bump(client, tenant, model));
        for (const item of gone.rows.map(itemOf)) {
          const { rows: cs } = await client.query<{ sum: Buffer; count: number }>(
            "SELECT sum, count FROM review_clusters WHERE tenant = $1 AND id = $2",
            [tenant, item.cluster],
          );
          const c = cs[0];
          if (!c) continue;
          if (c.count <= 1) {
            await client.query("DELETE FROM review_clusters WHERE tenant = $1 AND id = $2", [tenant, item.cluster]);
            continue;
          }
          const sum = vectorOf(c.sum);
          for (let i = 0; i < sum.length; i++) sum[i] = (sum[i] as number) - (item.vector[i] as number);
          await client.query("UPDATE review_clusters SET sum = $3, count = $4, version = $5 WHERE tenant = $1 AND id = $2", [
            tenant,
            item.cluster,
            vectorBytes(sum),
            c.count - 1,
            versions.get(item.model),
          ]);
        }
        // Another replica may have purged the same faces a moment before: only what this one took counts.
        if (gone.rowCount) counts.set(tenant, gone.rowCount);
      });
    }
    return counts;
  }

  async close(): Promise<void> {}
}
