import { randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FaceCrop, FaceEmbedding, streams, subjects } from "@facerec/contracts";
import { connectBus } from "@facerec/pipeline";
import { describeWithShared } from "@facerec/testkit";
import { edgeProcess, metricSum, natsServer, type ServerProcess, serviceProcess, TcpRelay } from "@facerec/testkit/servers";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import sharp from "sharp";
import { afterAll, beforeAll, expect, it } from "vitest";
import { alignedFaces, cropOf, enrolInto, eventually, knn, matchEvents, publishThroughFaults } from "./stack.js";

const running: ServerProcess[] = [];
let nats: Awaited<ReturnType<typeof natsServer>>;
let nc: NatsConnection;
let data: string;
let embedder: Awaited<ReturnType<typeof serviceProcess>>;
/** Aligned crops of real faces, to publish as many distinct crops as a test needs. */
const faces: { png: Buffer; quality: number }[] = [];

const crop = (camera: string, i: number): FaceCrop => cropOf(faces, camera, i);

/** Publish `count` distinct crops of `camera` straight to JetStream; returns their ids in order. */
async function publishCrops(camera: string, count: number): Promise<string[]> {
  const js = jetstream(nc);
  const sent: string[] = [];
  for (let i = 0; i < count; i++) {
    const c = crop(camera, i);
    await js.publish(subjects.crop(c.tenant, c.camera), FaceCrop.encode(c).finish(), { msgID: c.cropId });
    sent.push(c.cropId);
  }
  return sent;
}

/** Wait until at least `count` embeddings beyond sequence `before` were published: the embedder is mid-stream. */
async function embeddingsBeyond(before: number, count: number): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await eventually(
    async () => expect((await jsm.streams.info(streams.embeddings)).state.last_seq - before).toBeGreaterThanOrEqual(count),
    60_000,
    20,
  );
}

/** Exactly one match event per crop id sent, and nothing else from that camera. */
async function expectOneEventEach(camera: string, sent: string[]): Promise<void> {
  await eventually(async () => {
    const events = (await matchEvents(nc)).filter((e) => e.camera === camera);
    expect(events.length).toBeGreaterThanOrEqual(sent.length);
    expect(events.map((e) => e.cropId).sort()).toEqual([...sent].sort());
  }, 120_000);
}

