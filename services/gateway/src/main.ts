#!/usr/bin/env node
// Embedded all-in-one mode: the gateway with the engine and gallery in one process, on a local folder.
import { join, resolve } from "node:path";
import { connectBus, Jobs, redisConnection, startTracing } from "@facerec/pipeline";
import { repoRoot } from "@facerec/vision";
import { buildApp } from "./app.js";
import { openEmbedded } from "./embedded.js";
import { buildGrpcServer, listenGrpc } from "./grpc.js";
import { NatsMatchFeed } from "./match-feed.js";

const tracing = startTracing("gateway");
const data = resolve(process.env.FACEREC_DATA ?? join(repoRoot, "data"));
const host = process.env.HOST ?? "127.0.0.1";
const port = Number(process.env.PORT ?? 8080);
const grpcPort = Number(process.env.GRPC_PORT ?? 50051);

// Distributed mode, piece by piece: NATS_URL makes WatchMatches follow the matchers' events; REDIS_URL
// turns on the job API (the matcher runs the jobs).
const nc = process.env.NATS_URL ? await connectBus(process.env.NATS_URL, "facerec-gateway") : undefined;
const queue = process.env.REDIS_URL ? new Jobs(redisConnection(process.env.REDIS_URL)) : undefined;
const importRoot = resolve(process.env.FACEREC_IMPORT_DIR ?? join(data, "import"));
const { engine, keys, audit, recognition, close } = await openEmbedded(data, {
  ...(nc ? { feed: new NatsMatchFeed(nc) } : {}),
  ...(queue ? { jobs: { queue, importRoot } } : {}),
});

if (keys.list("default").length === 0) {
  const bootstrap = process.env.FACEREC_BOOTSTRAP_ADMIN_KEY;
  if (bootstrap) {
    // A deployment hands the first key in (a Kubernetes Secret); it is registered by its hash, never printed.
    keys.adopt("default", "bootstrap admin", ["admin"], bootstrap);
    process.stdout.write(
      `First start: registered the bootstrap admin key for tenant "default" from FACEREC_BOOTSTRAP_ADMIN_KEY\n`,
    );
  } else {
    const { key } = keys.create("default", "bootstrap admin", ["admin"]);
    // Printed once, to the terminal only: the store keeps its hash.
    process.stdout.write(`\nFirst start: admin API key for tenant "default" (shown once, keep it):\n\n  ${key}\n\n`);
  }
}

const app = await buildApp(recognition, keys, audit, { logger: true });
const grpc = buildGrpcServer(recognition, keys, audit);
const url = await app.listen({ host, port });
const boundGrpc = await listenGrpc(grpc, `${host}:${grpcPort}`);
process.stdout.write(
  `facerec gateway listening on ${url}, gRPC on ${host}:${boundGrpc} (data in ${data}, models ${Object.values(engine.modelIds).join(", ")}${nc ? `, match events from ${process.env.NATS_URL}` : ""}${queue ? ", jobs on Redis" : ""})\n`,
);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, async () => {
    await app.close();
    grpc.forceShutdown();
    await close();
    await queue?.close();
    await nc?.drain();
    await tracing?.shutdown();
    process.exit(0);
  });
}
