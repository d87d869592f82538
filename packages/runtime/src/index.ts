export {
  type Challenge,
  type ChallengeStore,
  type FrameAdded,
  MemoryChallengeStore,
  PgChallengeStore,
} from "./challenge-store.js";
export { engineConfigFromEnv } from "./engine-config.js";
export { challengeData, galleryData, productPersonalData, reviewData } from "./personal-data.js";
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
  consumerLag,
  exitOnDamagedState,
  metricsRegistry,
  numberSetting,
  onShutdown,
  serveOps,
  serviceLogger,
  setting,
} from "./service.js";
export { type CalibratedEmbedder, POLICY_CACHE_MS, TenantPolicies } from "./tenant-policies.js";
export { contextFromHeaders, contextFromHttpHeaders, headersFor, inSpan, SpanKind, startTracing, tracer } from "./tracing.js";
