import { readFileSync } from "node:fs";
import { basename, dirname } from "node:path";
import { cosine } from "@facerec/common";
import {
  type AdaptiveRule,
  type Aggregation,
  aggregate,
  EmbeddedIndex,
  meanPairwise,
  SubjectThresholds,
  subjectTailOf,
  thresholdForTarget,
} from "@facerec/gallery";
import type { FaceEngine } from "@facerec/vision";
import { embedFiles } from "../embed-files.js";
import type { EmbeddingCache } from "../embedding-cache.js";
import { splitForIdentification } from "../identify-split.js";
import { Progress } from "../progress.js";
import { type CandidateFeatures, type RuleSearchReport, type SearchProbe, searchRules } from "../rule-search.js";

export interface IdentifyEvalOptions {
  root: string;
  enrol: number;
  concurrency: number;
  aggregation: Aggregation;
  rule: AdaptiveRule;
  cohort: number;
  /**
   * "ann" searches templates and centroids through the approximate index (a graph from the first
   * template) and checks every probe's candidates against the exact index's.
   */
  index: "exact" | "ann";
  /**
   * Also score by adaptive score normalisation against an impostor cohort: every other never-enrolled
   * person (by name) becomes the cohort and leaves the probes, and a candidate's score loses the mean
   * of the subject's and the probe's `asNorm` best cohort scores. All rules are then reported on the
   * probes left.
   */
  asNorm?: number;
  /**
   * With asNorm: also search a grid of normalisation rules over the cohort's and the gallery's
   * statistics (see rule-search.ts), in sample and on held-out halves of the people.
   */
  searchRules?: boolean;
  /**
   * Only the people of this LFW people list (a count line, then `Name<TAB>images`): those the pack's
   * thresholds were not calibrated on (`peopleDevTest.txt`), so the operating point is read out of sample.
   */
  people?: string;
  cache?: EmbeddingCache;
}

/** The product's target rates the operating point is read at; the product's default comes first. */
const OPERATING_TARGETS = [1e-3, 1e-2, 1e-4];

/** What the product's own threshold for a target does: strangers named (FPIR) and mated probes missed (FNIR). */
export interface OperatingRow {
  target: number;
  threshold: number;
  fpir: number;
  fnir: number;
}

/** The operating point at the product's default target, with the other targets beside it. */
export interface OperatingReport extends OperatingRow {
  /** Enrolled subjects: the gallery size the threshold was set for. */
  subjects: number;
  /** Whose probes these are: a people list the thresholds were not calibrated on, or every person under the root. */
  people: string;
  targets: OperatingRow[];
}

/** How the approximate index's candidates compared with the exact index's, probe by probe. */
export interface AnnAgreement {
  probes: number;
  /** Probes whose candidate list (subjects, order and scores to 1e-6) was the exact index's. */
  same_candidates: number;
  /** Probes given the exact index's decision (who, or no one; adaptive rule at FPIR 1%). */
  same_decisions: number;
}

/** For one probe: its candidates (subject, raw score, threshold shift), best first by raw score. */
interface ProbeResult {
  truth: string | null;
  /** What the rule search may use of the best candidates (with searchRules). */
  features?: CandidateFeatures[];
  candidates: { subject: string; score: number; shift: number }[];
  /** The same candidates' scores after adaptive score normalisation (with --asnorm). */
  normalised?: { subject: string; score: number; shift: number }[];
}

export interface RuleReport {
  rank1: number;
  rank5: number;
  "fnir_at_fpir_1e-2": number;
  "fnir_at_fpir_1e-3": number;
  "threshold_at_fpir_1e-2": number;
}

/**
 * What a review margin would send to an operator, at the adaptive rule's FPIR 1% threshold: of the
 * matches the rule makes, the share of wrong ones (a stranger or the wrong person named) and of right
 * ones that clear their threshold, or the runner-up, by less than `margin`.
 */
export interface LowMarginRow {
  margin: number;
  false_matches: number;
  false_matches_kept: number;
  true_matches: number;
  true_matches_kept: number;
}

/** Candidates of each probe the rule search weighs: the five best by score. */
const RULE_SEARCH_CANDIDATES = 5;

/** The review margins the report is printed for; the default (DEFAULT_LOW_MARGIN) is among them. */
const REVIEW_MARGINS = [0.02, 0.05, 0.1];

