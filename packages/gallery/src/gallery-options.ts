import type { AnnOptions } from "./ann.js";
import type { DecisionPolicy } from "./decide.js";
import type { GalleryStore, Template } from "./gallery-store.js";
import type { ThresholdOptions } from "./subject-thresholds.js";
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
  /**
   * Folder where the in-memory indexes save their graphs for the next start (one process's own folder):
   * the templates' index, and the subject centroids' under `centroids/<model>`.
   */
  graphs?: string;
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

/** What keeps a subject's templates few and different from each other. */
export interface TemplateRules {
  /**
   * Templates a subject keeps at most (further ones are not added): identification takes the best of
   * a subject's templates, so past a few dozen different views more add memory and search time, not
   * recognition; a regular named through the review queue or feedback day after day stays bounded.
   * @default 50
   */
  max: number;
  /**
   * A new template this close (cosine) to one the subject holds is a near-copy and is not added. On 300
   * LFW pairsDevTest pairs, distinct photos of one person reached 0.904 (99th percentile) and 0.921 at
   * most, while the same photos re-encoded (JPEG quality 60, shifted 2 px) came to 0.957 (1st
   * percentile) and 0.990 (median): 0.95 keeps every distinct photo seen and drops 99% of copies.
   * @default 0.95
   */
  nearCopy: number;
}

export const TEMPLATE_DEFAULTS: TemplateRules = { max: 50, nearCopy: 0.95 };

/** A new template the gallery did not add, by its place in the list it was given, and why. */
export interface SkippedTemplate {
  index: number;
  reason: string;
}

/** What an enrolment added, and what it left out. */
export interface Enrolled {
  templates: Template[];
  skipped: SkippedTemplate[];
}
