import { cosine } from "@facerec/common";
import type { NewTemplate } from "./gallery-options.js";
import type { Template } from "./gallery-store.js";

/** What keeps a subject's templates few and different from each other. */
export interface TemplateRules {
  /**
   * Templates a subject keeps at most (further ones are not added): identification takes the best of
   * a subject's templates, so past a few dozen different views more add memory and search time, not
   * recognition; a regular named through the review queue or feedback day after day stays bounded.
   * @default 50
   */
  max: number;
  /**
   * A new template this close (cosine) to one the subject holds is a near-copy and is not added. On 300
   * LFW pairsDevTest pairs, distinct photos of one person reached 0.904 (99th percentile) and 0.921 at
   * most, while the same photos re-encoded (JPEG quality 60, shifted 2 px) came to 0.957 (1st
   * percentile) and 0.990 (median): 0.95 keeps every distinct photo seen and drops 99% of copies.
   * @default 0.95
   */
  nearCopy: number;
}

export const TEMPLATE_DEFAULTS: TemplateRules = { max: 50, nearCopy: 0.95 };

/** A new template the gallery did not add, by its place in the list it was given, and why. */
export interface SkippedTemplate {
  index: number;
  reason: string;
}

/** What an enrolment added, and what it left out. */
export interface Enrolled {
  templates: Template[];
  skipped: SkippedTemplate[];
}

/**
 * Which of `items` a subject holding `held` (its template vectors) takes, in order: each is checked
 * against what is held and what was taken before it. Pure: `held` is not changed.
 */
export function chooseTemplates(
  held: readonly Float32Array[],
  items: readonly NewTemplate[],
  rules: TemplateRules,
): { taken: number[]; skipped: SkippedTemplate[] } {
  const kept = [...held];
  const taken: number[] = [];
  const skipped: SkippedTemplate[] = [];
  for (const [index, item] of items.entries()) {
    if (kept.length >= rules.max) {
      skipped.push({ index, reason: `the subject holds ${rules.max} templates, the most it keeps` });
      continue;
    }
    const nearest = kept.reduce((best, v) => Math.max(best, cosine(v, item.vector)), -1);
    if (nearest >= rules.nearCopy) {
      skipped.push({ index, reason: `a near-copy (cosine ${nearest.toFixed(3)}) of a template the subject holds` });
      continue;
    }
    taken.push(index);
    kept.push(item.vector);
  }
  return { taken, skipped };
}
