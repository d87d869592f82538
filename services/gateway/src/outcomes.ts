import { Outcome } from "@facerec/contracts";
import type { Decision } from "@facerec/gallery";

const OUTCOMES: Record<Decision["outcome"], Outcome> = {
  match: Outcome.OUTCOME_MATCH,
  unknown: Outcome.OUTCOME_UNKNOWN,
  "rejected-quality": Outcome.OUTCOME_REJECTED_QUALITY,
  "rejected-spoof": Outcome.OUTCOME_REJECTED_SPOOF,
};

/** The gallery's decision outcome as the wire enum. */
export function outcomeOf(outcome: Decision["outcome"]): Outcome {
  return OUTCOMES[outcome] ?? Outcome.OUTCOME_UNSPECIFIED;
}
