import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Outcome } from "@facerec/contracts";
import { connectBus } from "@facerec/pipeline";
import { describeWithShared, LFW, shared } from "@facerec/testkit";
import { natsServer, type ServerProcess } from "@facerec/testkit/servers";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, expect, it } from "vitest";
import { enrolInto, eventually, matchEvents, service, videoOf } from "./stack.js";

const knn = (...p: string[]): string => shared("data", "facerec_examples", "knn_examples", ...p);
const running: ServerProcess[] = [];
let nats: Awaited<ReturnType<typeof natsServer>>;
let nc: NatsConnection;
let names: Map<string, string>;

describeWithShared("video through edge -> embedder -> matcher on a real nats-server", () => {
  beforeAll(async () => {
    nats = await natsServer();
    running.push(nats);
    const data = mkdtempSync(join(tmpdir(), "matcher-"));
    names = await enrolInto(
      data,
      "acme",
      readdirSync(knn("train")).map((name) => ({
        name,
        photos: readdirSync(knn("train", name)).map((f) => knn("train", name, f)),
      })),
    );
    running.push(await service("embedder", { NATS_URL: nats.url }));
    running.push(await service("matcher", { NATS_URL: nats.url, FACEREC_DATA: data }));
    nc = await connectBus(nats.url, "test");
  });
  afterAll(async () => {
    await nc?.close();
    for (const p of running.reverse()) await p.stop();
  });

  it("names the enrolled people of the video and calls the stranger unknown, one event per person", async () => {
    // At 640x480 the liveness model calls obama1.jpg a spoof (0.06), so the video uses photos it passes;
    // the faint third face of obama_and_biden is under the quality gate.
    const video = await videoOf([
      knn("test", "alex_lacamoire1.jpg"),
      knn("test", "kit_with_rose.jpg"),
      LFW("George_W_Bush", 1),
      knn("test", "obama_and_biden.jpg"),
    ]);
    running.push(
      await service("edge-detector", {
        NATS_URL: nats.url,
        TENANT: "acme",
        EDGE_CAMERA: "lobby",
        EDGE_SOURCE: video,
        EDGE_FPS: "4",
      }),
    );
    const events = await eventually(async () => {
      const all = (await matchEvents(nc)).filter((e) => e.camera === "lobby");
      expect(all.length).toBeGreaterThanOrEqual(6);
      return all;
    });
    const seen = events.map((e) => (e.outcome === Outcome.OUTCOME_MATCH ? names.get(e.subjectId) : Outcome[e.outcome])).sort();
    expect(seen).toEqual(["OUTCOME_UNKNOWN", "alex_lacamoire", "biden", "kit_harington", "obama", "rose_leslie"]);
    expect(new Set(events.map((e) => e.cropId)).size).toBe(6);
    expect(events.every((e) => e.tenant === "acme" && e.modelId !== "")).toBe(true);
  });
});