function lowMarginReport(results: ProbeResult[], threshold: number): LowMarginRow[] {
  const matches = results.flatMap((r) => {
    const leads = ranked(r, true).map((c) => ({ subject: c.subject, lead: adjusted(c, true) - threshold }));
    const [best, second] = leads;
    if (!best || best.lead < 0) return [];
    return [{ right: best.subject === r.truth, lead: best.lead, ahead: best.lead - (second?.lead ?? Number.NEGATIVE_INFINITY) }];
  });
  return REVIEW_MARGINS.map((margin) => {
    const kept = (m: (typeof matches)[number]) => m.lead < margin || m.ahead < margin;
    const wrong = matches.filter((m) => !m.right);
    const right = matches.filter((m) => m.right);
    return {
      margin,
      false_matches: wrong.length,
      false_matches_kept: wrong.filter(kept).length,
      true_matches: right.length,
      true_matches_kept: right.filter(kept).length,
    };
  });
}

export interface IdentifyReport {
  rank1: { global: number; adaptive: number };
  rank5: { global: number; adaptive: number };
  "fnir_at_fpir_1e-2": { global: number; adaptive: number };
  "fnir_at_fpir_1e-3": { global: number; adaptive: number };
  global: RuleReport;
  adaptive: RuleReport;
  /** The review queue's low margin, weighed (adaptive rule, FPIR 1% threshold). */
  low_margin_review: LowMarginRow[];
  enrolled: number;
  templates: number;
  mated_probes: number;
  non_mated_probes: number;
  failures: number;
  aggregation: Aggregation;
  rule: AdaptiveRule;
  ann?: AnnAgreement;
  /** At the threshold the product uses (undefined when the embedder's pack has no subject tail). */
  operating?: OperatingReport;
  /** The global rule on normalised scores, with the cohort's size (with --asnorm). */
  asnorm?: RuleReport & { top_k: number; cohort_images: number };
  /** The normalisation rules searched (with --search-rules). */
  rule_search?: RuleSearchReport;
  seconds: number;
}

/** Score a probe against a subject after its threshold shift: comparing these is comparing margins. */
const adjusted = (c: { score: number; shift: number }, adaptive: boolean): number => (adaptive ? c.score - c.shift : c.score);

function ranked(p: ProbeResult, adaptive: boolean) {
  return [...p.candidates].sort((a, b) => adjusted(b, adaptive) - adjusted(a, adaptive));
}

/**
 * FNIR at a target FPIR (ISO/IEC 19795-1 open-set terms): the threshold is the lowest that lets at most
 * `fpir` of non-mated probes return anyone; a mated probe is a miss unless its true subject ranks first
 * and clears it. Probes with no detected face return no one.
 */
function fnirAtFpir(results: ProbeResult[], fpir: number, adaptive: boolean): { fnir: number; threshold: number } {
  const top = (p: ProbeResult): number => {
    const best = ranked(p, adaptive)[0];
    return best ? adjusted(best, adaptive) : Number.NEGATIVE_INFINITY;
  };
  const nonMated = results
    .filter((r) => r.truth === null)
    .map(top)
    .sort((a, b) => b - a);
  const allowed = Math.floor(nonMated.length * fpir);
  const threshold = (nonMated[allowed] ?? Number.NEGATIVE_INFINITY) + 1e-9;
  const mated = results.filter((r) => r.truth !== null);
  const misses = mated.filter((r) => {
    const best = ranked(r, adaptive)[0];
    return !best || best.subject !== r.truth || adjusted(best, adaptive) < threshold;
  }).length;
  return { fnir: misses / Math.max(1, mated.length), threshold };
}

/** The names of an LFW people list (a count line, then `Name<TAB>images` lines). */
function peopleOf(list: string): Set<string> {
  const lines = readFileSync(list, "utf8").trim().split(/\r?\n/).slice(1);
  return new Set(lines.map((l) => l.trim().split(/\s+/)[0] ?? ""));
}

/** Each target's threshold as the product sets it, and what the adaptive rule decides there. */
function operatingReport(
  results: readonly ProbeResult[],
  thresholdOf: (target: number) => number,
  subjects: number,
  people: string,
): OperatingReport {
  const mated = results.filter((r) => r.truth !== null);
  const nonMated = results.filter((r) => r.truth === null);
  const targets = OPERATING_TARGETS.map((target): OperatingRow => {
    const threshold = thresholdOf(target);
    return {
      target,
      threshold,
      fpir: nonMated.filter((r) => decisionOf(r, threshold) !== null).length / Math.max(1, nonMated.length),
      fnir: mated.filter((r) => decisionOf(r, threshold) !== r.truth).length / Math.max(1, mated.length),
    };
  });
  return { ...(targets[0] as OperatingRow), subjects, people, targets };
}

