export { type AppOptions, buildApp } from "./app.js";
export { buildGrpcServer, listenGrpc } from "./grpc.js";
