import { readFileSync } from "node:fs";
import { streams, subjects } from "@facerec/contracts";
import type { JsMsg } from "@nats-io/jetstream";
import { AckPolicy, DeliverPolicy, type JetStreamManager, RetentionPolicy, StorageType } from "@nats-io/jetstream";
import { type ConnectionOptions, credsAuthenticator, nanos } from "@nats-io/nats-core";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { deliveryBackstop } from "./dead-letter.js";

/**
 * How to authenticate to NATS and trust it, from the environment: a credentials file (NATS_CREDS_FILE,
 * the decentralised JWT model), a user and password (NATS_USER, NATS_PASSWORD) or a token
 * (NATS_TOKEN); TLS with NATS_TLS_CA_FILE (the servers' CA) and, for mutual TLS, NATS_TLS_CERT_FILE and
 * NATS_TLS_KEY_FILE. None of it is logged.
 */
export function natsSecurity(env: NodeJS.ProcessEnv = process.env): Partial<ConnectionOptions> {
  const options: Partial<ConnectionOptions> = {};
  if (env.NATS_CREDS_FILE) {
    const file = env.NATS_CREDS_FILE;
    // Read at each (re)connection, so a rotated credentials file is picked up.
    options.authenticator = credsAuthenticator(() => new Uint8Array(readFileSync(file)));
  } else if (env.NATS_USER) {
    options.user = env.NATS_USER;
    options.pass = env.NATS_PASSWORD ?? "";
  } else if (env.NATS_TOKEN) options.token = env.NATS_TOKEN;
  if (env.NATS_TLS_CA_FILE || env.NATS_TLS_CERT_FILE) {
    options.tls = {
      ...(env.NATS_TLS_CA_FILE ? { caFile: env.NATS_TLS_CA_FILE } : {}),
      ...(env.NATS_TLS_CERT_FILE ? { certFile: env.NATS_TLS_CERT_FILE } : {}),
      ...(env.NATS_TLS_KEY_FILE ? { keyFile: env.NATS_TLS_KEY_FILE } : {}),
    };
  }
  return options;
}

/** Connect for the life of a service: reconnect forever, and do not fail if NATS is not up yet. */
export function connectBus(servers: string, name: string): Promise<NatsConnection> {
  return connect({
    servers: servers.split(","),
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    waitOnFirstConnect: true,
    ...natsSecurity(),
  });
}

export interface StreamOptions {
  /** How long a message id is remembered, so that a republished crop, embedding or event is dropped. */
  duplicateWindowMs: number;
  /** How long the pipeline's messages are kept (a work queue's only until processed, at most this). */
  maxAgeMs: number;
  /**
   * How long match events stay on their stream for subscribers that read it with a consumer of their
   * own (the gateways' feeds follow it live). An event names a person, and every decision is in the
   * audit trail, so it stays only long enough for a subscriber to reconnect and catch up.
   * @default 15 min: above the 10 min duplicate window, which JetStream requires
   */
  matchesMaxAgeMs: number;
  /**
   * Copies of each stream (and of the consumers on it) across a JetStream cluster: a stream at 3
   * survives the loss of any one server. @default FACEREC_STREAM_REPLICAS, else 1 (one server)
   */
  replicas: number;
}

export const DEFAULT_STREAM_OPTIONS: StreamOptions = {
  duplicateWindowMs: 10 * 60_000,
  maxAgeMs: 24 * 3600_000,
  matchesMaxAgeMs: 15 * 60_000,
  replicas: streamReplicas(),
};

/** FACEREC_STREAM_REPLICAS: 1, 3 or 5 (JetStream places an odd number of copies by quorum). */
export function streamReplicas(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.FACEREC_STREAM_REPLICAS;
  if (raw === undefined || raw === "") return 1;
  const n = Number(raw);
  if (![1, 3, 5].includes(n)) throw new RangeError(`FACEREC_STREAM_REPLICAS=${raw}: streams take 1, 3 or 5 replicas`);
  return n;
}

/** The server's refusal to place a stream, said in the operator's terms. */
function placementError(name: string, replicas: number, error: unknown): Error {
  const message = (error as Error).message;
  if (replicas > 1 && /insufficient resources|not supported in non-clustered mode|no suitable peers|replicas/i.test(message)) {
    return new Error(
      `JetStream cannot place stream ${name} with ${replicas} replicas (${message}): it needs a cluster of at least ${replicas} JetStream servers, or FACEREC_STREAM_REPLICAS=1`,
    );
  }
  return error as Error;
}

