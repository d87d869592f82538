export { type AppOptions, buildApp } from "./app.js";
export { type Embedded, openEmbedded } from "./embedded.js";
export { BadRequestError, httpStatusOf, RateLimitError, UnavailableError } from "./errors.js";
export { buildGrpcServer, listenGrpc } from "./grpc.js";
export { LocalMatchFeed, type MatchFeed, NatsMatchFeed } from "./match-feed.js";
export { type FaceResult, Recognition } from "./recognition.js";
