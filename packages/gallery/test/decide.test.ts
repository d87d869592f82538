import { describe, expect, it } from "vitest";
import { aggregate, DEFAULT_POLICY, decide, thresholdAtFmr, thresholdShift } from "../src/index.js";

const hits = [
  { id: "a1", subject: "alice", score: 0.62 },
  { id: "b1", subject: "bob", score: 0.55 },
  { id: "a2", subject: "alice", score: 0.4 },
  { id: "c1", subject: "carol", score: 0.2 },
];

describe("decisions", () => {
  it("aggregates template scores per subject by max or by the mean of the best two", () => {
    expect(aggregate(hits, "max").get("alice")).toBeCloseTo(0.62);
    expect(aggregate(hits, "mean-top2").get("alice")).toBeCloseTo(0.51);
    expect(aggregate(hits, "mean-top2").get("bob")).toBeCloseTo(0.55);
  });

  it("matches the subject furthest above its own threshold, not the highest raw score", () => {
    const thresholds: Record<string, number> = { alice: 0.65, bob: 0.4, carol: 0.3 };
    const d = decide(hits, (s) => thresholds[s] as number, DEFAULT_POLICY);
    expect(d.outcome).toBe("match");
    if (d.outcome !== "match") return;
    expect(d.subject).toBe("bob");
    expect(d.threshold).toBe(0.4);
    expect(d.margin).toBeCloseTo(0.15 - -0.03);
    expect(d.candidates.map((c) => c.subject)).toEqual(["bob", "alice", "carol"]);
  });

  it("answers unknown when nobody clears their threshold, with the nearest candidates for review", () => {
    const d = decide(hits, () => 0.7, DEFAULT_POLICY);
    expect(d.outcome).toBe("unknown");
    if (d.outcome !== "unknown") return;
    expect(d.score).toBeCloseTo(0.62);
    expect(d.candidates[0]?.subject).toBe("alice");
  });

  it("answers unknown when two subjects are too close to call", () => {
    const d = decide(hits, () => 0.3, { ...DEFAULT_POLICY, minMargin: 0.1 });
    expect(d.outcome).toBe("unknown");
  });

  it("rejects on quality, then liveness, before looking at scores", () => {
    expect(decide(hits, () => 0, DEFAULT_POLICY, { quality: 0.01, liveness: 0.01 }).outcome).toBe("rejected-quality");
    expect(decide(hits, () => 0, DEFAULT_POLICY, { quality: 0.9, liveness: 0.01 }).outcome).toBe("rejected-spoof");
    expect(decide([], () => 0, DEFAULT_POLICY).outcome).toBe("unknown");
  });
});

describe("thresholds", () => {
  it("calibrates the global threshold so that at most the target share of impostors pass", () => {
    const impostors = Array.from({ length: 10_000 }, (_, i) => i / 10_000);
    const t = thresholdAtFmr(impostors, 1e-3);
    expect(impostors.filter((s) => s >= t).length).toBeLessThanOrEqual(10);
    expect(impostors.filter((s) => s >= t - 2e-4).length).toBeGreaterThan(10);
    expect(() => thresholdAtFmr(impostors.slice(0, 100), 1e-3)).toThrow(/cannot calibrate/);
  });

  it("shifts a subject's threshold up with its impostor closeness, within the cap", () => {
    const rule = { impostorWeight: 0.5, agreementWeight: 0.2, maxShift: 0.1 };
    const base = { subject: "s", templates: 3, agreement: 1 };
    expect(thresholdShift({ ...base, impostorMean: 0.3 }, 0.2, rule)).toBeCloseTo(0.05);
    expect(thresholdShift({ ...base, impostorMean: 0.1 }, 0.2, rule)).toBeCloseTo(-0.05);
    expect(thresholdShift({ ...base, impostorMean: 0.9 }, 0.2, rule)).toBeCloseTo(0.1);
    expect(thresholdShift({ ...base, agreement: 0.5, impostorMean: 0.2 }, 0.2, rule)).toBeCloseTo(-0.1);
  });
});
