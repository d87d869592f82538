import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { streams, subjects } from "@facerec/contracts";
import { connectBus } from "@facerec/pipeline";
import { describeWithShared, shared } from "@facerec/testkit";
import { edgeProcess, natsServer, type ServerProcess, serviceProcess } from "@facerec/testkit/servers";
import { jetstreamManager } from "@nats-io/jetstream";
import sharp from "sharp";
import { afterAll, beforeAll, expect, it } from "vitest";
import { eventually } from "./stack.js";

type SpanLine = {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  service: string;
  attributes: Record<string, unknown>;
};
const running: ServerProcess[] = [];
let nats: Awaited<ReturnType<typeof natsServer>>;
let edgeOps: number;
let edgeKey: string;
const traceFiles: Record<string, string> = {};

describeWithShared("tracing: one crop followed from the edge to its match event", () => {
  beforeAll(async () => {
    nats = await natsServer();
    running.push(nats);
    const dir = mkdtempSync(join(tmpdir(), "traces-"));
    for (const name of ["edge-detector", "embedder", "matcher"]) traceFiles[name] = join(dir, `${name}.jsonl`);
    const env = (name: string) => ({ NATS_URL: nats.url, FACEREC_TRACE_FILE: traceFiles[name] as string });
    running.push(await serviceProcess("embedder", env("embedder")));
    running.push(await serviceProcess("matcher", { ...env("matcher"), FACEREC_DATA: mkdtempSync(join(tmpdir(), "matcher-")) }));
    const edge = await edgeProcess({ ...env("edge-detector"), TENANT: "acme" });
    edgeOps = edge.ops;
    edgeKey = edge.pushKey;
    running.push(edge);
  });
  afterAll(async () => {
    for (const p of running.reverse()) await p.stop();
  });

  it("carries one trace id through the crop, embedding and match messages, with a span per hop", async () => {
    // Crops and embeddings leave their work-queue streams once processed: read them as they pass.
    const nc = await connectBus(nats.url, "test");
    const seen = (subject: string) => {
      const sub = nc.subscribe(subject, { max: 1 });
      return (async () => {
        for await (const m of sub) return m;
        throw new Error(`nothing on ${subject}`);
      })();
    };
    const [cropSeen, embeddingSeen] = [seen(subjects.allCrops), seen(subjects.allEmbeddings)];
    await nc.flush();
    const push = (bytes: Buffer) =>
      fetch(`http://127.0.0.1:${edgeOps}/v1/frames?camera=traced`, {
        method: "POST",
        body: bytes,
        headers: { authorization: `Bearer ${edgeKey}` },
      });
    await push(readFileSync(shared("data", "facerec_examples", "knn_examples", "test", "alex_lacamoire1.jpg")));
    await new Promise((r) => setTimeout(r, 1100));
    await push(
      await sharp({ create: { width: 320, height: 240, channels: 3, background: "#000" } })
        .png()
        .toBuffer(),
    );

    const jsm = await jetstreamManager(nc);
    const last = async (stream: string) => {
      const info = await jsm.streams.info(stream);
      expect(info.state.messages).toBeGreaterThan(0);
      const m = await jsm.streams.getMessage(stream, { seq: info.state.last_seq });
      if (!m) throw new Error(`no message in ${stream}`);
      return m;
    };
    const match = await eventually(() => last(streams.matches), 60_000);
    const [crop, embedding] = [await cropSeen, await embeddingSeen];
    await nc.close();
    const traceOf = (h: string) => h.split("-")[1];
    const [cropTrace, embeddingTrace, matchTrace] = [
      crop.headers?.get("traceparent") ?? "",
      embedding.headers?.get("traceparent") ?? "",
      match.header.get("traceparent"),
    ].map(traceOf);
    expect(cropTrace).toMatch(/^[0-9a-f]{32}$/);
    expect(embeddingTrace).toBe(cropTrace);
    expect(matchTrace).toBe(cropTrace);

    const spans = await eventually(async () => {
      const all = Object.values(traceFiles).flatMap((f) =>
        readFileSync(f, "utf8")
          .split("\n")
          .filter(Boolean)
          .map((l) => JSON.parse(l) as SpanLine),
      );
      const mine = all.filter((s) => s.traceId === cropTrace);
      expect(mine.map((s) => s.name).sort()).toEqual(["edge.publish-crop", "embedder.embed", "matcher.match"]);
      return mine;
    });
    const byName = Object.fromEntries(spans.map((s) => [s.name, s]));
    expect(byName["edge.publish-crop"]?.service).toBe("facerec-edge-detector");
    expect(byName["embedder.embed"]?.parentSpanId).toBe(byName["edge.publish-crop"]?.spanId);
    expect(byName["matcher.match"]?.parentSpanId).toBe(byName["embedder.embed"]?.spanId);
    expect(byName["matcher.match"]?.attributes["facerec.outcome"]).toBe("unknown");
  });
});
