import { l2normalise } from "@facerec/common";

export interface ClusterOptions {
  /**
   * A face joins the cluster whose centroid it is most similar to when the cosine is at least this;
   * else it starts a cluster of its own. Set from the embedder's calibrated thresholds (a centroid of
   * several faces is a steadier reference than one face, so the same FMR point serves).
   */
  join: number;
  /** Two clusters whose centroids come at least this close are one person seen twice: merged. */
  merge: number;
}

/**
 * The defaults, as cosines for arcface512, chosen with `facerec eval cluster` on LFW people with ten
 * images or more; they sit near the embedder's `fmr_1e-3` threshold (0.336) so that the clusters are
 * held to the same false-match rate as decisions. @default { join: 0.45, merge: 0.55 }
 */
export const DEFAULT_CLUSTER_OPTIONS: ClusterOptions = { join: 0.45, merge: 0.55 };

export interface Cluster {
  id: string;
  /** The sum of its faces' vectors, and their number: what a store keeps to restore it. */
  sum: Float32Array;
  count: number;
  /** The normalised mean of its faces. */
  centroid: Float32Array;
  /** The faces, by the caller's ids, in arrival order (those added since it was restored). */
  members: string[];
}

/** What adding one face did: the cluster it is now in, and any cluster merged into that one. */
export interface Placement {
  cluster: string;
  created: boolean;
  /** Clusters that became `cluster` (their members moved into it). */
  merged: string[];
}

const dot = (a: Float32Array, b: Float32Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
};

/**
 * Incremental clustering of unknown faces (leader clustering on centroids, with merging): each new
 * face goes to the nearest cluster centroid at or above `join`, or starts a new cluster; the cluster's
 * centroid is then the normalised sum of its faces, and when it has come within `merge` of another
 * cluster's centroid the two are merged (the smaller into the larger). Each arrival costs one scan of
 * the centroids, so faces of one stranger gather across cameras and days as they come, with no batch
 * re-clustering; merging undoes most of what the order of arrival splits.
 */
type State = Omit<Cluster, "id">;

export class FaceClusters {
  private readonly clusters = new Map<string, State>();

  /** `newId` names a cluster after the face that starts it, so that replaying the same faces gives the same ids. */
  constructor(
    readonly options: ClusterOptions = DEFAULT_CLUSTER_OPTIONS,
    private readonly newId: (firstFace: string) => string = (face) => face,
  ) {}

  /** Clusters as a store kept them (sum and count; members are not needed to go on). */
  static restore(options: ClusterOptions, clusters: readonly { id: string; sum: Float32Array; count: number }[]): FaceClusters {
    const restored = new FaceClusters(options);
    for (const c of clusters) {
      restored.clusters.set(c.id, {
        sum: Float32Array.from(c.sum),
        count: c.count,
        centroid: l2normalise(Float32Array.from(c.sum)),
        members: [],
      });
    }
    return restored;
  }

  get size(): number {
    return this.clusters.size;
  }

  /** Place a face (a unit vector) under the caller's id. */
  add(id: string, vector: Float32Array): Placement {
    const best = this.nearest(vector);
    let clusterId: string;
    let created = false;
    if (best && best.score >= this.options.join) {
      clusterId = best.id;
      const c = this.clusters.get(clusterId) as State;
      for (let i = 0; i < vector.length; i++) c.sum[i] = (c.sum[i] as number) + (vector[i] as number);
      c.centroid = l2normalise(Float32Array.from(c.sum));
      c.count++;
      c.members.push(id);
    } else {
      clusterId = this.newId(id);
      created = true;
      this.clusters.set(clusterId, {
        sum: Float32Array.from(vector),
        count: 1,
        centroid: Float32Array.from(vector),
        members: [id],
      });
    }
    const merged: string[] = [];
    for (;;) {
      const own = this.clusters.get(clusterId);
      const other = own && this.nearest(own.centroid, clusterId);
      if (!own || !other || other.score < this.options.merge) break;
      clusterId = this.mergePair(clusterId, other.id, merged);
    }
    return { cluster: clusterId, created, merged };
  }

