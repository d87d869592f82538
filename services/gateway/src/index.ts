export { type AppOptions, buildApp } from "./app.js";
export { type Embedded, openEmbedded } from "./embedded.js";
export { httpStatusOf } from "./errors.js";
export { buildGrpcServer, listenGrpc } from "./grpc.js";
export { type FaceResult, Recognition } from "./recognition.js";
