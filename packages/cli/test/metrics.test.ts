import { describe, expect, it } from "vitest";
import { accuracyAt, auc, bestThreshold, bpcerAtApcer, equalErrorRate, padRates, roc, tarAtFar } from "../src/metrics.js";

// Ten genuine and ten impostor scores with a known overlap: two impostors outscore two genuines.
const genuine = [0.9, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6, 0.55, 0.3, 0.25].map((score) => ({ score, positive: true }));
const impostor = [0.5, 0.45, 0.4, 0.35, 0.2, 0.15, 0.1, 0.05, 0.0, -0.1].map((score) => ({ score, positive: false }));
const all = [...genuine, ...impostor];

describe("verification metrics", () => {
  it("finds the threshold with the best accuracy, between two scores", () => {
    const t = bestThreshold(all);
    expect(t).toBeGreaterThan(0.5);
    expect(t).toBeLessThan(0.55);
    expect(accuracyAt(all, t)).toBeCloseTo(18 / 20);
  });

  it("builds a monotone ROC from (0,0) to (1,1)", () => {
    const curve = roc(all);
    expect(curve[0]).toMatchObject({ far: 0, tar: 0 });
    expect(curve.at(-1)).toMatchObject({ far: 1, tar: 1 });
    for (let i = 1; i < curve.length; i++) {
      expect(curve[i]!.far).toBeGreaterThanOrEqual(curve[i - 1]!.far);
      expect(curve[i]!.tar).toBeGreaterThanOrEqual(curve[i - 1]!.tar);
    }
  });

  it("reads TAR at a FAR and the EER off the curve", () => {
    const curve = roc(all);
    expect(tarAtFar(curve, 0)).toBeCloseTo(0.8);
    expect(tarAtFar(curve, 0.1)).toBeCloseTo(0.8);
    expect(tarAtFar(curve, 0.2)).toBeCloseTo(0.8);
    expect(tarAtFar(curve, 0.4)).toBeCloseTo(1);
    expect(equalErrorRate(curve)).toBeGreaterThan(0.1);
    expect(equalErrorRate(curve)).toBeLessThanOrEqual(0.2);
    // Eight of the hundred genuine-impostor pairings are out of order (two genuines below four impostors).
    expect(auc(curve)).toBeCloseTo(1 - 8 / 100);
  });
});

describe("presentation attack metrics", () => {
  it("counts accepted attacks as APCER and rejected bona fides as BPCER", () => {
    const r = padRates(all, 0.5);
    expect(r.apcer).toBeCloseTo(1 / 10);
    expect(r.bpcer).toBeCloseTo(2 / 10);
    expect(r.acer).toBeCloseTo(0.15);
  });

  it("finds BPCER at the strictest APCER bound", () => {
    const r = bpcerAtApcer(all, 0.05);
    expect(r.apcer).toBe(0);
    expect(r.bpcer).toBeCloseTo(0.2);
  });
});
