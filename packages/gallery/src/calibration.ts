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
