import { MatchEvent, Outcome } from "@facerec/contracts";
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

/** The match event for one face's decision, as the matcher publishes it and WatchMatches streams it. */
export function matchEventOf(
  d: Decision,
  source: { cropId: string; tenant: string; camera: string; modelId: string; frameTime?: Date },
): MatchEvent {
  return MatchEvent.fromPartial({
    ...source,
    outcome: outcomeOf(d.outcome),
    subjectId: d.outcome === "match" ? d.subject : "",
    score: (d.outcome === "match" || d.outcome === "unknown" ? d.score : null) ?? 0,
    threshold: (d.outcome === "match" || d.outcome === "unknown" ? d.threshold : null) ?? 0,
    topK: d.candidates.map((c) => ({ subjectId: c.subject, score: c.score, threshold: c.threshold })),
    decidedAt: new Date(),
  });
}
