import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { CorruptLogError, FolderLockedError } from "@facerec/storage";
import type { JetStreamManager } from "@nats-io/jetstream";
import { type Logger, pino } from "pino";
import { collectDefaultMetrics, Gauge, Registry } from "prom-client";

/** An environment setting, with a default and a clear error when it does not parse. */
export function setting(name: string, fallback: string): string {
  return process.env[name] ?? fallback;
}

export function numberSetting(name: string, fallback: number, min = 0): number {
  const raw = process.env[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min) throw new RangeError(`${name}=${raw} is not a number >= ${min}`);
  return value;
}

/** A registry with the process's default metrics (memory, CPU, event loop lag) under `facerec_`. */
export function metricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, prefix: "facerec_" });
  return registry;
}

/**
 * The small HTTP side of a worker service: /healthz (the process answers), /readyz (it is connected and
 * working, from `ready`) and /metrics (Prometheus text).
 */
export function serveOps(
  host: string,
  port: number,
  registry: Registry,
  ready: () => boolean | Promise<boolean>,
  /** Further routes: answers and returns true, or returns false to leave the request to the defaults. */
  extra?: (request: IncomingMessage, response: ServerResponse) => Promise<boolean>,
): Promise<Server> {
  const server = createServer(async (request, response) => {
    if (extra && (await extra(request, response))) return;
    if (request.url === "/healthz") response.writeHead(200).end("ok\n");
    else if (request.url === "/readyz") {
      const ok = await ready();
      response.writeHead(ok ? 200 : 503).end(ok ? "ready\n" : "not ready\n");
    } else if (request.url === "/metrics") {
      response.writeHead(200, { "content-type": registry.contentType }).end(await registry.metrics());
    } else response.writeHead(404).end("not found\n");
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}

/** Run `stop` once on SIGTERM or SIGINT, then exit. */
export function onShutdown(stop: () => Promise<void>): void {
  let stopping = false;
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      stop().then(
        () => process.exit(0),
        (error: unknown) => {
          process.stderr.write(`shutdown failed: ${(error as Error).message}\n`);
          process.exit(1);
        },
      );
    });
  }
}

/** Structured JSON logs: one object per line, the service's name on each. Never log images or vectors. */
export function serviceLogger(service: string): Logger {
  return pino({ name: service, level: process.env.LOG_LEVEL ?? "info" });
}

/** A gauge of a durable consumer's backlog (messages not yet delivered, and delivered but unacknowledged). */
export function consumerLag(registry: Registry, jsm: JetStreamManager, stream: string, durable: string): void {
  new Gauge({
    name: "facerec_consumer_pending_messages",
    help: "Messages waiting for the consumer (num_pending) and delivered but not acknowledged (ack_pending).",
    labelNames: ["stream", "consumer", "state"],
    registers: [registry],
    async collect() {
      const info = await jsm.consumers.info(stream, durable).catch(() => undefined);
      if (!info) return;
      this.set({ stream, consumer: durable, state: "waiting" }, info.num_pending);
      this.set({ stream, consumer: durable, state: "unacknowledged" }, info.num_ack_pending);
    },
  });
}

/**
 * A process whose local state cannot be used stops with the store's message and exit code 2: state
 * that is damaged (CorruptLogError: the file, the offset and the way out, `facerec repair`), or a data
 * folder another process holds (FolderLockedError: the folder and the holder's pid). Anything else goes
 * on as an ordinary failure with its stack.
 */
export function exitOnDamagedState(error: unknown): never {
  if (error instanceof CorruptLogError || error instanceof FolderLockedError) {
    process.stderr.write(`facerec: cannot start: ${error.message}\n`);
    process.exit(2);
  }
  throw error;
}
