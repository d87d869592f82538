export { engineConfigFromEnv } from "./engine-config.js";
export { openProductGallery, openProductState, type ProductState } from "./product.js";
export {
  DEFAULT_LOW_MARGIN,
  keptForReview,
  purgeReview,
  queueForReview,
  REVIEW_PURGE_EVERY_MS,
  type ReviewPolicy,
  reviewPolicyFromEnv,
  scheduleReviewPurge,
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
export { contextFromHeaders, contextFromHttpHeaders, headersFor, inSpan, SpanKind, startTracing, tracer } from "./tracing.js";
