#!/usr/bin/env node
// The gateway, in both modes. Embedded (`pnpm start`): engine, gallery, keys and audit in one process
// on a local folder. Distributed: the same, with the state in PostgreSQL (DATABASE_URL) shared by every
// replica, match events from the matchers over NATS (NATS_URL) and jobs on Redis (REDIS_URL).
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { repoRoot, withoutSecrets } from "@facerec/common";
import { BullDeliveryQueue, notifierFromEnv, notifierMetrics, webhookMetrics } from "@facerec/notify";
import { NatsMatchFeed, openGateway } from "@facerec/operations";
import { connectBus, Jobs, redisConnection } from "@facerec/pipeline";
import { reviewPolicyFromEnv, scheduleRetention } from "@facerec/product";
import { exitOnDamagedState, metricsRegistry, numberSetting, serveOps, setting, startTracing } from "@facerec/runtime";

import { buildApp } from "./app.js";
import { buildGrpcServer, listenGrpc } from "./grpc.js";

const tracing = startTracing("gateway");
const data = resolve(process.env.FACEREC_DATA ?? join(repoRoot, "data"));
const host = process.env.HOST ?? "127.0.0.1";
const port = Number(process.env.PORT ?? 8080);
const grpcPort = Number(process.env.GRPC_PORT ?? 50051);

const nc = process.env.NATS_URL ? await connectBus(process.env.NATS_URL, "facerec-gateway") : undefined;
const queue = process.env.REDIS_URL ? new Jobs(redisConnection(process.env.REDIS_URL)) : undefined;
const importRoot = resolve(process.env.FACEREC_IMPORT_DIR ?? join(data, "import"));
// Decisions to MQTT when FACEREC_MQTT_URL is set: this gateway's own; the matchers send the cameras'.
const notifier = await notifierFromEnv(`facerec-gateway-${hostname()}-${process.pid}`);
// Webhook deliveries wait on BullMQ with Redis (the matchers attempt them), else in this process.
const { engine, keys, recognition, audit, storage, webhooks, state, close } = await openGateway(data, {
  ...(nc ? { feed: new NatsMatchFeed(nc) } : {}),
  ...(queue ? { jobs: { queue, importRoot } } : {}),
  ...(process.env.REDIS_URL ? { webhookQueue: new BullDeliveryQueue(redisConnection(process.env.REDIS_URL)) } : {}),
  ...(notifier ? { notifier } : {}),
}).catch(exitOnDamagedState);

// TLS for REST and gRPC alike from PEM files (a Kubernetes TLS Secret mounts tls.key and tls.crt).
const tls =
  process.env.TLS_KEY_FILE && process.env.TLS_CERT_FILE
    ? { key: readFileSync(process.env.TLS_KEY_FILE), cert: readFileSync(process.env.TLS_CERT_FILE) }
    : undefined;
// Review-queue faces and subjects past retention are purged here (every gateway; a purge that finds
// nothing is not audited).
const purging = scheduleRetention(state, audit, reviewPolicyFromEnv(), (error) =>
  process.stderr.write(`retention purge failed: ${(error as Error).message}\n`),
);
/**
 * A port already taken is the operator's to fix: said in one line, exit 1. Every port is bound before
 * the first-start key is printed, so a failed start never prints a key it then loses.
 */
async function bound<T>(what: string, listening: Promise<T>): Promise<T> {
  try {
    return await listening;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE" && !/EADDRINUSE|address already in use/i.test(String(error)))
      throw error;
    process.stderr.write(
      `facerec gateway: ${what} is already in use; stop what holds it or choose another (PORT, GRPC_PORT, OPS_PORT)\n`,
    );
    await close();
    process.exit(1);
  }
}

const registry = metricsRegistry("gateway");
if (notifier) notifierMetrics(registry, notifier);
webhookMetrics(registry, webhooks);
// FACEREC_TRUSTED_PROXIES: the ingress's addresses or ranges, whose X-Forwarded-For names the client.
const trustedProxies = (process.env.FACEREC_TRUSTED_PROXIES ?? "")
  .split(",")
  .map((p) => p.trim())
  .filter(Boolean);
const app = await buildApp(recognition, audit, { logger: true, registry, trustedProxies, ...(tls ? { tls } : {}) });
const grpc = buildGrpcServer(recognition);
// Connections waiting to be accepted. With Node's 511, the flood test (1,000 clients at once) once saw
// a connection reset instead of the 429 or 503 the API promises, on a machine loaded by other tests;
// the kernel's ListenOverflows counter there stood at 39,056, so handshakes had been dropped from a
// full accept queue. Linux caps the backlog at net.core.somaxconn (4096 here).
const LISTEN_BACKLOG = 4096;
const url = await bound(`the REST port ${port}`, app.listen({ host, port, backlog: LISTEN_BACKLOG }));
const boundGrpc = await bound(`the gRPC port ${grpcPort}`, listenGrpc(grpc, `${host}:${grpcPort}`, tls));
// Metrics and probes on an ops port of their own (OPS_PORT, 9100), away from the API and its clients.
// Ready while decisions can be audited (the same check as the API port's /readyz, cached for a second).
const opsPort = numberSetting("OPS_PORT", 9100);
const ops = await bound(
  `the ops port ${opsPort}`,
  serveOps(setting("OPS_HOST", "127.0.0.1"), opsPort, registry, async () => (await recognition.auditHealth()).writable),
);
const opsAddress = ops.address() as AddressInfo;

if ((await keys.list("default")).length === 0) {
  const bootstrap = process.env.FACEREC_BOOTSTRAP_ADMIN_KEY;
  if (bootstrap) {
    // A deployment hands the first key in (a Kubernetes Secret); it is registered by its hash, never
    // printed. Replicas starting together race to register it: the losers find it registered.
    await keys.adopt("default", "bootstrap admin", ["admin"], bootstrap).then(
      () => process.stdout.write(`First start: registered the bootstrap admin key for tenant "default"\n`),
      (error: Error) => {
        if (!/already exists/.test(error.message)) throw error;
      },
    );
  } else {
    const { key } = await keys.create("default", "bootstrap admin", ["admin"]);
    // Printed once, to the terminal only: the store keeps its hash.
    process.stdout.write(`\nFirst start: admin API key for tenant "default" (shown once, keep it):\n\n  ${key}\n\n`);
  }
}

process.stdout.write(
  `facerec gateway listening on ${url}, gRPC on ${host}:${boundGrpc}${tls ? " (TLS)" : ""}, ops on ${opsAddress.address}:${opsAddress.port} (${storage === "postgres" ? "state in PostgreSQL" : `data in ${data}`}, models ${Object.values(engine.modelIds).join(", ")}${nc ? `, match events from ${withoutSecrets(process.env.NATS_URL as string)}` : ""}${queue ? ", jobs on Redis" : ""})\n`,
);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, async () => {
    purging.stop();
    await app.close();
    ops.close();
    grpc.forceShutdown();
    await close();
    await notifier?.close();
    await queue?.close();
    await nc?.drain();
    await tracing?.shutdown();
    process.exit(0);
  });
}
