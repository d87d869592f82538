#!/usr/bin/env node
// Embedded all-in-one mode: the gateway with the engine and gallery in one process, on a local folder.
import { join, resolve } from "node:path";
import { repoRoot } from "@facerec/vision";
import { buildApp } from "./app.js";
import { openEmbedded } from "./embedded.js";
import { buildGrpcServer, listenGrpc } from "./grpc.js";

const data = resolve(process.env.FACEREC_DATA ?? join(repoRoot, "data"));
const host = process.env.HOST ?? "127.0.0.1";
const port = Number(process.env.PORT ?? 8080);
const grpcPort = Number(process.env.GRPC_PORT ?? 50051);

const { engine, keys, audit, recognition, close } = await openEmbedded(data);

if (keys.list("default").length === 0) {
  const { key } = keys.create("default", "bootstrap admin", ["admin"]);
  // Printed once, to the terminal only: the store keeps its hash.
  process.stdout.write(`\nFirst start: admin API key for tenant "default" (shown once, keep it):\n\n  ${key}\n\n`);
}

const app = await buildApp(recognition, keys, audit);
const grpc = buildGrpcServer(recognition, keys, audit);
const url = await app.listen({ host, port });
const boundGrpc = await listenGrpc(grpc, `${host}:${grpcPort}`);
process.stdout.write(
  `facerec gateway listening on ${url}, gRPC on ${host}:${boundGrpc} (data in ${data}, models ${Object.values(engine.modelIds).join(", ")})\n`,
);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, async () => {
    await app.close();
    grpc.forceShutdown();
    await close();
    process.exit(0);
  });
}
