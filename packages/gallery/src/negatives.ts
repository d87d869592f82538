import { cosine } from "@facerec/common";
import type { Template } from "./gallery-store.js";
import type { VectorIndex } from "./types.js";

/** Negative templates ("not this subject") of model m live in the index partition `m#not`. */
export const negativeModel = (model: string): string => `${model}#not`;
export const isNegative = (model: string): boolean => model.endsWith("#not");

/**
 * Corrective feedback against a match: when the probe is at least as close to one of the subject's
 * negatives as to the subject (`score`), less `margin` (DecisionPolicy.negativeMargin), the similarity
 * to the closest negative; else undefined. `held` is the subject's templates as the gallery holds them.
 */
export async function overrulingNegative(
  index: VectorIndex,
  held: readonly Template[],
  match: { tenant: string; model: string; subject: string; score: number },
  vector: Float32Array,
  margin: number,
): Promise<number | undefined> {
  const negative = negativeModel(match.model);
  if (!held.some((t) => t.model === negative)) return undefined;
  const vectors = await index.subjectVectors({ tenant: match.tenant, model: negative }, match.subject);
  if (vectors.length === 0) return undefined;
  const similarity = Math.max(...vectors.map((v) => cosine(v, vector)));
  return similarity + margin >= match.score ? similarity : undefined;
}
