import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { streams } from "@facerec/contracts";
import { connectBus } from "@facerec/pipeline";
import { describeWithShared } from "@facerec/testkit";
import { type ClusterServer, natsCluster, natsServer, type ServerProcess, serviceProcess } from "@facerec/testkit/servers";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, expect, it } from "vitest";
import { alignedFaces, enrolInto, eventually, knn, matchEvents, publishThroughFaults } from "./stack.js";

/**
 * The data plane on a three-server JetStream cluster with every stream at three replicas: losing a
 * server, even the one leading the streams, or its whole disk, loses nothing and counts nothing twice.
 */
const running: ServerProcess[] = [];
let cluster: { servers: ClusterServer[]; url: string };
let nc: NatsConnection;
let faces: { png: Buffer; quality: number }[];

/**
 * The server leading `stream` now. Right after a server comes or goes, the cluster may be electing
 * leaders and a JetStream API request may time out: asked again until it answers.
 */
function leaderOf(stream: string): Promise<ClusterServer> {
  return eventually(
    async () => {
      const jsm = await jetstreamManager(nc);
      const name = (await jsm.streams.info(stream)).cluster?.leader;
      const server = cluster.servers.find((s) => s.serverName === name);
      if (!server) throw new Error(`no leader for ${stream} yet`);
      return server;
    },
    60_000,
    250,
  );
}

/** Every replica of every stream is current again (a returned server has caught up). */
async function replicasCurrent(): Promise<void> {
  await eventually(async () => {
    const jsm = await jetstreamManager(nc);
    for (const stream of [streams.crops, streams.embeddings, streams.matches]) {
      const info = await jsm.streams.info(stream);
      expect(info.cluster?.replicas?.length, stream).toBe(2);
      for (const r of info.cluster?.replicas ?? []) expect(r.current, `${stream} on ${r.name}`).toBe(true);
    }
  }, 60_000);
}

/** Exactly one match event per crop sent, and the consumers have nothing left over. */
async function oneEventEach(camera: string, sent: string[]): Promise<void> {
  await eventually(async () => {
    const events = (await matchEvents(nc)).filter((e) => e.camera === camera);
    expect(events.map((e) => e.cropId).sort()).toEqual([...sent].sort());
  }, 120_000);
  await eventually(async () => {
    const jsm = await jetstreamManager(nc);
    for (const [stream, durable] of [
      [streams.crops, "embedder"],
      [streams.embeddings, "matcher"],
    ] as const) {
      const info = await jsm.consumers.info(stream, durable);
      expect(info.num_pending + info.num_ack_pending, durable).toBe(0);
      expect(info.cluster?.replicas?.length, durable).toBe(2);
    }
    // No delivery was spent on a stream electing its leader: nothing went to the dead-letter stream.
    const dead = (await jsm.streams.info(streams.deadLetter)).state;
    const first = dead.messages > 0 ? await jsm.streams.getMessage(streams.deadLetter, { seq: dead.first_seq }) : undefined;
    const why = first
      ? `${first.subject}: ${first.header.get("facerec-error")} (${first.header.get("facerec-failures")} failures, ${first.header.get("facerec-deliveries")} deliveries)`
      : "";
    expect(dead.messages, why).toBe(0);
  });
}

describeWithShared("stream replicas on a server that cannot hold them", () => {
  it("a service asked for three copies on one server says what it needs and stops", async () => {
    const single = await natsServer();
    try {
      const refused = await serviceProcess("embedder", { NATS_URL: single.url, FACEREC_STREAM_REPLICAS: "3" }).then(
        async (p) => {
          await p.stop();
          return "it ran";
        },
        (error: Error) => error.message,
      );
      expect(refused).toMatch(/cannot place stream FACES_CROP with 3 replicas .*needs a cluster of at least 3/);
    } finally {
      await single.stop();
    }
  });
});

describeWithShared("a three-server JetStream cluster, streams at three replicas", () => {
  beforeAll(async () => {
    cluster = await natsCluster(3);
    running.push(...cluster.servers);
    nc = await connectBus(cluster.url, "test");
    // The cluster elects its JetStream leader after the routes form.
    await eventually(async () => expect((await (await jetstreamManager(nc)).getAccountInfo()).streams).toBeGreaterThanOrEqual(0));
    faces = await alignedFaces();
    const data = mkdtempSync(join(tmpdir(), "ha-matcher-"));
    await enrolInto(data, "acme", [
      { name: "obama", photos: readdirSync(knn("train", "obama")).map((f) => knn("train", "obama", f)) },
    ]);
    const env = { NATS_URL: cluster.url, FACEREC_STREAM_REPLICAS: "3", ACK_WAIT_MS: "2000" };
    running.push(await serviceProcess("embedder", env));
    running.push(await serviceProcess("matcher", { ...env, FACEREC_DATA: data }));
    await eventually(async () => {
      const jsm = await jetstreamManager(nc);
      for (const s of [streams.crops, streams.embeddings, streams.matches]) {
        expect((await jsm.streams.info(s)).config.num_replicas).toBe(3);
      }
    }, 30_000);
  });
  afterAll(async () => {
    await nc?.close();
    for (const p of running.reverse()) await p.stop();
  });

  it("the stream leader SIGKILLed mid-stream, then another server after it returns: one event per crop", async () => {
    let first: ClusterServer | undefined;
    let second: ClusterServer | undefined;
    const sent = await publishThroughFaults(nc, faces, "leader-killed", 150, async (i) => {
      if (i === 30) {
        first = await leaderOf(streams.crops);
        await first.kill();
      }
      if (i === 70) {
        await first?.start();
        await replicasCurrent();
        second = await leaderOf(streams.embeddings);
        await second.kill();
      }
      if (i === 110) await second?.start();
    });
    expect(first).toBeDefined();
    await oneEventEach("leader-killed", sent);
    await replicasCurrent();
  }, 300_000);

  it("a server whose disk was lost comes back empty, catches up from its peers, and nothing is lost", async () => {
    let lost: ClusterServer | undefined;
    const sent = await publishThroughFaults(nc, faces, "disk-lost", 100, async (i) => {
      if (i === 25) {
        // The server leading the embeddings: the matchers' pulls and the stream's only complete copy of
        // its newest messages are on it.
        lost = await leaderOf(streams.embeddings);
        await lost.kill();
        rmSync(lost.store, { recursive: true, force: true });
      }
      if (i === 60) await lost?.start();
    });
    await oneEventEach("disk-lost", sent);
    await replicasCurrent();
    // The replaced server holds the whole crop stream again, copied from its peers.
    expect(readdirSync(join(lost?.store as string, "jetstream")).length).toBeGreaterThan(0);
  }, 300_000);
});
