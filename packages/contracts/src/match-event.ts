import { MatchEvent } from "./gen/facerec/v1/bus.js";
import type { Box } from "./gen/facerec/v1/common.js";

/**
 * A face's decision as the gallery makes it, in the shape the match event needs: the outcome, the
 * subject a match names, its score and threshold where it has them, and the nearest candidates.
 */
export interface DecidedFace {
  outcome: string;
  subject?: string;
  score?: number | null;
  threshold?: number | null;
  candidates: readonly { subject: string; score: number; threshold: number }[];
}

/** A face from a camera the tenant's policy does not let identify: no search was made. */
export const REJECTED_CAMERA: DecidedFace = { outcome: "rejected-camera", candidates: [] };

/**
 * The match event for one face's decision, as the matcher publishes it, the API's identify answers it
 * and WatchMatches, MQTT and webhooks carry it, in the REST API's words (`match`, `unknown`,
 * `rejected-quality`, `rejected-spoof`, `rejected-camera`), every subject with its name beside its id.
 */
export function matchEventOf(
  d: DecidedFace,
  source: {
    cropId: string;
    tenant: string;
    camera: string;
    modelId: string;
    frameTime?: Date;
    box?: Box;
    quality?: number;
    liveness?: number;
    /** "camera", or "api:<key id>" when the camera is an unbound key's label. @default camera */
    source?: string;
    /** The name of a subject by id. */
    nameOf?: (subjectId: string) => string | undefined;
  },
): MatchEvent {
  const { nameOf, ...fields } = source;
  const matched = d.outcome === "match" ? (d.subject ?? "") : "";
  return MatchEvent.fromPartial({
    source: "camera",
    ...fields,
    outcome: d.outcome,
    subjectId: matched,
    subjectName: matched ? (nameOf?.(matched) ?? "") : "",
    score: d.score ?? 0,
    threshold: d.threshold ?? 0,
    topK: d.candidates.map((c) => ({
      subjectId: c.subject,
      subjectName: nameOf?.(c.subject) ?? "",
      score: c.score,
      threshold: c.threshold,
    })),
    decidedAt: new Date(),
  });
}
