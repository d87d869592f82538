/** One stored vector: a template of a subject, for one tenant and one embedding model. */
export interface IndexPoint {
  id: string;
  tenant: string;
  model: string;
  subject: string;
  vector: Float32Array;
}

export interface IndexFilter {
  tenant: string;
  model: string;
}

export interface SearchHit {
  id: string;
  subject: string;
  score: number;
}

/**
 * The vector index port: exact or approximate nearest-neighbour search over L2-normalised vectors
 * by cosine similarity, always within one tenant and one model.
 */
export interface VectorIndex {
  upsert(points: readonly IndexPoint[]): Promise<void>;
  /** Delete points by id, within the filter's tenant and model. */
  delete(filter: IndexFilter, ids: readonly string[]): Promise<void>;
  /** Delete every point of a subject in a tenant (all models): erasure. Returns how many went. */
  deleteSubject(tenant: string, subject: string): Promise<number>;
  search(query: Float32Array, k: number, filter: IndexFilter): Promise<SearchHit[]>;
  /** Every stored vector of one subject (for centroids and threshold statistics). */
  subjectVectors(filter: IndexFilter, subject: string): Promise<Float32Array[]>;
  count(filter: IndexFilter): Promise<number>;
  /** Every point id in a partition: what a reindex compares with the system of record. */
  ids(filter: IndexFilter): Promise<string[]>;
  close(): Promise<void>;
}
