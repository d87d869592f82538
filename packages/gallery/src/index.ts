export { type AnnOptions, DEFAULT_ANN_OPTIONS } from "./ann.js";
export {
  DEFAULT_TARGET,
  SUBJECT_FMRS,
  type SubjectTail,
  subjectTailOf,
  thresholdAtFmr,
  thresholdForTarget,
} from "./calibration.js";
export {
  type Cluster,
  type ClusterOptions,
  clusterQuality,
  DEFAULT_CLUSTER_OPTIONS,
  FaceClusters,
  type Placement,
} from "./clustering.js";
export {
  type Aggregation,
  aggregate,
  type Candidate,
  DEFAULT_POLICY,
  type Decision,
  type DecisionPolicy,
  decide,
  type Gates,
} from "./decide.js";
export { EmbeddedIndex, type EmbeddedIndexOptions } from "./embedded-index.js";
export { FileGalleryStore } from "./file-gallery-store.js";
export { FileReviewStore } from "./file-review-store.js";
export { Gallery } from "./gallery.js";
export type { GalleryOptions, NewTemplate } from "./gallery-options.js";
export {
  type ConsentRecord,
  type GalleryStore,
  NotFoundError,
  type StoredTemplate,
  type Subject,
  type SubjectState,
  type Template,
} from "./gallery-store.js";
export { VectorMatrix } from "./matrix.js";
export { isNegative, negativeModel } from "./negatives.js";
export { PgGalleryStore } from "./pg-gallery-store.js";
export { PgReviewStore } from "./pg-review-store.js";
export { QdrantIndex, type QdrantIndexOptions } from "./qdrant-index.js";
export {
  type NewReviewItem,
  type ReviewCluster,
  type ReviewItem,
  type ReviewStore,
  reviewClusterOf,
  type TakenReviewItem,
} from "./review-store.js";
export {
  DEFAULT_THRESHOLD_OPTIONS,
  type GlobalThreshold,
  globalAt,
  meanPairwise,
  SubjectThresholds,
  type ThresholdExplanation,
  type ThresholdOptions,
} from "./subject-thresholds.js";
export { type Enrolled, type SkippedTemplate, TEMPLATE_DEFAULTS, type TemplateRules } from "./template-rules.js";
export { type AdaptiveRule, DEFAULT_ADAPTIVE_RULE, type SubjectStats, thresholdShift } from "./thresholds.js";
export type { IndexFilter, IndexPoint, SearchHit, VectorIndex } from "./types.js";