function rankRate(results: ProbeResult[], rank: number, adaptive: boolean): number {
  const mated = results.filter((r) => r.truth !== null);
  const hits = mated.filter((r) =>
    ranked(r, adaptive)
      .slice(0, rank)
      .some((c) => c.subject === r.truth),
  ).length;
  return hits / Math.max(1, mated.length);
}

/** The decision a probe gets at a threshold: the best-adjusted subject clearing it, or no one. */
function decisionOf(p: ProbeResult, threshold: number): string | null {
  const best = ranked(p, true)[0];
  return best && adjusted(best, true) >= threshold ? best.subject : null;
}

/**
 * Each index's decisions at its own FPIR 1% threshold: that threshold sits 1e-9 above a non-mated
 * probe's score, closer than float32 arithmetic repeats itself (the exact index scores on ONNX
 * Runtime's GEMM, the approximate one re-scores in JavaScript), so one shared threshold would compare
 * rounding, not decisions.
 */
function annAgreement(exact: ProbeResult[], approximate: ProbeResult[]): AnnAgreement {
  const exactAt = fnirAtFpir(exact, 1e-2, true).threshold;
  const approximateAt = fnirAtFpir(approximate, 1e-2, true).threshold;
  const same = (a: ProbeResult, b: ProbeResult): boolean =>
    a.candidates.length === b.candidates.length &&
    a.candidates.every((c, i) => {
      const d = b.candidates[i];
      return d !== undefined && c.subject === d.subject && Math.abs(c.score - d.score) < 1e-6;
    });
  return {
    probes: exact.length,
    same_candidates: exact.filter((r, i) => same(r, approximate[i] as ProbeResult)).length,
    same_decisions: exact.filter((r, i) => decisionOf(r, exactAt) === decisionOf(approximate[i] as ProbeResult, approximateAt))
      .length,
  };
}

function ruleReport(results: ProbeResult[], adaptive: boolean): RuleReport {
  const at2 = fnirAtFpir(results, 1e-2, adaptive);
  return {
    rank1: rankRate(results, 1, adaptive),
    rank5: rankRate(results, 5, adaptive),
    "fnir_at_fpir_1e-2": at2.fnir,
    "fnir_at_fpir_1e-3": fnirAtFpir(results, 1e-3, adaptive).fnir,
    "threshold_at_fpir_1e-2": at2.threshold,
  };
}

