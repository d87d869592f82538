import { readFileSync } from "node:fs";
import { describeWithShared, shared } from "@facerec/testkit";
import { expect, it } from "vitest";
import { FaceEngine } from "../src/index.js";
import { engineFor, load } from "./engine-fixture.js";

/** Every 40th file of a NUAA training list: a spread over subjects and sessions. */
function nuaa(list: "real_train.txt" | "spoof_train.txt"): string[] {
  return readFileSync(shared("data", "nuaa", "splits", list), "utf8")
    .trim()
    .split("\n")
    .filter((_, i) => i % 40 === 0)
    .map((p) => shared("data", "nuaa", "Detectedface", p.trim()));
}

async function meanLiveness(modelId: string, paths: string[]): Promise<number> {
  const engine = await engineFor({ liveness: "none" });
  const model = await FaceEngine.livenessModel(modelId);
  let sum = 0;
  for (const path of paths) {
    const img = await load(path);
    const [face] = await engine.detect(img);
    sum += await model.score(img, face?.box ?? { x: 0, y: 0, width: img.width, height: img.height });
  }
  return sum / paths.length;
}

describeWithShared("liveness", () => {
  for (const id of ["liveness128", "minifasnet"]) {
    it(`${id} scores real NUAA faces as more live than printed photos`, async () => {
      const real = await meanLiveness(id, nuaa("real_train.txt"));
      const spoof = await meanLiveness(id, nuaa("spoof_train.txt"));
      expect(real).toBeGreaterThan(spoof);
    });
  }

  it("takes its crop at the model's scale around the face, inside the frame", async () => {
    const engine = await engineFor({});
    const img = await load(shared("data", "antispoof_samples", "vietmoney", "true_001.jpg"));
    const [face] = await engine.detect(img);
    expect(face).toBeDefined();
    const model = await FaceEngine.livenessModel(undefined);
    const crop = model.crop(img, face?.box ?? { x: 0, y: 0, width: 1, height: 1 });
    expect([crop?.width, crop?.height]).toEqual([128, 128]);
    const faces = await engine.analyse(img, { liveness: true, embed: false });
    expect(faces[0]?.liveness).toBeGreaterThanOrEqual(0);
    expect(faces[0]?.liveness).toBeLessThanOrEqual(1);
  });
});
