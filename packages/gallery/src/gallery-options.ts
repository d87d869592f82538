import type { AnnOptions } from "./ann.js";
import type { DecisionPolicy } from "./decide.js";
import type { GalleryStore } from "./gallery-store.js";
import type { ThresholdOptions } from "./subject-thresholds.js";
import type { TemplateRules } from "./template-rules.js";
import type { VectorIndex } from "./types.js";

export interface NewTemplate {
  vector: Float32Array;
  quality: number;
  /** PNG bytes of the aligned 112x112 crop; stored only when the gallery retains crops. */
  crop?: Uint8Array;
}

export interface GalleryOptions {
  /** The system of record: a local folder (FileGalleryStore) or PostgreSQL (PgGalleryStore). */
  store: GalleryStore;
  dims: number;
  /**
   * A persistent vector index shared by every replica (Qdrant), kept current by the writer of each
   * change. Without it each process holds its own in-memory index, loaded from the store at start
   * and kept current from the store's changes.
   */
  index?: VectorIndex;
  /**
   * Approximate search in the in-memory indexes (the templates', unless `index` is given, and the subject
   * centroids'); false for exact search only.
   */
  ann?: Partial<AnnOptions> | false;
  thresholds: ThresholdOptions;
  policy?: Partial<DecisionPolicy>;
  /**
   * Keep aligned face crops so that templates can be re-embedded after a model upgrade. Off by default:
   * data minimisation keeps only embeddings.
   */
  retainCrops?: boolean;
  /** How many templates a subject keeps and what counts as a near-copy: TEMPLATE_DEFAULTS. */
  templates?: Partial<TemplateRules>;
}
