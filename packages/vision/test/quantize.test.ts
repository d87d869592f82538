import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cosine } from "@facerec/common";
import { describeWithShared, LFW, shared } from "@facerec/testkit";
import onnxProto from "onnx-proto";
import { afterAll, expect, it } from "vitest";
import { calibrate, Embedder, type Image, ModelCatalogue, makeBatchDynamic, ort, quantizeQdq, writeNchw } from "../src/index.js";
import { engineFor, load } from "./engine-fixture.js";

const { onnx } = onnxProto;
const dir = mkdtempSync(join(tmpdir(), "quantize-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Aligned crops of the first image of `count` LFW people from `offset` in peopleDevTrain's order. */
async function crops(offset: number, count: number): Promise<Image[]> {
  const engine = await engineFor({ liveness: "none" });
  const people = readFileSync(shared("data", "lfw", "peopleDevTrain.txt"), "utf8")
    .split("\n")
    .slice(1 + offset, 1 + offset + count)
    .map((l) => l.split("\t")[0] as string);
  const out: Image[] = [];
  for (const person of people) {
    const [face] = await engine.analyse(await load(LFW(person, 1)), { embed: false });
    if (face) out.push(face.aligned);
  }
  return out;
}

describeWithShared("int8 quantisation of the embedder", () => {
  it("fuses into int8 convolutions and keeps each face's embedding close to fp32's on faces it was not calibrated on", async () => {
    const model = ModelCatalogue.builtIn().resolve("embedder");
    const { width, height } = model.input;
    const calibration = (await crops(0, 24)).map((c) => {
      const t = new Float32Array(3 * width * height);
      writeNchw(c, model.input, t, 0);
      return t;
    });
    const fp32 = readFileSync(model.path);
    const int8 = quantizeQdq(fp32, await calibrate(fp32, calibration, [1, 3, height, width]));

    // ONNX Runtime turns every Conv with its QuantizeLinear/DequantizeLinear pairs into QLinearConv.
    const optimised = join(dir, "optimised.onnx");
    await ort.InferenceSession.create(int8, { optimizedModelFilePath: optimised, graphOptimizationLevel: "extended" });
    const ops = onnx.ModelProto.decode(readFileSync(optimised)).graph?.node?.map((n) => n.opType) ?? [];
    const convs = onnx.ModelProto.decode(fp32).graph?.node?.filter((n) => n.opType === "Conv").length ?? 0;
    expect(convs).toBeGreaterThan(0);
    expect(ops.filter((o) => o === "QLinearConv")).toHaveLength(convs);
    expect(ops).not.toContain("Conv");

    const held = await crops(100, 12);
    const embedder = async (bytes: Uint8Array) =>
      new Embedder(await ort.InferenceSession.create(makeBatchDynamic(bytes)), model, 8);
    const a = await (await embedder(fp32)).embed(held);
    const b = await (await embedder(int8)).embed(held);
    expect(Math.min(...a.map((v, i) => cosine(v, b[i] as Float32Array)))).toBeGreaterThan(0.95);
    // People stay apart: each face's int8 embedding is nearest its own fp32 one.
    for (const [i, v] of b.entries()) {
      const scores = a.map((u) => cosine(u, v));
      expect(scores.indexOf(Math.max(...scores))).toBe(i);
    }
  });
});
