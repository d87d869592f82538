#!/usr/bin/env node
// Embedded all-in-one mode: the gateway with the engine and gallery in one process, on a local folder.
import { join, resolve } from "node:path";
import { AuditLog } from "@facerec/audit";
import { ApiKeyStore } from "@facerec/auth";
import { DEFAULT_POLICY, DEFAULT_THRESHOLD_OPTIONS, Gallery } from "@facerec/gallery";
import { FaceEngine, repoRoot } from "@facerec/vision";
import { buildApp } from "./app.js";
import { buildGrpcServer, listenGrpc } from "./grpc.js";
import { Recognition } from "./recognition.js";

const data = resolve(process.env.FACEREC_DATA ?? join(repoRoot, "data"));
const host = process.env.HOST ?? "127.0.0.1";
const port = Number(process.env.PORT ?? 8080);
const grpcPort = Number(process.env.GRPC_PORT ?? 50051);

const engine = await FaceEngine.create({});
const global = engine.embedder.model.thresholds?.["fmr_1e-3"];
if (global === undefined)
  throw new Error(`the embedder ${engine.embedder.id} has no calibrated fmr_1e-3 threshold in its manifest`);
// The liveness gate sits at the pack's calibrated APCER-5% threshold where there is one.
const minLiveness = engine.liveness?.model.thresholds?.["apcer_5e-2"] ?? DEFAULT_POLICY.minLiveness;
const gallery = await Gallery.open({
  dir: join(data, "gallery"),
  dims: engine.embedder.dims,
  thresholds: { ...DEFAULT_THRESHOLD_OPTIONS, global },
  policy: { minLiveness },
});
const audit = AuditLog.open(join(data, "audit"));
const keys = ApiKeyStore.open(join(data, "keys"));

if (keys.list("default").length === 0) {
  const { key } = keys.create("default", "bootstrap admin", ["admin"]);
  // Printed once, to the terminal only: the store keeps its hash.
  process.stdout.write(`\nFirst start: admin API key for tenant "default" (shown once, keep it):\n\n  ${key}\n\n`);
}

const recognition = new Recognition(engine, gallery, audit);
const app = buildApp(recognition, keys, audit);
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
    await gallery.close();
    audit.close();
    keys.close();
    process.exit(0);
  });
}
