export { type AppOptions, buildApp } from "./app.js";
export {
  API_ERRORS,
  BadRequestError,
  httpStatusOf,
  OverloadedError,
  RateLimitError,
  TooLargeError,
  UnavailableError,
} from "./errors.js";
export { buildGrpcServer, listenGrpc } from "./grpc.js";
export { DEFAULT_LIMITS, type Limits } from "./limits.js";
export { LocalMatchFeed, type MatchFeed, NatsMatchFeed } from "./match-feed.js";
export { type Gateway, openGateway } from "./open-gateway.js";
export { type FaceResult, Recognition, type RecognitionOptions } from "./recognition.js";
