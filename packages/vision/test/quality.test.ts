import { describeWithShared, LFW } from "@facerec/testkit";
import sharp from "sharp";
import { expect, it } from "vitest";
import { decodeImage } from "../src/index.js";
import { engineFor, load } from "./engine-fixture.js";

describeWithShared("quality", () => {
  it("a blurred copy of a face scores lower sharpness and quality than the original", async () => {
    const engine = await engineFor({ liveness: "none" });
    const bytes = (await import("node:fs")).readFileSync(LFW("Serena_Williams", 3));
    const [sharp0] = await engine.analyse(await decodeImage(bytes), { embed: false });
    const blurred = await decodeImage(await sharp(bytes).blur(3).jpeg().toBuffer());
    const [soft] = await engine.analyse(blurred, { embed: false });
    expect(soft?.quality.sharpness).toBeLessThan((sharp0?.quality.sharpness ?? 0) / 2);
    expect(soft?.quality.score).toBeLessThan(sharp0?.quality.score ?? 0);
  });

  it("a frontal face reads near-zero yaw and a combined score in 0..1", async () => {
    const engine = await engineFor({ liveness: "none" });
    const [face] = await engine.analyse(await load(LFW("Aaron_Peirsol", 1)), { embed: false });
    expect(Math.abs(face?.quality.yaw ?? 1)).toBeLessThan(0.15);
    expect(face?.quality.score).toBeGreaterThan(0);
    expect(face?.quality.score).toBeLessThanOrEqual(1);
  });

  it("a downscaled face reports its smaller size", async () => {
    const engine = await engineFor({ liveness: "none" });
    const bytes = (await import("node:fs")).readFileSync(LFW("Aaron_Peirsol", 1));
    const small = await decodeImage(await sharp(bytes).resize(100, 100).png().toBuffer());
    const [full] = await engine.analyse(await decodeImage(bytes), { embed: false });
    const [tiny] = await engine.analyse(small, { embed: false });
    expect(tiny?.quality.faceSize).toBeLessThan((full?.quality.faceSize ?? 0) * 0.6);
  });
});
