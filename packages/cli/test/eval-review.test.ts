import { mkdirSync, mkdtempSync, readdirSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { clusterQuality, FaceClusters } from "@facerec/gallery";
import { describeWithShared, shared } from "@facerec/testkit";
import { FaceEngine } from "@facerec/vision";
import { expect, it } from "vitest";
import { evalCluster } from "../src/commands/eval-cluster.js";
import { evalFeedback } from "../src/commands/eval-feedback.js";

/** Eight ORL people with all ten photos each (some turned, some with the eyes closed), as links. */
function orlSet(): string {
  const src = shared("data", "orl_att_faces", "png");
  const root = mkdtempSync(join(tmpdir(), "orl-"));
  for (const person of ["s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8"]) {
    mkdirSync(join(root, person));
    for (const f of readdirSync(join(src, person))) symlinkSync(join(src, person, f), join(root, person, f));
  }
  return root;
}

describeWithShared("clustering unknown faces", () => {
  it("groups eighty real faces of eight people by person, arriving mixed, with few splits and no mixing", async () => {
    const engine = await FaceEngine.create({ liveness: "none" });
    const report = await evalCluster(engine, {
      root: orlSet(),
      minImages: 10,
      settings: { join: 0.45, merge: 0.55 },
      sweep: false,
      concurrency: 2,
    });
    expect(report.people).toBe(8);
    expect(report.faces).toBeGreaterThanOrEqual(78);
    expect(report.result.pairwisePrecision).toBeGreaterThanOrEqual(0.98);
    expect(report.result.purity).toBeGreaterThanOrEqual(0.98);
    expect(report.result.pairwiseRecall).toBeGreaterThanOrEqual(0.8);
    expect(report.result.clusters).toBeLessThanOrEqual(12);
  });

  it("merges two clusters once a face bridges them, and scores clusters against the truth", () => {
    const unit = (...xs: number[]) => {
      const n = Math.hypot(...xs);
      return Float32Array.from(xs.map((x) => x / n));
    };
    const clusters = new FaceClusters({ join: 0.85, merge: 0.88 });
    expect(clusters.add("a1", unit(1, 0, 0)).created).toBe(true);
    expect(clusters.add("b1", unit(0.8, 0.6, 0)).created).toBe(true);
    // a and b (cosine 0.8) stay apart. The bridge joins a (0.95); a grown by it comes within 0.882 of b: merged.
    const bridge = clusters.add("ab", unit(0.95, 0.3, 0));
    expect(bridge.merged).toHaveLength(1);
    expect(clusters.size).toBe(1);
    expect(clusters.add("z", unit(0, 0, 1)).created).toBe(true);
    const assignment = new Map(clusters.all().flatMap((c) => c.members.map((m) => [m, c.id] as [string, string])));
    const truth = new Map([
      ["a1", "p"],
      ["b1", "p"],
      ["ab", "p"],
      ["z", "q"],
    ]);
    expect(clusterQuality(assignment, truth)).toEqual({ pairwisePrecision: 1, pairwiseRecall: 1, purity: 1, completeness: 1 });
    truth.set("b1", "r");
    expect(clusterQuality(assignment, truth).pairwisePrecision).toBeCloseTo(1 / 3);
  });
});

/** Three LFW people as links: Abdullah Gul and John Stockton enrolled, Anders Fogh Rasmussen (his look-alike) not. */
function lookAlikeSet(): string {
  const src = shared("data", "lfw", "lfw-deepfunneled");
  const root = mkdtempSync(join(tmpdir(), "lookalikes-"));
  for (const person of ["Abdullah_Gul", "Anders_Fogh_Rasmussen", "John_Stockton"]) {
    mkdirSync(join(root, person));
    for (const f of readdirSync(join(src, person))) symlinkSync(join(src, person, f), join(root, person, f));
  }
  return root;
}

describeWithShared("corrective feedback evaluation", () => {
  it("marks the look-alike's first photo wrong: his other photos stop matching, no genuine match is lost", async () => {
    const engine = await FaceEngine.create({ liveness: "none" });
    const report = await evalFeedback(engine, { root: lookAlikeSet(), minImages: 4, enrol: 2, margins: [0], concurrency: 2 });
    expect([report.enrolled, report.impostors, report.marked]).toEqual([2, 1, 1]);
    const [row] = report.rows;
    expect(row?.recurring.before).toBe(3);
    expect(row?.recurring.after).toBe(0);
    expect(row?.genuine.after).toBe(row?.genuine.before);
    expect(row?.genuine.before).toBeGreaterThanOrEqual(report.genuineProbes - 2);
  });
});