  /**
   * Put a face back in the cluster a store kept it in, with no search and no merging: faces adopted in
   * the same order give the same sums, however the clusters came to be.
   */
  adopt(cluster: string, id: string, vector: Float32Array): void {
    const c = this.clusters.get(cluster);
    if (!c) {
      this.clusters.set(cluster, {
        sum: Float32Array.from(vector),
        count: 1,
        centroid: Float32Array.from(vector),
        members: [id],
      });
      return;
    }
    for (let i = 0; i < vector.length; i++) c.sum[i] = (c.sum[i] as number) + (vector[i] as number);
    c.centroid = l2normalise(Float32Array.from(c.sum));
    c.count++;
    c.members.push(id);
  }

  /** Take a cluster out (assigned to a subject, or dismissed). */
  remove(id: string): void {
    this.clusters.delete(id);
  }

  /** Take one face out of its cluster (it expired); a cluster left with no face goes. */
  forget(cluster: string, id: string, vector: Float32Array): void {
    const c = this.clusters.get(cluster);
    if (!c) return;
    c.count--;
    c.members = c.members.filter((m) => m !== id);
    if (c.count <= 0) {
      this.clusters.delete(cluster);
      return;
    }
    for (let i = 0; i < vector.length; i++) c.sum[i] = (c.sum[i] as number) - (vector[i] as number);
    c.centroid = l2normalise(Float32Array.from(c.sum));
  }

  get(id: string): Cluster | undefined {
    const c = this.clusters.get(id);
    return c && { id, ...c, members: [...c.members] };
  }

  all(): Cluster[] {
    return [...this.clusters].map(([id, c]) => ({ id, ...c, members: [...c.members] }));
  }

  private nearest(vector: Float32Array, except?: string): { id: string; score: number } | undefined {
    let best: { id: string; score: number } | undefined;
    for (const [id, c] of this.clusters) {
      if (id === except) continue;
      const score = dot(vector, c.centroid);
      if (!best || score > best.score) best = { id, score };
    }
    return best;
  }

  /** Merge two clusters into the larger; returns the id that remains and lists the one that went. */
  private mergePair(a: string, b: string, merged: string[]): string {
    const ca = this.clusters.get(a) as State;
    const cb = this.clusters.get(b) as State;
    const [keep, gone, keepId, goneId] = ca.count >= cb.count ? [ca, cb, a, b] : [cb, ca, b, a];
    for (let i = 0; i < keep.sum.length; i++) keep.sum[i] = (keep.sum[i] as number) + (gone.sum[i] as number);
    keep.centroid = l2normalise(Float32Array.from(keep.sum));
    keep.count += gone.count;
    keep.members.push(...gone.members);
    this.clusters.delete(goneId);
    merged.push(goneId);
    return keepId;
  }
}

/**
 * How well clusters agree with the truth, over every pair of faces: precision is the share of pairs
 * put together that are one person, recall the share of one person's pairs put together. Purity is the
 * share of faces in their cluster's majority person; completeness the share of faces in their person's
 * majority cluster.
 */
export function clusterQuality(
  assignment: ReadonlyMap<string, string>,
  truth: ReadonlyMap<string, string>,
): { pairwisePrecision: number; pairwiseRecall: number; purity: number; completeness: number } {
  const pairs = (counts: Iterable<number>) => {
    let s = 0;
    for (const n of counts) s += (n * (n - 1)) / 2;
    return s;
  };
  const byCluster = new Map<string, Map<string, number>>();
  const byPerson = new Map<string, Map<string, number>>();
  for (const [item, cluster] of assignment) {
    const person = truth.get(item) ?? item;
    const c = byCluster.get(cluster) ?? new Map<string, number>();
    c.set(person, (c.get(person) ?? 0) + 1);
    byCluster.set(cluster, c);
    const p = byPerson.get(person) ?? new Map<string, number>();
    p.set(cluster, (p.get(cluster) ?? 0) + 1);
    byPerson.set(person, p);
  }
  let together = 0;
  let correct = 0;
  let majority = 0;
  for (const c of byCluster.values()) {
    together += pairs([[...c.values()].reduce((a, b) => a + b, 0)]);
    correct += pairs(c.values());
    majority += Math.max(...c.values());
  }
  let samePerson = 0;
  let personMajority = 0;
  for (const p of byPerson.values()) {
    samePerson += pairs([[...p.values()].reduce((a, b) => a + b, 0)]);
    personMajority += Math.max(...p.values());
  }
  const n = assignment.size || 1;
  return {
    pairwisePrecision: together ? correct / together : 1,
    pairwiseRecall: samePerson ? correct / samePerson : 1,
    purity: majority / n,
    completeness: personMajority / n,
  };
}
