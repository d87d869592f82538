import type { Box } from "@facerec/contracts";
import { MatchEvent } from "@facerec/contracts";
import type { Decision } from "@facerec/gallery";

/** A face from a camera the tenant's policy does not let identify: no search was made. */
export const REJECTED_CAMERA = { outcome: "rejected-camera", candidates: [] } as const;

/**
 * The match event for one face's decision, as the matcher publishes it and WatchMatches streams it,
 * in the REST API's words (`match`, `unknown`, `rejected-quality`, `rejected-spoof`, `rejected-camera`).
 */
export function matchEventOf(
  d: Decision | typeof REJECTED_CAMERA,
  source: {
    cropId: string;
    tenant: string;
    camera: string;
    modelId: string;
    frameTime?: Date;
    box?: Box;
    quality?: number;
    liveness?: number;
    /** The name of a subject by id, for the event's `subjectName`. */
    nameOf?: (subjectId: string) => string | undefined;
  },
): MatchEvent {
  const { nameOf, ...fields } = source;
  const scored = d.outcome === "match" || d.outcome === "unknown";
  return MatchEvent.fromPartial({
    ...fields,
    outcome: d.outcome,
    subjectId: d.outcome === "match" ? d.subject : "",
    subjectName: d.outcome === "match" ? (nameOf?.(d.subject) ?? "") : "",
    score: (scored ? d.score : null) ?? 0,
    threshold: (scored ? d.threshold : null) ?? 0,
    topK: d.candidates.map((c) => ({ subjectId: c.subject, score: c.score, threshold: c.threshold })),
    decidedAt: new Date(),
  });
}
