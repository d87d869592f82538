import type { Placement } from "./clustering.js";

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
  /**
   * The id of one of its faces: the first, and when that face leaves (purged, erased), the oldest
   * that stays, so that the id of a face that left names nothing.
   */
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
  /**
   * A subject's erasure reaching the queue: every face of the tenant that is plausibly the person (the
   * subject of its close-call match, or its best candidate) goes with its crop, and the subject leaves
   * the candidates of every other face (`mentions` counts those faces).
   */
  eraseSubject(tenant: string, subjectId: string): Promise<{ faces: number; mentions: number }>;
  /** The tenant's faces that name the subject, as its match or any candidate, oldest first (a subject-access export). */
  facesOf(tenant: string, subjectId: string): Promise<ReviewItem[]>;
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