export async function evalIdentify(engine: FaceEngine, options: IdentifyEvalOptions): Promise<IdentifyReport> {
  const started = Date.now();
  const split = splitForIdentification(options.root, options.enrol, options.people ? peopleOf(options.people) : undefined);
  const enrolPaths = [...split.gallery.values()].flat();
  const paths = [...enrolPaths, ...split.mated.map((m) => m.path), ...split.nonMated];
  const vectors = await embedFiles(engine, paths, options.concurrency, options.cache);

  const filter = { tenant: "eval", model: engine.embedder.id };
  const points = [...split.gallery].flatMap(([person, files]) =>
    files.flatMap((path) => {
      const vector = vectors.get(path);
      return vector ? [{ id: path, subject: person, vector, ...filter }] : [];
    }),
  );
  const enrolled = new Set(points.map((p) => p.subject));
  const strangers = [...new Set(split.nonMated.map((p) => dirname(p)))].sort();
  const cohortPeople = new Set(options.asNorm ? strangers.filter((_, i) => i % 2 === 0) : []);
  const cohortPaths = split.nonMated.filter((p) => cohortPeople.has(dirname(p)));
  const probes = [
    ...split.mated.map((m) => ({ path: m.path, person: m.person, truth: enrolled.has(m.person) ? m.person : null })),
    ...split.nonMated
      .filter((p) => !cohortPeople.has(dirname(p)))
      .map((path) => ({ path, person: basename(dirname(path)), truth: null })),
  ];
  const templatesOf = new Map<string, Float32Array[]>();
  for (const p of points) templatesOf.set(p.subject, [...(templatesOf.get(p.subject) ?? []), p.vector]);
  const topK = options.asNorm ?? 0;
  // The cohort's own index, only where --asnorm asks for one.
  const cohort = topK > 0 ? await EmbeddedIndex.open({ dims: engine.embedder.dims, ann: false }) : undefined;
  await cohort?.upsert(
    cohortPaths.flatMap((path) => {
      const vector = vectors.get(path);
      return vector ? [{ id: path, subject: path, vector, tenant: "cohort", model: filter.model }] : [];
    }),
  );
  /** The mean of a vector's `topK` best cohort scores: how close strangers come to it. */
  const cohortMean = async (vector: Float32Array): Promise<number> => {
    const hits = (await cohort?.search(vector, topK, { tenant: "cohort", model: filter.model })) ?? [];
    return hits.reduce((sum, h) => sum + h.score, 0) / Math.max(1, hits.length);
  };

  /** Enrol every point in a fresh index and search every probe (exact, or through code indexes from the start). */
  const searchAll = async (ann: boolean): Promise<ProbeResult[]> => {
    const annOptions = ann ? { minTemplates: 0 } : false;
    const index = await EmbeddedIndex.open({ dims: engine.embedder.dims, ann: annOptions });
    await index.upsert(points);
    // Thresholds here are relative: the global offset is swept below, so only each subject's shift matters.
    const thresholds = await SubjectThresholds.create(
      index,
      filter,
      engine.embedder.dims,
      { global: 0, adaptive: true, rule: options.rule, cohort: options.cohort },
      annOptions,
    );
    await thresholds.rebuild([...enrolled]);
    await Promise.all([index.annReady(), thresholds.annReady()]);
    const progress = new Progress(ann ? "search (approximate)" : "search", probes.length);
    const results: ProbeResult[] = [];
    const subjectMeans = new Map<string, number>();
    for (const probe of probes) {
      const vector = vectors.get(probe.path);
      const hits = !vector
        ? []
        : options.aggregation === "centroid"
          ? await thresholds.searchCentroids(vector, 50)
          : await index.search(vector, 50, filter);
      const scores = aggregate(hits, options.aggregation);
      const candidates = [...scores].map(([subject, score]) => ({ subject, score, shift: thresholds.thresholdOf(subject) }));
      let normalised: ProbeResult["normalised"];
      let features: CandidateFeatures[] | undefined;
      if (topK > 0 && vector) {
        const probeMean = await cohortMean(vector);
        normalised = [];
        for (const c of candidates) {
          let subjectMean = subjectMeans.get(c.subject);
          if (subjectMean === undefined) {
            const centroid = await thresholds.centroidOf(c.subject);
            subjectMean = centroid ? await cohortMean(centroid) : 0;
            subjectMeans.set(c.subject, subjectMean);
          }
          normalised.push({ subject: c.subject, score: c.score - 0.5 * (subjectMean + probeMean), shift: 0 });
        }
        if (options.searchRules) {
          features = candidates.slice(0, RULE_SEARCH_CANDIDATES).map((c) => ({
            subject: c.subject,
            score: c.score,
            subjectCohort: subjectMeans.get(c.subject) ?? 0,
            probeCohort: probeMean,
            agreement: meanPairwise(templatesOf.get(c.subject) ?? []),
            bestTemplate: Math.max(...(templatesOf.get(c.subject) ?? []).map((t) => cosine(vector, t))),
          }));
        }
      }
      results.push({ truth: probe.truth, candidates, ...(normalised ? { normalised } : {}), ...(features ? { features } : {}) });
      progress.tick();
    }
    await thresholds.close();
    await index.close();
    return results;
  };
  const results = await searchAll(false);
  const tail = subjectTailOf(engine.embedder.model.thresholds);
  const operating = tail
    ? operatingReport(
        results,
        (target) => thresholdForTarget(tail, target, enrolled.size),
        enrolled.size,
        options.people ?? "every person under the root",
      )
    : undefined;
  const global = ruleReport(results, false);
  const adaptive = ruleReport(results, true);
  const ann = options.index === "ann" ? annAgreement(results, await searchAll(true)) : undefined;
  await cohort?.close();
  const asnorm = topK
    ? {
        ...ruleReport(
          results.map((r) => ({ truth: r.truth, candidates: r.normalised ?? [] })),
          false,
        ),
        top_k: topK,
        cohort_images: cohortPaths.length,
      }
    : undefined;
  return {
    rank1: { global: global.rank1, adaptive: adaptive.rank1 },
    rank5: { global: global.rank5, adaptive: adaptive.rank5 },
    "fnir_at_fpir_1e-2": { global: global["fnir_at_fpir_1e-2"], adaptive: adaptive["fnir_at_fpir_1e-2"] },
    "fnir_at_fpir_1e-3": { global: global["fnir_at_fpir_1e-3"], adaptive: adaptive["fnir_at_fpir_1e-3"] },
    global,
    adaptive,
    low_margin_review: lowMarginReport(results, adaptive["threshold_at_fpir_1e-2"]),
    enrolled: enrolled.size,
    templates: points.length,
    mated_probes: results.filter((r) => r.truth !== null).length,
    non_mated_probes: results.filter((r) => r.truth === null).length,
    failures: paths.length - vectors.size,
    aggregation: options.aggregation,
    rule: options.rule,
    ...(ann ? { ann } : {}),
    ...(operating ? { operating } : {}),
    ...(asnorm ? { asnorm } : {}),
    ...(options.searchRules ? { rule_search: searchRules(searchProbes(results, probes)) } : {}),
    seconds: (Date.now() - started) / 1000,
  };
}

