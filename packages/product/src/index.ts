export { type DecidedFaceData, DecisionAftermath, type DecisionSource } from "./aftermath.js";
export { type Atomic, direct } from "./atomic.js";
export {
  type Challenge,
  type ChallengeStore,
  type FrameAdded,
  MemoryChallengeStore,
  type OpenBounds,
  PgChallengeStore,
} from "./challenge-store.js";
export { ChangeJournal, type ErasureIntent, finishErasures, intentKey } from "./change-journal.js";
export { challengeData, galleryData, productPersonalData, reviewData, webhookDeliveryData } from "./personal-data.js";
export { openProductGallery, openProductState, type ProductState } from "./product.js";
export { pruneAudit, purgeExpiredSubjects, purgeTenantReviews, RETENTION_EVERY_MS, scheduleRetention } from "./retention.js";
export {
  DEFAULT_LOW_MARGIN,
  keptForReview,
  purgeReview,
  queueForReview,
  type ReviewPolicy,
  reviewPolicyFromEnv,
} from "./review.js";
export {
  type CalibratedEmbedder,
  POLICY_CACHE_MS,
  TenantPolicies,
  thresholdAtTarget,
} from "./tenant-policies.js";