describeWithShared("pipeline faults: crashes, restarts and outages lose nothing and count nothing twice", () => {
  beforeAll(async () => {
    nats = await natsServer();
    running.push(nats);
    data = mkdtempSync(join(tmpdir(), "matcher-"));
    await enrolInto(data, "acme", [
      { name: "obama", photos: readdirSync(knn("train", "obama")).map((f) => knn("train", "obama", f)) },
    ]);
    faces.push(...(await alignedFaces()));
    embedder = await serviceProcess("embedder", { NATS_URL: nats.url, ACK_WAIT_MS: "2000" });
    running.push(embedder);
    running.push(await serviceProcess("matcher", { NATS_URL: nats.url, FACEREC_DATA: data, ACK_WAIT_MS: "2000" }));
    nc = await connectBus(nats.url, "test");
  });
  afterAll(async () => {
    await nc?.close();
    for (const p of running.reverse()) await p.stop();
  });

  it("an embedder killed with SIGKILL mid-batch and restarted: every crop once", async () => {
    const jsm = await jetstreamManager(nc);
    const deliveredBefore = (await jsm.consumers.info(streams.crops, "embedder")).delivered.consumer_seq;
    const embeddedBefore = (await jsm.streams.info(streams.embeddings)).state.last_seq;
    const sent = await publishCrops("kill-embedder", 160);
    await embeddingsBeyond(embeddedBefore, 16);
    await embedder.kill();
    const before = await jsm.consumers.info(streams.crops, "embedder");
    expect(before.num_ack_pending + before.num_pending).toBeGreaterThan(0);
    await embedder.start();
    await expectOneEventEach("kill-embedder", sent);
    // With a backlog waiting, the restarted embedder ran full batches: its mean batch size is near 8.
    const metrics = await (await fetch(`http://127.0.0.1:${embedder.ops}/metrics`)).text();
    const mean = metricSum(metrics, "facerec_embedder_batch_size_sum") / metricSum(metrics, "facerec_embedder_batch_size_count");
    expect(mean).toBeGreaterThan(6);
    // Crops the killed process held were delivered again (more deliveries than crops), and the second
    // embedding of any it had already published was dropped by the duplicate window.
    expect((await jsm.consumers.info(streams.crops, "embedder")).delivered.consumer_seq - deliveredBefore).toBeGreaterThan(160);
  });

  it("an embedder stopped with SIGTERM mid-stream finishes its batches and exits; restarted, every crop once", async () => {
    const jsm = await jetstreamManager(nc);
    const before = (await jsm.streams.info(streams.embeddings)).state.last_seq;
    const sent = await publishCrops("drain-embedder", 80);
    await embeddingsBeyond(before, 8);
    await embedder.stop();
    expect(embedder.output).toContain('"msg":"stopped"');
    await embedder.start();
    await expectOneEventEach("drain-embedder", sent);
  });

  it("nats-server killed and restarted on its file storage mid-stream: every crop once", async () => {
    const sent = await publishThroughFaults(nc, faces, "kill-nats", 120, async (i) => {
      if (i === 40) await nats.kill();
      if (i === 80) await nats.start();
    });
    await expectOneEventEach("kill-nats", sent);
  });

  it("an edge cut off from NATS spools its crops and drains them, oldest first, when the link returns", async () => {
    const relay = new TcpRelay(nats.port);
    await relay.open();
    const edge = await edgeProcess({
      NATS_URL: `nats://127.0.0.1:${relay.port}`,
      TENANT: "acme",
      EDGE_CAMERA: "cut-off",
    });
    running.push(edge);
    const push = async (bytes: Buffer) => {
      const r = await fetch(`http://127.0.0.1:${edge.ops}/v1/frames?camera=cut-off`, {
        method: "POST",
        body: bytes,
        headers: { authorization: `Bearer ${edge.pushKey}` },
      });
      expect(r.status).toBe(202);
      return (await r.json()) as { published: number; spooled: number };
    };
    const black = await sharp({ create: { width: 320, height: 240, channels: 3, background: "#000" } })
      .png()
      .toBuffer();
    await relay.cut();
    // Each photo is a track of its own: a second of nothing between them ends the previous one.
    for (const file of ["alex_lacamoire1.jpg", "kit_with_rose.jpg", "obama_and_biden.jpg"]) {
      await push(readFileSync(knn("test", file)));
      await new Promise((r) => setTimeout(r, 1100));
      await push(black);
    }
    // The last photo's shots may be on their way to the spool (released by the quiet timer, not by
    // the push): counted once nothing is pending.
    const spooled = await eventually(async () => {
      const metrics = await (await fetch(`http://127.0.0.1:${edge.ops}/metrics`)).text();
      expect(metricSum(metrics, "facerec_edge_crops", { state: "pending_now" })).toBe(0);
      return metricSum(metrics, "facerec_edge_crops", { state: "spooled_now" });
    });
    expect(spooled).toBeGreaterThanOrEqual(4);
    await relay.restore();
    const events = await eventually(async () => {
      const all = (await matchEvents(nc)).filter((e) => e.camera === "cut-off");
      expect(all).toHaveLength(spooled);
      return all;
    });
    expect(new Set(events.map((e) => e.cropId)).size).toBe(spooled);
    // Drained oldest first: the stream holds them in frame order.
    const times = events.map((e) => e.frameTime?.getTime() ?? 0);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    await relay.cut();
  });

  it("an edge SIGKILLed during an outage and restarted sends what it had spooled: one event per accepted crop", async () => {
    const relay = new TcpRelay(nats.port);
    await relay.open();
    const edgeData = mkdtempSync(join(tmpdir(), "edge-"));
    const edge = await edgeProcess({
      NATS_URL: `nats://127.0.0.1:${relay.port}`,
      TENANT: "acme",
      EDGE_CAMERA: "killed-edge",
      FACEREC_DATA: edgeData,
    });
    running.push(edge);
    const spoolDir = join(edgeData, "spool", "killed-edge");
    await relay.cut();
    for (const file of ["alex_lacamoire1.jpg", "kit_with_rose.jpg", "obama1.jpg"]) {
      const r = await fetch(`http://127.0.0.1:${edge.ops}/v1/frames?camera=killed-edge`, {
        method: "POST",
        body: readFileSync(knn("test", file)),
        headers: { authorization: `Bearer ${edge.pushKey}` },
      });
      expect(r.status).toBe(202);
      await new Promise((r) => setTimeout(r, 1100));
    }
    // The last photo's track is released by the quiet timer; every crop counted as spooled is on disk.
    await eventually(async () => {
      const metrics = await (await fetch(`http://127.0.0.1:${edge.ops}/metrics`)).text();
      expect(metricSum(metrics, "facerec_edge_crops", { state: "pending_now" })).toBe(0);
      expect(metricSum(metrics, "facerec_edge_crops", { state: "spooled_now" })).toBeGreaterThanOrEqual(4);
    });
    await edge.kill();
    const accepted = readdirSync(spoolDir).filter((f) => f.endsWith(".crop"));
    expect(accepted.length).toBeGreaterThanOrEqual(4);
    await relay.restore();
    await edge.start();
    const events = await eventually(async () => {
      const all = (await matchEvents(nc)).filter((e) => e.camera === "killed-edge");
      expect(all).toHaveLength(accepted.length);
      return all;
    });
    expect(new Set(events.map((e) => e.cropId)).size).toBe(accepted.length);
    await eventually(async () => expect(readdirSync(spoolDir).filter((f) => f.endsWith(".crop"))).toEqual([]));
    await relay.cut();
  });

  it("dead-letters a crop that cannot be decoded, with the error, and goes on", async () => {
    const js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    const bad = crop("dead", 0);
    bad.alignedPng = Buffer.from("not a png");
    await js.publish(subjects.crop("acme", "dead"), FaceCrop.encode(bad).finish(), { msgID: bad.cropId });
    await js.publish(subjects.crop("acme", "dead"), Buffer.from([0x0a, 0xff, 0xff, 0xff]), { msgID: randomUUID() });
    const good = crop("dead", 1);
    await js.publish(subjects.crop("acme", "dead"), FaceCrop.encode(good).finish(), { msgID: good.cropId });
    await expectOneEventEach("dead", [good.cropId]);
    const dead = await eventually(async () => {
      const info = await jsm.streams.info(streams.deadLetter);
      expect(info.state.messages).toBeGreaterThanOrEqual(2);
      return info;
    });
    // The bad protobuf is dead-lettered on arrival, the bad PNG when its batch runs: either may be first.
    const letters = await Promise.all(
      [dead.state.first_seq, dead.state.first_seq + 1].map((seq) => jsm.streams.getMessage(streams.deadLetter, { seq })),
    );
    for (const letter of letters) expect(letter?.subject).toMatch(/^faces\.dead\.embed\.acme\.dead$/);
    expect(letters.map((l) => l?.header.get("facerec-error"))).toContainEqual(expect.stringMatching(/NOT_AN_IMAGE|image/i));
  });

  it("keeps crops and embeddings on the bus only until they are processed", async () => {
    const jsm = await jetstreamManager(nc);
    const sent = await publishCrops("transient", 8);
    await expectOneEventEach("transient", sent);
    // Work queues: each message leaves its stream when its consumer acknowledges it.
    // (Other tests' crops may still wait for a redelivery after a killed server: this camera's only.)
    await eventually(async () => {
      for (const [stream, subject] of [
        [streams.crops, subjects.crop("acme", "transient")],
        [streams.embeddings, subjects.embedding("acme", "transient")],
      ] as const) {
        const info = await jsm.streams.info(stream, { subjects_filter: subject });
        expect(info.state.subjects?.[subject] ?? 0).toBe(0);
      }
    });
  });

  it("takes a message's tenant from its subject: a crop naming another tenant than its subject is dead-lettered", async () => {
    const js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    const before = (await jsm.streams.info(streams.deadLetter)).state.messages;
    // Credentials scoped to globex's subjects, a body claiming acme: never decided as acme's.
    const spoofed = crop("spoof", 0);
    await js.publish(subjects.crop("globex", "spoof"), FaceCrop.encode(spoofed).finish(), { msgID: spoofed.cropId });
    const good = crop("spoof", 1);
    await js.publish(subjects.crop("acme", "spoof"), FaceCrop.encode(good).finish(), { msgID: good.cropId });
    await expectOneEventEach("spoof", [good.cropId]);
    const dead = await eventually(async () => {
      const info = await jsm.streams.info(streams.deadLetter);
      expect(info.state.messages).toBe(before + 1);
      return info;
    });
    const letter = await jsm.streams.getMessage(streams.deadLetter, { seq: dead.state.last_seq });
    expect(letter?.subject).toBe("faces.dead.embed.globex.spoof");
    expect(letter?.header.get("facerec-error")).toMatch(
      /names tenant acme, camera spoof but was published on faces\.crop\.globex\.spoof/,
    );
  });

  it("dead-letters an embedding the matcher fails on after MAX_DELIVER failed attempts, with the count", async () => {
    const js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    const wrong = FaceEmbedding.fromPartial({
      cropId: randomUUID(),
      tenant: "acme",
      camera: "retry",
      modelId: "arcface512",
      vector: [1, 2, 3],
      quality: 1,
      liveness: 1,
    });
    await js.publish(subjects.embedding("acme", "retry"), FaceEmbedding.encode(wrong).finish(), { msgID: wrong.cropId });
    const dead = await eventually(async () => {
      const info = await jsm.streams.info(streams.deadLetter);
      const last = await jsm.streams.getMessage(streams.deadLetter, { seq: info.state.last_seq });
      expect(last?.subject).toBe("faces.dead.match.acme.retry");
      return last;
    }, 60_000);
    expect(dead?.header.get("facerec-failures")).toBe("5");
    expect(Number(dead?.header.get("facerec-deliveries"))).toBeGreaterThanOrEqual(5);
    expect(dead?.header.get("facerec-error").length).toBeGreaterThan(5);
    expect((await matchEvents(nc)).filter((e) => e.cropId === wrong.cropId)).toEqual([]);
  });
});
