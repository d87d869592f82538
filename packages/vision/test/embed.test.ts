import { readFileSync } from "node:fs";
import { cosine, l2normalise } from "@facerec/common";
import { describeWithShared, LFW, shared } from "@facerec/testkit";
import { expect, it } from "vitest";
import { createSession, type Image, ModelCatalogue, makeBatchDynamic } from "../src/index.js";
import { engineFor, load } from "./engine-fixture.js";

/** The first `n` matched and `n` mismatched pairs of LFW View 1's test list. */
function devTestPairs(n: number): { a: string; b: string; same: boolean }[] {
  const lines = readFileSync(shared("data", "lfw", "pairsDevTest.txt"), "utf8")
    .trim()
    .split("\n")
    .slice(1);
  const parse = (l: string) => {
    const t = l.trim().split(/\s+/);
    return t.length === 3
      ? { a: LFW(t[0] as string, Number(t[1])), b: LFW(t[0] as string, Number(t[2])), same: true }
      : { a: LFW(t[0] as string, Number(t[1])), b: LFW(t[2] as string, Number(t[3])), same: false };
  };
  return [...lines.slice(0, n), ...lines.slice(500, 500 + n)].map(parse);
}

async function crop(path: string): Promise<Image> {
  const engine = await engineFor({ liveness: "none" });
  const [face] = await engine.analyse(await load(path), { embed: false });
  if (!face) throw new Error(`no face in ${path}`);
  return face.aligned;
}

describeWithShared("embedding", () => {
  it("scores the same person above different people on LFW pairs", async () => {
    const engine = await engineFor({ liveness: "none" });
    const pairs = devTestPairs(15);
    const scores: { s: number; same: boolean }[] = [];
    for (const p of pairs) {
      const [a, b] = await engine.embedder.embed([await crop(p.a), await crop(p.b)]);
      scores.push({ s: cosine(a as Float32Array, b as Float32Array), same: p.same });
    }
    const same = scores.filter((x) => x.same).map((x) => x.s);
    const diff = scores.filter((x) => !x.same).map((x) => x.s);
    const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
    expect(mean(same)).toBeGreaterThan(mean(diff) + 0.3);
    // At the pack's calibrated threshold, at least 28 of these 30 pairs are decided right.
    const threshold = engine.embedder.model.thresholds?.verify as number;
    const right = scores.filter((x) => x.s >= threshold === x.same).length;
    expect(right).toBeGreaterThanOrEqual(28);
  });

  it("gives unit-length vectors of the model's size", async () => {
    const engine = await engineFor({ liveness: "none" });
    const [v] = await engine.embedder.embed([await crop(LFW("Aaron_Peirsol", 1))]);
    expect(v).toHaveLength(512);
    expect(cosine(v as Float32Array, v as Float32Array)).toBeCloseTo(1, 5);
  });

  it("a batch of 8 gives the same vectors as 8 batches of 1 (max abs diff < 1e-4)", async () => {
    const engine = await engineFor({ liveness: "none" });
    const crops = await Promise.all(
      devTestPairs(2)
        .flatMap((p) => [p.a, p.b])
        .map(crop),
    );
    expect(crops).toHaveLength(8);
    const batched = await engine.embedder.runBatch(crops);
    let maxDiff = 0;
    for (let i = 0; i < 8; i++) {
      const [single] = await engine.embedder.runBatch([crops[i] as Image]);
      for (let k = 0; k < 512; k++) maxDiff = Math.max(maxDiff, Math.abs((single as Float32Array)[k]! - batched[i]![k]!));
    }
    expect(maxDiff).toBeLessThan(1e-4);
    // And the batch really held different faces.
    const unit = (v: Float32Array | undefined) => l2normalise(Float32Array.from(v ?? []));
    expect(cosine(unit(batched[0]), unit(batched[1]))).toBeLessThan(0.999);
  });

  it("the file's fixed batch of 1 refuses 8 until the graph is rewritten", async () => {
    const model = ModelCatalogue.builtIn().resolve("embedder");
    const fixed = await createSession(model.path);
    const input = new Float32Array(8 * 3 * 112 * 112);
    const { ort } = await import("../src/index.js");
    await expect(fixed.run({ input: new ort.Tensor("float32", input, [8, 3, 112, 112]) })).rejects.toThrow();
    const rewritten = makeBatchDynamic(readFileSync(model.path));
    const dynamic = await ort.InferenceSession.create(rewritten);
    const out = await dynamic.run({ input: new ort.Tensor("float32", input, [8, 3, 112, 112]) });
    expect(Object.values(out)[0]?.dims).toEqual([8, 512]);
  });

  it("flip augmentation changes the vector only a little", async () => {
    const engine = await engineFor({ liveness: "none" });
    const c = await crop(LFW("George_W_Bush", 10));
    const [plain] = await engine.embedder.embed([c]);
    const [flipped] = await engine.embedder.embed([c], { flip: true });
    const sim = cosine(plain as Float32Array, flipped as Float32Array);
    expect(sim).toBeGreaterThan(0.9);
    expect(sim).toBeLessThan(0.99999);
  });

  it("a pack's other embedder is a configuration choice: MobileFaceNet gives 128-d vectors that separate people", async () => {
    const engine = await engineFor({ liveness: "none", embedder: "mobilefacenet128" });
    const vectors = await engine.embedder.embed(
      await Promise.all([crop(LFW("Aaron_Peirsol", 1)), crop(LFW("Aaron_Peirsol", 2)), crop(LFW("George_W_Bush", 1))]),
    );
    expect(vectors[0]).toHaveLength(128);
    const same = cosine(vectors[0] as Float32Array, vectors[1] as Float32Array);
    const diff = cosine(vectors[0] as Float32Array, vectors[2] as Float32Array);
    expect(same).toBeGreaterThan(diff + 0.2);
  });
});
