import { streams } from "@facerec/contracts";
import { natsServer, type ServerProcess } from "@facerec/testkit/servers";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_STREAM_OPTIONS, ensureStreams, isBusTransient } from "../src/index.js";

let server: ServerProcess & { url: string };
let nc: NatsConnection;

beforeAll(async () => {
  server = await natsServer();
  nc = await connect({ servers: server.url });
});
afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

describe("which publish errors a worker waits out (a real nats-server with JetStream)", () => {
  it("waits out a publish no stream answers (what a stream without a leader looks like)", async () => {
    const error = await jetstream(nc, { timeout: 2000 })
      .publish("nobody.listens", "x")
      .catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/jetstream is not enabled/);
    expect(isBusTransient(error)).toBe(true);
  });

  it("does not wait out a refusal that will not change: a wrong expected last sequence", async () => {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "BUS_TEST", subjects: ["bus.test"] });
    const js = jetstream(nc);
    await js.publish("bus.test", "one");
    const error = await js.publish("bus.test", "two", { expect: { lastSequence: 7 } }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/wrong last sequence/);
    expect(isBusTransient(error)).toBe(false);
  });
});

describe("the pipeline's streams keep personal data no longer than they need it", () => {
  it("crops and embeddings are work queues; match events stay 15 minutes, not 24 hours", async () => {
    const jsm = await jetstreamManager(nc);
    await ensureStreams(jsm, { ...DEFAULT_STREAM_OPTIONS, replicas: 1 });
    const config = async (name: string) => (await jsm.streams.info(name)).config;
    for (const name of [streams.crops, streams.embeddings]) expect((await config(name)).retention).toBe("workqueue");
    const matches = await config(streams.matches);
    expect(matches.retention).toBe("limits");
    expect(matches.max_age).toBe(15 * 60 * 1e9);
    expect((await config(streams.crops)).max_age).toBe(24 * 3600 * 1e9);
    // Run again (every service does at start): the same streams, updated in place.
    await ensureStreams(jsm, { ...DEFAULT_STREAM_OPTIONS, replicas: 1 });
    expect((await config(streams.matches)).max_age).toBe(15 * 60 * 1e9);
  });
});
