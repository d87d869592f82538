import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeWithShared } from "@facerec/testkit";
import { FaceEngine } from "@facerec/vision";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileGalleryStore, Gallery, subjectTailOf, thresholdForTarget } from "../src/index.js";
import { type FaceVector, knnTrainVectors } from "./faces.js";

const tail = [
  { fmr: 1e-2, threshold: 0.25 },
  { fmr: 1e-3, threshold: 0.35 },
  { fmr: 1e-4, threshold: 0.43 },
  { fmr: 1e-5, threshold: 0.5 },
];

describe("a threshold set for the gallery's size", () => {
  it("reads the subject tail at target / subjects, in log10 of the rate", () => {
    expect(thresholdForTarget(tail, 1e-3, 1)).toBeCloseTo(0.35, 12);
    expect(thresholdForTarget(tail, 1e-2, 10)).toBeCloseTo(0.35, 12);
    // Half a decade between 1e-3 and 1e-4 is half the way between their thresholds.
    expect(thresholdForTarget(tail, 1e-3, Math.sqrt(10))).toBeCloseTo(0.39, 12);
    // Beyond the lowest rate the last decade's slope goes on; above the highest, the first's.
    expect(thresholdForTarget(tail, 1e-3, 1000)).toBeCloseTo(0.57, 12);
    expect(thresholdForTarget(tail, 1e-1, 1)).toBeCloseTo(0.15, 12);
  });

  it("takes the tail from a manifest's subject_fmr_* entries, none from fewer than two", () => {
    expect(subjectTailOf({ "fmr_1e-3": 0.3, "subject_fmr_1e-2": 0.25, "subject_fmr_1e-3": 0.35 })).toEqual(tail.slice(0, 2));
    expect(subjectTailOf({ "subject_fmr_1e-3": 0.35 })).toBeUndefined();
    expect(subjectTailOf(undefined)).toBeUndefined();
  });
});

describeWithShared("a gallery whose threshold follows its size", () => {
  let engine: FaceEngine;
  let gallery: Gallery;
  let vectors: FaceVector[];
  const dir = mkdtempSync(join(tmpdir(), "facerec-sized-"));
  beforeAll(async () => {
    engine = await FaceEngine.create({ liveness: "none" });
    vectors = await knnTrainVectors();
    const packTail = subjectTailOf(engine.embedder.model.thresholds);
    if (!packTail) throw new Error("the default pack has no subject tail");
    gallery = await Gallery.open({
      dims: engine.embedder.dims,
      store: await FileGalleryStore.open(dir, engine.embedder.dims),
      thresholds: {
        global: (subjects) => thresholdForTarget(packTail, 1e-3, subjects),
        adaptive: false,
        rule: { impostorWeight: 0, agreementWeight: 0, maxShift: 0 },
        cohort: 3,
      },
    });
  });
  afterAll(async () => {
    await gallery.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("raises the identification threshold as people are enrolled; a 1:1 claim stays at one", async () => {
    const tail = subjectTailOf(engine.embedder.model.thresholds) as NonNullable<ReturnType<typeof subjectTailOf>>;
    const model = engine.embedder.id;
    const people = [...new Set(vectors.map((v) => v.person))];
    const seen: number[] = [];
    for (const person of people) {
      const subject = await gallery.createSubject("t", person, {});
      const own = vectors.filter((v) => v.person === person);
      await gallery.enrol(
        "t",
        subject.id,
        model,
        own.map((v) => ({ vector: v.vector, quality: 1 })),
      );
      const threshold = gallery.thresholdOf("t", model, subject.id);
      expect(threshold).toBeCloseTo(thresholdForTarget(tail, 1e-3, seen.length + 1), 12);
      seen.push(threshold);
      const verified = await gallery.verify("t", model, subject.id, (own[0] as FaceVector).vector);
      expect(verified.threshold).toBeCloseTo(thresholdForTarget(tail, 1e-3, 1), 12);
      expect(verified.match).toBe(true);
    }
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(seen.at(-1)).toBeGreaterThan(seen[0] as number);
    expect(gallery.thresholdIsSized("t", model)).toBe(true);
  });
});
