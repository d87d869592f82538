import type { Database, Queryable } from "@facerec/storage";
import { type ClusterOptions, FaceClusters, type Placement } from "./clustering.js";
import { vectorBytes, vectorOf } from "./gallery-store.js";
import type { NewReviewItem, ReviewCluster, ReviewItem, ReviewStore, TakenReviewItem } from "./review-store.js";

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

/** A face's candidates name the subject `$2`. */
const MENTIONS = "candidates @> jsonb_build_array(jsonb_build_object('subjectId', $2::text))";

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
 * Take faces that left the queue out of their clusters' sums, written at a new version of each model
 * (under the tenant's lock, in the caller's transaction); a cluster left with no face goes, and one
 * left without its namesake is renamed.
 */
async function forgetFaces(client: Queryable, tenant: string, gone: readonly ReviewItem[]): Promise<void> {
  const versions = new Map<string, number>();
  for (const model of new Set(gone.map((i) => i.model))) versions.set(model, await bump(client, tenant, model));
  for (const item of gone) {
    const { rows } = await client.query<{ sum: Buffer; count: number }>(
      "SELECT sum, count FROM review_clusters WHERE tenant = $1 AND id = $2",
      [tenant, item.cluster],
    );
    const c = rows[0];
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
  // A cluster whose namesake left takes the name of its oldest face (as ReviewCluster.id says).
  for (const { cluster, model } of gone.filter((i) => i.id === i.cluster)) {
    const { rows } = await client.query<{ id: string }>(
      `SELECT id FROM review_items WHERE tenant = $1 AND cluster = $2 ORDER BY time, id COLLATE "C" LIMIT 1`,
      [tenant, cluster],
    );
    const heir = rows[0]?.id;
    if (heir === undefined) continue;
    await client.query("UPDATE review_items SET cluster = $3 WHERE tenant = $1 AND cluster = $2", [tenant, cluster, heir]);
    await client.query("UPDATE review_clusters SET id = $3, version = $4 WHERE tenant = $1 AND id = $2", [
      tenant,
      cluster,
      heir,
      versions.get(model),
    ]);
  }
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
    this.db.afterCommit(() => {
      if ((this.cached.get(key)?.version ?? -1) < done.now) this.cached.set(key, { version: done.now, clusters: done.states });
    });
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
        await forgetFaces(client, tenant, gone.rows.map(itemOf));
        // Another replica may have purged the same faces a moment before: only what this one took counts.
        if (gone.rowCount) counts.set(tenant, gone.rowCount);
      });
    }
    return counts;
  }

  async eraseSubject(tenant: string, subjectId: string): Promise<{ faces: number; mentions: number }> {
    return this.db.transaction(async (client) => {
      await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`review:${tenant}`]);
      const gone = await client.query<ItemRow>(
        `DELETE FROM review_items WHERE tenant = $1 AND (subject_id = $2 OR candidates -> 0 ->> 'subjectId' = $2)
         RETURNING ${ITEM_COLUMNS}`,
        [tenant, subjectId],
      );
      await forgetFaces(client, tenant, gone.rows.map(itemOf));
      const stripped = await client.query(
        `UPDATE review_items SET candidates = (
           SELECT coalesce(jsonb_agg(c ORDER BY n), '[]'::jsonb)
           FROM jsonb_array_elements(candidates) WITH ORDINALITY AS e(c, n) WHERE c ->> 'subjectId' <> $2
         )
         WHERE tenant = $1 AND ${MENTIONS}`,
        [tenant, subjectId],
      );
      return { faces: gone.rowCount ?? 0, mentions: stripped.rowCount ?? 0 };
    });
  }

  async facesOf(tenant: string, subjectId: string): Promise<ReviewItem[]> {
    const { rows } = await this.db.query<ItemRow>(
      `SELECT ${ITEM_COLUMNS} FROM review_items WHERE tenant = $1 AND (subject_id = $2 OR ${MENTIONS}) ORDER BY time, id`,
      [tenant, subjectId],
    );
    return rows.map(itemOf);
  }

  async close(): Promise<void> {}
}
