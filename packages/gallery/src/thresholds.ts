/**
 * What the gallery knows about one subject's neighbourhood, enough to set its own threshold:
 * how tightly its templates agree and how close the nearest other subjects come.
 */
export interface SubjectStats {
  subject: string;
  templates: number;
  /** Mean cosine between the subject's own templates (1 with a single template). */
  agreement: number;
  /** Mean cosine between the subject's centroid and its `cohort` nearest other subjects' centroids. */
  impostorMean: number;
}

export interface AdaptiveRule {
  /** How far a subject's threshold moves per unit its impostor mean sits above the gallery's typical value. */
  impostorWeight: number;
  /** How far it moves per unit its templates' agreement falls below 1 (negative lowers it for loose subjects). */
  agreementWeight: number;
  /** Largest move either way from the global threshold. */
  maxShift: number;
}

export const DEFAULT_ADAPTIVE_RULE: AdaptiveRule = { impostorWeight: 0.5, agreementWeight: 0, maxShift: 0.1 };

/**
 * Shift of a subject's threshold from the global one. Subjects that other enrolled people resemble
 * (a high impostor mean) attract strangers, so they need more evidence; isolated subjects can accept less.
 */
export function thresholdShift(stats: SubjectStats, typicalImpostorMean: number, rule: AdaptiveRule): number {
  const shift = rule.impostorWeight * (stats.impostorMean - typicalImpostorMean) - rule.agreementWeight * (1 - stats.agreement);
  return Math.max(-rule.maxShift, Math.min(rule.maxShift, shift));
}
