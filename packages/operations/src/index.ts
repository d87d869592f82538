// The liveness policies are the tenant policy's words; the gateway and its clients take them from here.
export { LIVENESS_POLICIES, type LivenessPolicy } from "@facerec/privacy";
export { Admission } from "./admission.js";
export { type ChallengeOptions, challengeOptions, DEFAULT_CHALLENGE, drawActions } from "./challenge.js";
export { checkConsent, type Notifier, type RecognitionOptions } from "./context.js";
export { isOperation, OPERATIONS, type OperationName, type OperationSpec, type QuotaClass } from "./declarations.js";
export {
  API_ERRORS,
  type ApiError,
  BadRequestError,
  ConsentRequiredError,
  httpStatusOf,
  LengthRequiredError,
  OverloadedError,
  RateLimitError,
  TooLargeError,
  UnavailableError,
  WebhookNotFoundError,
} from "./errors.js";
export { DEFAULT_LIMITS, type Limits } from "./limits.js";
export { LocalMatchFeed, type MatchFeed, NatsMatchFeed } from "./match-feed.js";
export { challengeFromEnv, type Gateway, livenessFromEnv, openGateway } from "./open-gateway.js";
export { RateLimiter } from "./rate-limit.js";
export { Recognition } from "./recognition.js";
export { isRequestId, requestIdFrom } from "./request-id.js";
export type { ChallengeFrameView, ChallengeResult, ChallengeView } from "./units/challenges.js";
export type { FaceResult } from "./units/decisions.js";
export { type JobRequest, jobRecordData } from "./units/jobs.js";
export type { SubjectExport } from "./units/privacy.js";
export type { ReviewFace } from "./units/review.js";
export type { Erasure } from "./units/subjects.js";
export { OUTCOMES, type WebhookRequest, type WebhookView } from "./units/webhooks.js";
