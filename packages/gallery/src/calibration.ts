/**
 * The lowest threshold whose false-match rate on `impostorScores` stays at or below `fmr`
 * (accept when score >= threshold). Needs at least 1/fmr impostor scores to mean anything.
 */
export function thresholdAtFmr(impostorScores: readonly number[], fmr: number): number {
  if (impostorScores.length * fmr < 1) {
    throw new RangeError(
      `${impostorScores.length} impostor scores cannot calibrate an FMR of ${fmr}; need at least ${Math.ceil(1 / fmr)}`,
    );
  }
  const sorted = Float64Array.from(impostorScores).sort().reverse();
  const allowed = Math.floor(impostorScores.length * fmr);
  // Accept strictly above the (allowed+1)-th highest impostor score: at most `allowed` impostors pass.
  const boundary = sorted[allowed] as number;
  return boundary + 1e-6;
}

/**
 * The deployment's target where a tenant sets none: one stranger named in a thousand (identification)
 * and one false match in a thousand 1:1 comparisons (verification, `facerec compare`). On LFW people the
 * pack was not calibrated on (180 enrolled), its identification threshold named 0.10% of strangers and
 * missed 1.95% of enrolled people (`facerec eval identify --people peopleDevTest.txt`). @default "1e-3"
 */
export const DEFAULT_TARGET = "1e-3";

/** The rates a subject tail is read at: a pack stores `subject_fmr_<rate>` for each it could calibrate. */
export const SUBJECT_FMRS = ["1e-2", "1e-3", "1e-4", "1e-5", "1e-6"] as const;

/** A stranger's score against one enrolled subject's centroid: threshold by false-match rate, lowest rate last. */
export type SubjectTail = readonly { fmr: number; threshold: number }[];

/** The subject tail a manifest's thresholds hold (`subject_fmr_1e-2`, ...), undefined when it holds fewer than two. */
export function subjectTailOf(thresholds: Readonly<Record<string, number>> | undefined): SubjectTail | undefined {
  const tail = SUBJECT_FMRS.flatMap((rate) => {
    const threshold = thresholds?.[`subject_fmr_${rate}`];
    return threshold === undefined ? [] : [{ fmr: Number(rate), threshold }];
  });
  return tail.length >= 2 ? tail : undefined;
}

/**
 * The global threshold at which a stranger is named at most `target` of the time (FPIR) in a gallery of
 * `subjects`: each subject is one more chance to be named, so the tail is read at target / subjects
 * (a union bound; strangers' scores against different people are close to independent). Between the
 * calibrated rates the threshold is interpolated in log10 of the rate; below the lowest it is
 * extrapolated along the last decade, where the tail is still nearly straight on that scale.
 */
export function thresholdForTarget(tail: SubjectTail, target: number, subjects: number): number {
  const rate = target / Math.max(1, subjects);
  const at = (i: number) => tail[Math.max(0, Math.min(tail.length - 1, i))] as { fmr: number; threshold: number };
  let i = tail.findIndex((p) => p.fmr <= rate);
  if (i === -1) i = tail.length - 1;
  const hi = at(Math.max(1, i));
  const lo = at(Math.max(1, i) - 1);
  const slope = (hi.threshold - lo.threshold) / (Math.log10(hi.fmr) - Math.log10(lo.fmr));
  // Above the highest calibrated rate the first decade's slope applies, as below the lowest the last's does.
  return lo.threshold + slope * (Math.log10(rate) - Math.log10(lo.fmr));
}
