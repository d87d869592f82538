import { readFileSync } from "node:fs";
import type { FaceCrop } from "@facerec/contracts";
import { describeWithShared, shared } from "@facerec/testkit";
import { decodeImage, FaceEngine, trackLiveness } from "@facerec/vision";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { Batcher, type CropPublisher, EdgeDetector, Spool, splitPngs, Tracker } from "../src/index.js";

type F = { box: { x: number; y: number; width: number; height: number }; q: number };
const face = (x: number, q: number): F => ({ box: { x, y: 100, width: 80, height: 100 }, q });

describe("tracker", () => {
  it("keeps one best shot per track, released once per interval and when the track ends", () => {
    const t = new Tracker<F>((f) => f.q, { minIou: 0.3, intervalMs: 2000, maxGapMs: 1000 });
    // A person drifting right for 3 s at 4 frames a second, quality peaking at 1.5 s.
    const shots = [];
    for (let i = 0; i <= 12; i++) shots.push(...t.update(i * 250, [face(100 + i * 3, i === 6 ? 0.9 : 0.5)]));
    expect(shots).toHaveLength(1);
    expect(shots[0]?.face.q).toBe(0.9);
    expect(shots[0]?.time).toBe(1500);
    // The shots after the release wait for the next interval or the end of the track.
    expect(t.held).toBe(1);
    // Gone for more than a second: the track ends and its pending best (from after the interval) comes out.
    const ended = t.update(5000, []);
    expect(ended).toHaveLength(1);
    expect(ended[0]?.trackId).toBe(shots[0]?.trackId);
    expect(t.active).toBe(0);
    expect(t.held).toBe(0);
  });

  it("follows two people apart, and a new face where an old track lapsed starts a new track", () => {
    const t = new Tracker<F>((f) => f.q, { minIou: 0.3, intervalMs: 10_000, maxGapMs: 500 });
    t.update(0, [face(100, 0.5), face(400, 0.6)]);
    expect(t.active).toBe(2);
    t.update(250, [face(104, 0.7), face(396, 0.4)]);
    const both = t.flush();
    expect(both.map((s) => s.face.q).sort()).toEqual([0.6, 0.7]);
    t.update(0, [face(100, 0.5)]);
    const [first] = t.update(2000, [face(100, 0.8)]);
    expect(first?.face.q).toBe(0.5);
    expect(t.flush()[0]?.trackId).not.toBe(first?.trackId);
  });
});

describe("spool", () => {
  const item = (id: number, quality: number) => ({ id, quality, bytes: 10 });

  it("drops the lowest quality when full, counts it, and drains oldest first", async () => {
    const s = new Spool<ReturnType<typeof item>>({ maxItems: 3, maxBytes: 1000 });
    for (const [id, q] of [
      [1, 0.9],
      [2, 0.2],
      [3, 0.8],
      [4, 0.5],
    ] as const)
      s.push(item(id, q));
    expect(s.dropped).toBe(1);
    const sent: number[] = [];
    await s.drain(async (i) => {
      sent.push(i.id);
    });
    expect(sent).toEqual([1, 3, 4]);
    expect(s.length).toBe(0);
  });

  it("stops at the first failure and keeps that item at the front", async () => {
    const s = new Spool<ReturnType<typeof item>>({ maxItems: 10, maxBytes: 25 });
    for (const id of [1, 2, 3]) s.push(item(id, id / 10));
    expect(s.length).toBe(2);
    expect(s.bytes).toBe(20);
    await expect(s.drain(async () => Promise.reject(new Error("link down")))).rejects.toThrow("link down");
    expect(s.length).toBe(2);
  });
});

describe("batcher", () => {
  it("runs a full batch at once and a partial one after the wait, one batch at a time", async () => {
    const runs: number[][] = [];
    let running = 0;
    const b = new Batcher<number>({ maxSize: 8, maxWaitMs: 30 }, async (batch) => {
      running++;
      expect(running).toBe(1);
      runs.push(batch);
      await new Promise((r) => setTimeout(r, 10));
      running--;
    });
    for (let i = 0; i < 11; i++) await b.add(i);
    expect(runs).toEqual([[0, 1, 2, 3, 4, 5, 6, 7]]);
    await new Promise((r) => setTimeout(r, 80));
    expect(runs[1]).toEqual([8, 9, 10]);
    expect(b.sizes[8]).toBe(1);
    expect(b.sizes[3]).toBe(1);
    expect(b.mean()).toBe(5.5);
  });
});

describeWithShared("PNG frame stream", () => {
  it("splits concatenated PNG frames arriving in arbitrary chunks", async () => {
    const photos = ["obama1.jpg", "kit_with_rose.jpg"].map((f) => shared("data", "facerec_examples", "knn_examples", "test", f));
    const pngs = await Promise.all(photos.map((p) => sharp(readFileSync(p)).resize(200).png().toBuffer()));
    const stream = Buffer.concat([...pngs, pngs[0] as Buffer]);
    async function* chunks() {
      for (let at = 0, n = 1; at < stream.length; at += n, n = (n * 7) % 4093 || 1) yield stream.subarray(at, at + n);
    }
    const out: Buffer[] = [];
    for await (const png of splitPngs(chunks())) out.push(png);
    expect(out.map((b) => b.length)).toEqual([pngs[0]?.length, pngs[1]?.length, pngs[0]?.length]);
    expect(out[1]?.equals(pngs[1] as Buffer)).toBe(true);
  });
});