/** The pipeline's streams, created or brought up to date idempotently by every service at start. */
export async function ensureStreams(jsm: JetStreamManager, options: StreamOptions = DEFAULT_STREAM_OPTIONS): Promise<void> {
  // Crops (face images) and embeddings are personal data in transit: a work queue keeps each only
  // until its consumer acknowledges it, however long that takes, never 24 h after it was processed.
  const wanted = [
    { name: streams.crops, subjects: [subjects.allCrops], retention: RetentionPolicy.Workqueue, maxAgeMs: options.maxAgeMs },
    {
      name: streams.embeddings,
      subjects: [subjects.allEmbeddings],
      retention: RetentionPolicy.Workqueue,
      maxAgeMs: options.maxAgeMs,
    },
    {
      name: streams.matches,
      subjects: [subjects.allMatches],
      retention: RetentionPolicy.Limits,
      maxAgeMs: options.matchesMaxAgeMs,
    },
    { name: streams.deadLetter, subjects: [subjects.deadLetter], retention: RetentionPolicy.Limits, maxAgeMs: options.maxAgeMs },
  ];
  for (const { name, subjects: subs, retention: wantedRetention, maxAgeMs } of wanted) {
    const held = await jsm.streams.info(name).then(
      (info) => info.config.retention,
      () => undefined,
    );
    // JetStream cannot change a stream's retention: one created by an earlier version keeps its own
    // until an operator recreates it (docs/distributed.md says how).
    const retention = held ?? wantedRetention;
    const config = {
      name,
      subjects: subs,
      storage: StorageType.File,
      retention,
      duplicate_window: nanos(options.duplicateWindowMs),
      max_age: nanos(maxAgeMs),
      num_replicas: options.replicas,
    };
    if (held !== undefined)
      await jsm.streams.update(name, config).catch((error: unknown) => {
        throw placementError(name, options.replicas, error);
      });
    else
      await jsm.streams.add(config).catch(async (error: unknown) => {
        // Another replica created it between the check and the add.
        if (
          !(await jsm.streams.info(name).then(
            () => true,
            () => false,
          ))
        )
          throw placementError(name, options.replicas, error);
      });
  }
}

export interface ConsumerOptions {
  /** How long a delivered message may stay unacknowledged before it is delivered again. */
  ackWaitMs: number;
  /**
   * Failed attempts before a worker sends a message to the dead-letter stream (the workers count
   * them; the server's max_deliver is set to the backstop above it, see deliveryBackstop).
   */
  maxDeliver: number;
  /** Unacknowledged messages the consumer allows across all its replicas. */
  maxAckPending: number;
}

export const DEFAULT_CONSUMER_OPTIONS: ConsumerOptions = { ackWaitMs: 30_000, maxDeliver: 5, maxAckPending: 256 };

/** A durable pull consumer shared by every replica of a worker. */
export async function ensureConsumer(
  jsm: JetStreamManager,
  stream: string,
  durable: string,
  options: ConsumerOptions = DEFAULT_CONSUMER_OPTIONS,
): Promise<void> {
  const config = {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(options.ackWaitMs),
    // The worker dead-letters a message itself at the backstop, so the server may give one more.
    max_deliver: deliveryBackstop(options.maxDeliver) + 1,
    max_ack_pending: options.maxAckPending,
  };
  const exists = await jsm.consumers.info(stream, durable).then(
    () => true,
    () => false,
  );
  if (exists) await jsm.consumers.update(stream, durable, config);
  else await jsm.consumers.add(stream, config);
}

/** Waits between attempts while a stream or a store cannot take a write (doubling from the first). */
const RETRY_MS = { first: 200, max: 5000 };

/**
 * A publish the bus cannot take right now but will: the stream is electing a leader or catching up
 * (a server of the cluster went), the request timed out, or nothing answered for the stream yet. The
 * client reports "no responders" on a publish as JetStreamNotEnabled ("jetstream is not enabled"):
 * in the HA test that is what a match event's publish got while the embeddings' leader was elected
 * again, and it dead-lettered five events before it was counted here.
 */
export function isBusTransient(error: unknown): boolean {
  const e = error as { name?: string; code?: string | number; message?: string };
  if (["TimeoutError", "NoRespondersError", "RequestError", "JetStreamNotEnabled"].includes(e?.name ?? "")) return true;
  if (e?.code === "TIMEOUT" || e?.code === 503 || e?.code === "503") return true;
  return /timeout|no responders|503|not available|no suitable peers|leader|jetstream is not enabled/i.test(e?.message ?? "");
}

/**
 * Run `work` until it succeeds or fails for a reason that is not `transient`, keeping `m` in progress
 * meanwhile (m.working), so that an outage of a stream or a store does not spend the message's
 * deliveries and send it to the dead-letter stream. Gives up when the worker is stopping.
 */
export async function keepTrying<T>(
  m: JsMsg,
  work: () => Promise<T>,
  transient: (error: unknown) => boolean,
  options: { stopping: () => boolean; onWait?: (error: unknown) => void },
): Promise<T> {
  let delay = RETRY_MS.first;
  for (;;) {
    try {
      return await work();
    } catch (error) {
      if (!transient(error) || options.stopping()) throw error;
      options.onWait?.(error);
      m.working();
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, RETRY_MS.max);
    }
  }
}