export function formatIdentify(r: IdentifyReport): string {
  const pct = (v: number): string => `${(100 * v).toFixed(2)}%`.padStart(8);
  const row = (name: string, x: RuleReport): string =>
    `${name.padEnd(9)} ${pct(x.rank1)} ${pct(x.rank5)}   ${pct(x["fnir_at_fpir_1e-2"])}        ${pct(x["fnir_at_fpir_1e-3"])}`;
  return [
    `Open-set identification: ${r.enrolled} enrolled (${r.templates} templates), ${r.mated_probes} mated and ${r.non_mated_probes} non-mated probes, ${r.failures} images without a face`,
    ...(r.asnorm
      ? [
          `as-norm: every other never-enrolled person is the impostor cohort (${r.asnorm.cohort_images} images) and not a probe; each score loses the mean of the subject's and the probe's ${r.asnorm.top_k} best cohort scores`,
        ]
      : []),
    `aggregation ${r.aggregation}; adaptive rule impostor weight ${r.rule.impostorWeight}, agreement weight ${r.rule.agreementWeight}, max shift ${r.rule.maxShift}`,
    `rule         rank-1   rank-5   FNIR@FPIR=1%   FNIR@FPIR=0.1%`,
    row("global", r.global),
    row("adaptive", r.adaptive),
    ...(r.asnorm ? [row("as-norm", r.asnorm)] : []),
    ...(r.operating
      ? [
          `at the product's threshold for ${r.operating.subjects} subjects (people: ${r.operating.people}):`,
          ...r.operating.targets.map(
            (t) =>
              `  target ${t.target.toExponential(0)}: threshold ${t.threshold.toFixed(4)}, FPIR ${pct(t.fpir)} (${(t.fpir / t.target).toFixed(2)}x the target), FNIR ${pct(t.fnir)}`,
          ),
        ]
      : []),
    "review margin (adaptive, FPIR=1%)   false matches kept   true matches kept",
    ...r.low_margin_review.map(
      (m) =>
        `${m.margin.toFixed(2).padEnd(35)} ${`${m.false_matches_kept}/${m.false_matches}`.padStart(18)}   ${`${m.true_matches_kept}/${m.true_matches}`.padStart(17)}`,
    ),
    ...(r.rule_search ? formatRuleSearch(r.rule_search) : []),
    ...(r.ann
      ? [
          `approximate index (code indexes from the first template; the rates above are the exact index's): same candidates for ${r.ann.same_candidates} of ${r.ann.probes} probes, same decision at FPIR=1% for ${r.ann.same_decisions}`,
        ]
      : []),
  ].join("\n");
}

/** Every probe, as the rules above count them: one without a face has no candidate (a miss, or no one). */
function searchProbes(results: readonly ProbeResult[], probes: readonly { person: string }[]): SearchProbe[] {
  return results.map((r, i) => ({
    truth: r.truth,
    person: (probes[i] as { person: string }).person,
    candidates: r.features ?? [],
  }));
}

function formatRuleSearch(r: RuleSearchReport): string[] {
  const pct = (v: number): string => `${(100 * v).toFixed(2)}%`;
  const rates = (x: RuleSearchReport["global"]): string =>
    `rank-1 ${pct(x.rank1)}, FNIR@FPIR=1% ${pct(x["fnir_at_fpir_1e-2"])}, FNIR@FPIR=0.1% ${pct(x["fnir_at_fpir_1e-3"])}`;
  const weights = (w: RuleSearchReport["in_sample"]["weights"]): string =>
    `gap ${w.gap}, subject ${w.subject}, probe ${w.probe}, agreement ${w.agreement}, template ${w.template}`;
  return [
    `rule search: ${r.rules} normalisation rules (cohort means, runner-up gap, template agreement, best template; see rule-search.ts)`,
    `  global on every probe:        ${rates(r.global)}`,
    `  best chosen on every probe:   ${rates(r.in_sample.rates)}  (${weights(r.in_sample.weights)})`,
    ...r.held_out.map(
      (h, i) =>
        `  chosen on half ${i + 1}, rated on the other: ${rates(h.rates)} against global ${rates(h.global)}  (${weights(h.weights)})`,
    ),
  ];
}
