/**
 * A search over score-normalisation rules for open-set identification, to tell whether any rule built
 * from what the gallery and an impostor cohort know beats the global threshold, in and out of sample.
 * Each rule scores a candidate as
 *
 *   score + gap x (score - runner-up) - subject x (subject's cohort mean) - probe x (probe's cohort
 *   mean) - agreement x (1 - the subject's template agreement) + template x (best template - score)
 *
 * and the probe's decision is its best candidate under that score. The weights are chosen on a grid:
 * the lowest FNIR at FPIR 1% whose FNIR at FPIR 0.1% is no worse than the global rule's on the same
 * probes. Out of sample, weights chosen on half of the people are tested on the other half.
 */

/** What a rule may use of one candidate of one probe. */
export interface CandidateFeatures {
  subject: string;
  /** The candidate's score as the global rule sees it (the aggregation's). */
  score: number;
  /** The mean of the subject centroid's best cohort scores: how close strangers come to the subject. */
  subjectCohort: number;
  /** The mean of the probe's best cohort scores: how close strangers come to the probe. */
  probeCohort: number;
  /** Mean cosine between the subject's own templates (1 with one template). */
  agreement: number;
  /** The probe's best score against one of the subject's templates. */
  bestTemplate: number;
}

export interface SearchProbe {
  /** The enrolled subject the probe shows, or null for a never-enrolled person. */
  truth: string | null;
  /** The person the probe shows (enrolled or not), which decides its fold. */
  person: string;
  /** Best first by score. */
  candidates: CandidateFeatures[];
}

export interface RuleWeights {
  gap: number;
  subject: number;
  probe: number;
  agreement: number;
  template: number;
}

export interface RuleRates {
  rank1: number;
  "fnir_at_fpir_1e-2": number;
  "fnir_at_fpir_1e-3": number;
}

export interface RuleSearchReport {
  rules: number;
  global: RuleRates;
  /** The best rule chosen on every probe, and its rates there (an upper bound, not a prediction). */
  in_sample: { weights: RuleWeights; rates: RuleRates };
  /** Weights chosen on one half of the people, rated on the other half beside the global rule. */
  held_out: { weights: RuleWeights; rates: RuleRates; global: RuleRates }[];
}

const GLOBAL: RuleWeights = { gap: 0, subject: 0, probe: 0, agreement: 0, template: 0 };

/** The grid searched: the global rule (all zeros) is one of its points. */
export function ruleGrid(): RuleWeights[] {
  const grid: RuleWeights[] = [];
  for (const gap of [0, 0.2, 0.5])
    for (const subject of [0, 0.3, 0.6, 1])
      for (const probe of [0, 0.3, 0.6, 1])
        for (const agreement of [-0.2, 0, 0.2, 0.5])
          for (const template of [0, 0.3, 0.6]) grid.push({ gap, subject, probe, agreement, template });
  return grid;
}

function ruleScore(w: RuleWeights, c: CandidateFeatures, runnerUp: number): number {
  return (
    c.score +
    w.gap * (c.score - runnerUp) -
    w.subject * c.subjectCohort -
    w.probe * c.probeCohort -
    w.agreement * (1 - c.agreement) +
    w.template * (c.bestTemplate - c.score)
  );
}

/** Rank-1 and FNIR at FPIR 1% and 0.1% of probes decided by one rule (as eval identify counts them). */
export function rateRule(probes: readonly SearchProbe[], w: RuleWeights): RuleRates {
  const nonMated: number[] = [];
  const mated: { right: boolean; value: number }[] = [];
  for (const p of probes) {
    let best: CandidateFeatures | undefined;
    let value = Number.NEGATIVE_INFINITY;
    for (const [i, c] of p.candidates.entries()) {
      const runnerUp = (p.candidates[i === 0 ? 1 : 0]?.score ?? c.score) as number;
      const v = ruleScore(w, c, runnerUp);
      if (v > value) {
        value = v;
        best = c;
      }
    }
    if (p.truth === null) nonMated.push(value);
    else mated.push({ right: best?.subject === p.truth, value });
  }
  nonMated.sort((a, b) => b - a);
  const fnirAt = (fpir: number): number => {
    const threshold = (nonMated[Math.floor(nonMated.length * fpir)] ?? Number.NEGATIVE_INFINITY) + 1e-9;
    return mated.filter((m) => !m.right || m.value < threshold).length / Math.max(1, mated.length);
  };
  return {
    rank1: mated.filter((m) => m.right).length / Math.max(1, mated.length),
    "fnir_at_fpir_1e-2": fnirAt(1e-2),
    "fnir_at_fpir_1e-3": fnirAt(1e-3),
  };
}

/** The grid's rule with the lowest FNIR at FPIR 1% among those no worse than global at FPIR 0.1%. */
function bestRule(probes: readonly SearchProbe[], grid: readonly RuleWeights[]): { weights: RuleWeights; rates: RuleRates } {
  const global = rateRule(probes, GLOBAL);
  let best = { weights: GLOBAL, rates: global };
  for (const weights of grid) {
    const rates = rateRule(probes, weights);
    if (rates["fnir_at_fpir_1e-3"] > global["fnir_at_fpir_1e-3"]) continue;
    if (rates["fnir_at_fpir_1e-2"] < best.rates["fnir_at_fpir_1e-2"]) best = { weights, rates };
  }
  return best;
}

/** A stable half for each person, from the characters of the name. */
function halfOf(person: string): number {
  let h = 2166136261;
  for (let i = 0; i < person.length; i++) h = Math.imul(h ^ person.charCodeAt(i), 16777619);
  return (h >>> 0) % 2;
}

export function searchRules(probes: readonly SearchProbe[], grid = ruleGrid()): RuleSearchReport {
  const halves = [0, 1].map((h) => probes.filter((p) => halfOf(p.person) === h));
  return {
    rules: grid.length,
    global: rateRule(probes, GLOBAL),
    in_sample: bestRule(probes, grid),
    held_out: [0, 1].map((h) => {
      const tuned = bestRule(halves[h] as SearchProbe[], grid).weights;
      const test = halves[1 - h] as SearchProbe[];
      return { weights: tuned, rates: rateRule(test, tuned), global: rateRule(test, GLOBAL) };
    }),
  };
}
