export { type AppOptions, buildApp } from "./app.js";
export { BadRequestError, httpStatusOf, RateLimitError, UnavailableError } from "./errors.js";
export { buildGrpcServer, listenGrpc } from "./grpc.js";
export { LocalMatchFeed, type MatchFeed, NatsMatchFeed } from "./match-feed.js";
export { type Gateway, openGateway } from "./open-gateway.js";
export { type FaceResult, Recognition } from "./recognition.js";
