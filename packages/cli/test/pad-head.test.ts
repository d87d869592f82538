import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeWithShared, gaussianNoise, shared } from "@facerec/testkit";
import { decodeImage, FaceEngine } from "@facerec/vision";
import { describe, expect, it } from "vitest";
import { evalPad, frameWindows } from "../src/commands/eval-pad.js";
import { leaveOneGroupOut } from "../src/logistic.js";
import { auc, roc } from "../src/metrics.js";

const aucOf = (scores: number[], labels: number[]): number =>
  auc(roc(scores.map((score, i) => ({ score, positive: labels[i] === 1 }))));

describe("logistic head, left-out groups", () => {
  const noise = gaussianNoise(11);
  const rows = Array.from({ length: 900 }, () => Float32Array.from({ length: 64 }, noise));
  const groups = rows.map((_, i) => String(i % 9));

  it("learns a signal it can see in people it was not fitted on", () => {
    const labels = rows.map((r) => ((r[0] as number) + 0.5 * (r[1] as number) > 0 ? 1 : 0));
    expect(aucOf(leaveOneGroupOut(rows, labels, groups, 10), labels)).toBeGreaterThan(0.95);
  });

  it("finds nothing where there is nothing: labels unrelated to the features score near chance", () => {
    const labels = rows.map(() => (noise() > 0 ? 1 : 0));
    const score = aucOf(leaveOneGroupOut(rows, labels, groups, 10), labels);
    expect(score).toBeGreaterThan(0.4);
    expect(score).toBeLessThan(0.6);
  });
});

describeWithShared("liveness head on NUAA, leaving one subject out", () => {
  it("reports the head's rates over subjects it did not learn from, beside each model's", async () => {
    // Four subjects, 15 real and 15 printed-photo crops each: a small, fixed slice of the training split.
    const split = (file: string) =>
      readFileSync(shared("data", "nuaa", "splits", file), "utf8")
        .split("\n")
        .filter((l) => /\/000[1-4]\//.test(l))
        .filter((_, i) => i % 7 === 0)
        .slice(0, 60);
    const dir = mkdtempSync(join(tmpdir(), "nuaa-"));
    const headFile = join(dir, "head.json");
    writeFileSync(join(dir, "real.txt"), split("real_train.txt").join("\n"));
    writeFileSync(join(dir, "spoof.txt"), split("spoof_train.txt").join("\n"));
    const engine = await FaceEngine.create({ liveness: "none" });
    const models = await Promise.all(["liveness128", "minifasnet"].map((id) => FaceEngine.livenessModel(id, {}, true)));
    const report = await evalPad(
      engine,
      models,
      {
        root: shared("data", "nuaa", "Detectedface"),
        real: join(dir, "real.txt"),
        spoof: join(dir, "spoof.txt"),
        concurrency: 2,
        head: true,
        writeHead: headFile,
      },
      "liveness128",
    );
    expect(report.head?.subjects).toBe(4);
    expect(report.head?.features).toBe(256);
    const chosen = report.head?.rows.find((r) => r.lambda === 10);
    expect(chosen?.auc).toBeGreaterThan(report.models[0]?.auc ?? 1);
    expect(chosen?.bpcer_at_apcer_5).toBeLessThan(report.models[0]?.bpcer_at_apcer_5 ?? 0);

    // The written head, loaded as the engine's liveness check, on subjects it never saw (0005-0009).
    const live = await FaceEngine.create({ livenessHead: headFile });
    expect(live.liveness?.id).toBe("head(liveness128+minifasnet)");
    const threshold = live.liveness?.model.thresholds?.["apcer_5e-2"] as number;
    const passed = async (file: string): Promise<number> => {
      const lines = readFileSync(shared("data", "nuaa", "splits", file), "utf8").split("\n");
      const unseen = lines.filter((l) => /\/000[5-9]\//.test(l)).filter((_, i) => i % 80 === 0);
      let pass = 0;
      for (const line of unseen) {
        const img = await decodeImage(readFileSync(shared("data", "nuaa", "Detectedface", line)));
        const face = FaceEngine.primary(await live.analyse(img, { embed: false }));
        const box = face?.box ?? { x: 0, y: 0, width: img.width, height: img.height };
        if (((await live.liveness?.score(img, box)) ?? 0) >= threshold) pass++;
      }
      return pass / unseen.length;
    };
    const [real, spoof] = [await passed("real_train.txt"), await passed("spoof_train.txt")];
    expect(real).toBeGreaterThan(spoof + 0.5);
  });

  it("refuses a file that is not a liveness head, saying so", async () => {
    const dir = mkdtempSync(join(tmpdir(), "head-"));
    writeFileSync(join(dir, "head.json"), JSON.stringify({ kind: "something-else" }));
    await expect(FaceEngine.create({ livenessHead: join(dir, "head.json") })).rejects.toThrow(/is not a facerec liveness head/);
  });
});

describe("windows of a capture's frames (--track)", () => {
  it("groups each capture's frames in frame order, drops a last partial window, and refuses other names", () => {
    const paths = ["r/0001_00_01_10.jpg", "r/0001_00_01_2.jpg", "s/0001_00_01_5.jpg", "r/0001_00_01_7.jpg", "s/0001_00_01_1.jpg"];
    // r's frames 2, 7, 10 make one window of two (2, 7) and leave 10; s's frames 1, 5 make one.
    expect(frameWindows(paths, 2)).toEqual([
      [1, 3],
      [4, 2],
    ]);
    expect(() => frameWindows(["r/face.jpg"], 2)).toThrow(/<capture>_<frame>/);
  });
});
