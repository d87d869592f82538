// The liveness policies are the tenant policy's words; the gateway and its clients take them from here.
export { LIVENESS_POLICIES, type LivenessPolicy } from "@facerec/privacy";
export { Admission } from "./admission.js";
export { type ChallengeOptions, challengeOptions, DEFAULT_CHALLENGE, drawActions } from "./challenge.js";
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
export {
  type ChallengeFrameView,
  type ChallengeResult,
  type ChallengeView,
  type FaceResult,
  type JobRequest,
  OUTCOMES,
  Recognition,
  type RecognitionOptions,
  type ReviewFace,
  type SubjectExport,
  type WebhookRequest,
  type WebhookView,
} from "./recognition.js";
export { requestIdFrom } from "./request-id.js";
