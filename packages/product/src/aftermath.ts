import type { AuditTrail } from "@facerec/audit";
import type { MatchEvent } from "@facerec/contracts";
import type { ReviewStore } from "@facerec/gallery";
import { queueForReview, type ReviewPolicy } from "./review.js";

/** Who made a decision, for its audit entry: a key over the API, a camera in the pipeline. */
export interface DecisionSource {
  keyId: string;
  operation: string;
  requestId: string;
  latencyMs: number;
  /** Set where the same decision may be made twice (a redelivered embedding): the trail keeps the first. */
  dedupeKey?: string;
}

/** The face a decision was made on, for the review queue: its embedding and, where retained, its crop. */
export interface DecidedFaceData {
  vector: Float32Array;
  crop?: Uint8Array;
}

/**
 * What follows every face's decision, wherever it was made (the API's identify and the matcher):
 * its audit entry and its place in the review queue are stored before the decision is reported or
 * acknowledged (`record`), then the tenant's MQTT topic and webhooks are told (`notify`). Publishing
 * the event stays with the caller: the API publishes to its match feed, the matcher to JetStream with
 * the crop id as message id.
 */
export class DecisionAftermath {
  constructor(
    private readonly sinks: {
      audit: AuditTrail;
      review?: { store: ReviewStore; policy: ReviewPolicy };
      /** MQTT notifications. */
      mqtt?: (event: MatchEvent) => void;
      webhooks?: { notify(event: MatchEvent): void };
    },
  ) {}

  async record(event: MatchEvent, source: DecisionSource, face?: DecidedFaceData): Promise<void> {
    const { dedupeKey, ...who } = source;
    const scored = event.outcome === "match" || event.outcome === "unknown";
    await this.sinks.audit.append(
      {
        tenant: event.tenant,
        ...who,
        decision: event.outcome,
        modelId: event.modelId,
        ...(event.camera ? { camera: event.camera } : {}),
        ...(event.subjectId ? { subjectId: event.subjectId } : {}),
        ...(scored && event.score ? { scores: [event.score] } : {}),
      },
      dedupeKey ? { dedupeKey } : undefined,
    );
    const review = this.sinks.review;
    if (!review || !face) return;
    await queueForReview(
      review.store,
      review.policy,
      // The queue keeps candidates by id only: a name is read from the gallery when it is shown.
      {
        outcome: event.outcome,
        subjectId: event.subjectId,
        candidates: event.topK.map(({ subjectId, score, threshold }) => ({ subjectId, score, threshold })),
      },
      {
        id: event.cropId,
        tenant: event.tenant,
        camera: event.camera,
        model: event.modelId,
        time: (event.frameTime ?? new Date()).toISOString(),
        vector: face.vector,
        quality: event.quality,
        ...(face.crop ? { crop: face.crop } : {}),
      },
    );
  }

  notify(event: MatchEvent): void {
    this.sinks.mqtt?.(event);
    this.sinks.webhooks?.notify(event);
  }
}