/** A publisher that keeps what it is given: the edge's own work, without NATS. */
function collecting(): { published: FaceCrop[]; publisher: CropPublisher } {
  const published: FaceCrop[] = [];
  const publish = async (crop: FaceCrop) => {
    published.push(crop);
    return "published" as const;
  };
  return { published, publisher: { publish } as unknown as CropPublisher };
}

describeWithShared("edge detector on a stream", () => {
  it("scores liveness when a shot is released, not on every frame, and gates the shot on it", async () => {
    const engine = await FaceEngine.create({});
    const live = engine.liveness as NonNullable<typeof engine.liveness>;
    let scored = 0;
    let runs = 0;
    const scorePrepared = live.scorePrepared.bind(live);
    live.scorePrepared = async (inputs) => {
      scored += inputs.length;
      runs++;
      return scorePrepared(inputs);
    };
    const { published, publisher } = collecting();
    // In bbt5.jpg one real face scores 0.11 on the liveness model, under the track threshold of 0.133.
    const frame = await decodeImage(readFileSync(shared("data", "faceapi_bbt", "group", "bbt5.jpg")));
    const faces = (await engine.analyse(frame, { embed: false })).filter((f) => f.quality.score >= 0.3).length;
    // A wall-clock gap long enough that a slow machine never ends the tracks between frames: only end() does.
    const defaults = EdgeDetector.defaults("acme");
    const edge = new EdgeDetector(engine, publisher, { ...defaults, tracker: { ...defaults.tracker, maxGapMs: 60_000 } });
    for (let n = 0; n < 20; n++) await edge.frame("cam-1", frame, new Date(n * 40));
    await edge.end("cam-1");
    edge.close();
    expect(edge.counters.frames).toBe(20);
    expect(faces).toBeGreaterThanOrEqual(3);
    // One track a face over 20 frames (0.8 s): at release, each face scored on its samples (one per
    // 400 ms: 2, the first also its best shot), all in one run; one shot each.
    expect(runs).toBe(1);
    expect(scored).toBe(faces * 2);
    expect(edge.counters.rejectedLiveness).toBe(1);
    expect(published).toHaveLength(faces - 1);
    expect(published.every((c) => c.liveness >= 0.133)).toBe(true);
  });

  it("decides a track's liveness over its best shot and its recent frames, as the mean of their log-odds", async () => {
    const engine = await FaceEngine.create({});
    const live = engine.liveness as NonNullable<typeof engine.liveness>;
    // Ten frames of one NUAA capture of a real person, in frame order, as a camera sends them.
    const capture = readFileSync(shared("data", "nuaa", "splits", "real_train.txt"), "utf8")
      .split("\n")
      .filter((l) => l.includes("/0001_00_00_01_"))
      .sort((a, b) => Number(/_(\d+)\.jpg$/.exec(a)?.[1]) - Number(/_(\d+)\.jpg$/.exec(b)?.[1]))
      .slice(0, 10);
    const frames = await Promise.all(
      capture.map(async (f) => decodeImage(readFileSync(shared("data", "nuaa", "Detectedface", f)))),
    );
    // What each frame alone says: the largest face's quality and live score.
    const alone = await Promise.all(
      frames.map(async (img) => {
        const f = FaceEngine.primary(await engine.analyse(img, { embed: false })) as NonNullable<
          ReturnType<typeof FaceEngine.primary>
        >;
        return { quality: f.quality.score, score: (await live.scoreMany(img, [f.box]))[0] as number };
      }),
    );
    const { published, publisher } = collecting();
    const defaults = EdgeDetector.defaults("acme");
    const edge = new EdgeDetector(engine, publisher, {
      ...defaults,
      minLiveness: 0,
      tracker: { ...defaults.tracker, intervalMs: 60_000, maxGapMs: 60_000 },
    });
    for (const [n, img] of frames.entries()) await edge.frame("cam-1", img, new Date(n * 400));
    await edge.end("cam-1");
    edge.close();
    expect(published).toHaveLength(1);
    // The best shot (the first of the highest quality) and the last five frames, each once.
    const best = alone.findIndex((a) => a.quality === Math.max(...alone.map((x) => x.quality)));
    const used = [...new Set([best, 5, 6, 7, 8, 9])];
    expect(published[0]?.liveness).toBeCloseTo(trackLiveness(used.map((i) => alone[i]?.score as number)), 5);
    // Not what the best frame alone said: the frames disagree.
    expect(Math.abs((published[0]?.liveness as number) - (alone[best]?.score as number))).toBeGreaterThan(1e-3);
  });
});
