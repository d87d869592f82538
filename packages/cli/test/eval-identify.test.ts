import { mkdirSync, mkdtempSync, readdirSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { subjectTailOf, thresholdForTarget } from "@facerec/gallery";
import { describeWithShared, shared } from "@facerec/testkit";
import { FaceEngine } from "@facerec/vision";
import { describe, expect, it } from "vitest";
import { evalIdentify, type OperatingRow } from "../src/commands/eval-identify.js";
import { splitForIdentification } from "../src/identify-split.js";
import { rateRule, ruleGrid } from "../src/rule-search.js";

/**
 * A folder-per-person set built from links into faceapi_bbt: six characters with all five photos,
 * and two with a single photo (never enrolled, so non-mated probes).
 */
function bbtSet(): string {
  const src = shared("data", "faceapi_bbt", "identities");
  const root = mkdtempSync(join(tmpdir(), "bbt-"));
  readdirSync(src)
    .sort()
    .forEach((person, i) => {
      mkdirSync(join(root, person));
      const files = readdirSync(join(src, person)).sort();
      for (const f of i < 6 ? files : files.slice(0, 1)) symlinkSync(join(src, person, f), join(root, person, f));
    });
  return root;
}

/** The evaluation's settings on bbtSet(): two photos enrol each of the six. */
const bbtEval = () => ({
  root: bbtSet(),
  enrol: 2,
  concurrency: 2,
  cohort: 3,
  rule: { impostorWeight: 0.5, agreementWeight: 0, maxShift: 0.1 },
});

describeWithShared("open-set identification evaluation", () => {
  it("splits people into enrolled, mated probes and never-enrolled non-mated probes", () => {
    const split = splitForIdentification(bbtSet(), 2);
    expect(split.gallery.size).toBe(6);
    expect([...split.gallery.values()].every((files) => files.length === 2)).toBe(true);
    expect(split.mated).toHaveLength(18);
    expect(split.nonMated).toHaveLength(2);
    // A people list keeps its people alone (the held-out half of a calibration).
    const only = splitForIdentification(bbtSet(), 2, new Set(["howard", "leonard"]));
    expect([...only.gallery.keys()].sort()).toEqual(["howard", "leonard"]);
    expect(only.mated).toHaveLength(6);
  });

  it("reports rank-1 and FNIR at FPIR for the global and the adaptive rule", async () => {
    const engine = await FaceEngine.create({ liveness: "none" });
    const report = await evalIdentify(engine, { ...bbtEval(), aggregation: "max", index: "ann" });
    // Through graphs from the first template, every probe got the exact index's candidates and decision.
    expect(report.ann).toEqual({ probes: 20, same_candidates: 20, same_decisions: 20 });
    expect(report.enrolled).toBe(6);
    expect(report.mated_probes).toBe(18);
    expect(report.non_mated_probes).toBe(2);
    expect(report.rank1.global).toBeGreaterThanOrEqual(0.8);
    expect(report.rank5.global).toBeGreaterThanOrEqual(report.rank1.global);
    // The operating point is read at the threshold the product sets for six enrolled people.
    const tail = subjectTailOf(engine.embedder.model.thresholds);
    if (!tail) throw new Error("the default pack has no subject tail");
    const operating = report.operating as NonNullable<typeof report.operating>;
    expect(operating.targets.map((t) => t.target)).toEqual([1e-3, 1e-2, 1e-4]);
    for (const t of operating.targets) expect(t.threshold).toBeCloseTo(thresholdForTarget(tail, t.target, 6), 12);
    expect(operating).toMatchObject({ subjects: 6, target: 1e-3, people: "every person under the root" });
    const [at3, at2, at4] = operating.targets as [OperatingRow, OperatingRow, OperatingRow];
    // A stricter target names no more strangers and misses no fewer enrolled people.
    expect(at2.fpir).toBeGreaterThanOrEqual(at3.fpir);
    expect(at4.fnir).toBeGreaterThanOrEqual(at3.fnir);
    expect(at3.fnir).toBeGreaterThanOrEqual(at2.fnir);
    for (const key of ["fnir_at_fpir_1e-2", "fnir_at_fpir_1e-3"] as const) {
      expect(report[key].global).toBeGreaterThanOrEqual(0);
      expect(report[key].adaptive).toBeLessThanOrEqual(1);
    }
    // A wider review margin keeps at least what a narrower one kept, of matches the rule made.
    const margins = report.low_margin_review;
    expect(margins.map((m) => m.margin)).toEqual([0.02, 0.05, 0.1]);
    for (let i = 1; i < margins.length; i++) {
      expect(margins[i]?.true_matches_kept).toBeGreaterThanOrEqual(margins[i - 1]?.true_matches_kept ?? 0);
      expect(margins[i]?.false_matches_kept).toBeGreaterThanOrEqual(margins[i - 1]?.false_matches_kept ?? 0);
    }
    expect(margins[0]?.true_matches).toBeGreaterThan(0);
    expect(margins[0]?.true_matches_kept).toBeLessThanOrEqual(margins[0]?.true_matches ?? 0);
  });

  it("with --asnorm, makes every other stranger the cohort, not a probe, and reports the normalised rule", async () => {
    const engine = await FaceEngine.create({ liveness: "none" });
    const report = await evalIdentify(engine, { ...bbtEval(), aggregation: "centroid", index: "exact", asNorm: 1 });
    // Two never-enrolled people: the first (by name) is the cohort, the other's photo the one non-mated probe.
    expect(report.non_mated_probes).toBe(1);
    expect(report.asnorm).toMatchObject({ top_k: 1, cohort_images: 1 });
    expect(report.asnorm?.rank1).toBeGreaterThanOrEqual(0.8);
    expect(report.asnorm?.rank5).toBeGreaterThanOrEqual(report.asnorm?.rank1 ?? 1);
  });

  it("with --search-rules, searches normalisation rules in sample and on held-out halves of the people", async () => {
    const engine = await FaceEngine.create({ liveness: "none" });
    const report = await evalIdentify(engine, {
      ...bbtEval(),
      aggregation: "centroid",
      index: "exact",
      asNorm: 1,
      searchRules: true,
    });
    const search = report.rule_search;
    expect(search?.rules).toBe(ruleGrid().length);
    // On the same probes, the global rule's rates are the report's own.
    expect(search?.global["fnir_at_fpir_1e-2"]).toBeCloseTo(report["fnir_at_fpir_1e-2"].global, 9);
    expect(search?.global.rank1).toBeCloseTo(report.rank1.global, 9);
    // The global rule is a point of the grid: the best rule chosen on every probe is never worse.
    expect(search?.in_sample.rates["fnir_at_fpir_1e-2"]).toBeLessThanOrEqual(search?.global["fnir_at_fpir_1e-2"] ?? 0);
    expect(search?.in_sample.rates["fnir_at_fpir_1e-3"]).toBeLessThanOrEqual(search?.global["fnir_at_fpir_1e-3"] ?? 0);
    expect(search?.held_out).toHaveLength(2);
  });
});

describe("rule search", () => {
  const candidate = (subject: string, score: number, subjectCohort: number) => ({
    subject,
    score,
    subjectCohort,
    probeCohort: 0.1,
    agreement: 1,
    bestTemplate: score,
  });
  it("decides each probe by its best candidate under the rule, and counts a wrong first as a miss", () => {
    // Subject b draws strangers (cohort mean 0.4): the global rule names b for a probe of a, and a
    // stranger scores 0.45 on b. Taking the subject's cohort mean off fixes both.
    const probes = [
      { truth: "a", person: "a", candidates: [candidate("b", 0.5, 0.4), candidate("a", 0.48, 0.1)] },
      { truth: "a", person: "a", candidates: [candidate("a", 0.6, 0.1), candidate("b", 0.2, 0.4)] },
      { truth: null, person: "x", candidates: [candidate("b", 0.45, 0.4), candidate("a", 0.1, 0.1)] },
    ];
    const none = { gap: 0, subject: 0, probe: 0, agreement: 0, template: 0 };
    expect(rateRule(probes, none)).toEqual({ rank1: 0.5, "fnir_at_fpir_1e-2": 0.5, "fnir_at_fpir_1e-3": 0.5 });
    expect(rateRule(probes, { ...none, subject: 1 })).toEqual({ rank1: 1, "fnir_at_fpir_1e-2": 0, "fnir_at_fpir_1e-3": 0 });
  });
});
