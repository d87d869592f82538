import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { withoutSecrets } from "@facerec/common";
import { metricsRegistry, numberSetting, onShutdown, serveOps, serviceLogger, setting, startTracing } from "@facerec/runtime";
import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { connectBus, ensureStreams } from "./bus.js";

export interface WorkerService {
  log: Logger;
  natsUrl: string;
  nc: NatsConnection;
  jsm: JetStreamManager;
  js: JetStreamClient;
  registry: Registry;
  /** Serve the ops endpoints; on SIGTERM run `stop`, drain NATS, flush the spans, then exit. */
  run(
    stop: () => Promise<void>,
    extra?: (request: IncomingMessage, response: ServerResponse) => Promise<boolean>,
    ready?: () => boolean,
  ): Promise<string | AddressInfo | null>;
}

/**
 * What every worker service starts with: JSON logs, tracing (if turned on), a metrics registry, and a
 * NATS connection with the pipeline's streams in place. `run` then serves /healthz, /readyz and
 * /metrics on OPS_PORT and installs the graceful shutdown.
 */
export async function startWorkerService(
  name: string,
  options: { defaultOpsPort: number; clientName?: string; streamsMayWait?: boolean },
): Promise<WorkerService> {
  const log = serviceLogger(name);
  const tracing = startTracing(name);
  const natsUrl = setting("NATS_URL", "nats://127.0.0.1:4222");
  const nc = await connectBus(natsUrl, options.clientName ?? `facerec-${name}`);
  const jsm = await jetstreamManager(nc);
  await ensureStreams(jsm).catch((error: unknown) => {
    // An edge may start during an outage: its crops are spooled until NATS answers.
    if (!options.streamsMayWait) throw error;
    log.warn({ err: (error as Error).message }, "could not check the streams; crops will be spooled until NATS answers");
  });
  const registry = metricsRegistry(name);
  return {
    log,
    natsUrl: withoutSecrets(natsUrl),
    nc,
    jsm,
    js: jetstream(nc),
    registry,
    async run(
      stop: () => Promise<void>,
      extra?: (request: IncomingMessage, response: ServerResponse) => Promise<boolean>,
      ready: () => boolean = () => !nc.isClosed(),
    ) {
      const ops = await serveOps(
        setting("OPS_HOST", "127.0.0.1"),
        numberSetting("OPS_PORT", options.defaultOpsPort),
        registry,
        ready,
        extra,
      );
      onShutdown(async () => {
        await stop();
        await nc.drain().catch(() => undefined);
        ops.close();
        await tracing?.shutdown();
      });
      return ops.address();
    },
  };
}
