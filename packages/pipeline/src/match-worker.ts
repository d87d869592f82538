import { checkSource, FaceEmbedding, MatchEvent, matchEventOf, REJECTED_CAMERA, streams, subjects } from "@facerec/contracts";
import type { Gallery } from "@facerec/gallery";
import { contextFromHeaders, headersFor, SpanKind, tracer } from "@facerec/runtime";
import { isTransient } from "@facerec/storage";
import type { JetStreamClient, JsMsg } from "@nats-io/jetstream";
import { isBusTransient, keepTrying } from "./bus.js";
import { type Consuming, consumeLoop } from "./consume.js";
import { deadLetter, Retries } from "./dead-letter.js";

/** Stores a decision (audit entry, review face) and, once it is acknowledged, tells its followers. */
export interface DecisionRecorder {
  record(
    event: MatchEvent,
    source: { keyId: string; operation: string; requestId: string; latencyMs: number; dedupeKey?: string },
    face?: { vector: Float32Array; crop?: Uint8Array },
  ): Promise<void>;
  notify(event: MatchEvent): void;
}

export interface MatchWorkerOptions {
  durable: string;
  /**
   * Failed attempts (this worker's own count, not the server's deliveries) before a message goes to
   * the dead-letter stream: MAX_DELIVER.
   */
  maxDeliver: number;
  onDecision?: (event: MatchEvent, ms: number) => void;
  /**
   * What follows each decision (product's DecisionAftermath, shared with the API's identify): its audit
   * entry and review-queue face, stored before the event goes out and keyed by the crop id so that a
   * redelivery adds nothing; then MQTT and webhooks, once the embedding is acknowledged.
   */
  aftermath: DecisionRecorder;
  /**
   * Whether the tenant's policy lets faces from the camera be identified (and its thresholds applied);
   * a face it does not is decided `rejected-camera` without a search. @default every camera
   */
  mayIdentify?: (tenant: string, camera: string) => Promise<boolean>;
  /** Told when the system of record is unreachable and the worker waits for it. */
  onStoreDown?: (error: unknown) => void;
}

/**
 * The matcher: for each embedding, a k-NN search in the gallery and a decision with the per-subject
 * thresholds, published as a MatchEvent with the crop id as message id (so a redelivered embedding
 * yields no second event) and appended to the audit trail under the crop id (so a redelivered
 * embedding, on this matcher or another, yields no second entry); the embedding is acknowledged after
 * both. While the audit trail's store is unreachable (PostgreSQL restarting) the worker waits for it,
 * keeping the message in progress, instead of spending the message's deliveries on it.
 */
export class MatchWorker {
  private consuming: Consuming | undefined;
  private readonly retries: Retries;
  private stopping = false;
  decided = 0;

  constructor(
    private readonly js: JetStreamClient,
    private readonly gallery: Gallery,
    private readonly options: MatchWorkerOptions,
  ) {
    this.retries = new Retries(js, "match", options.maxDeliver);
  }

  async start(): Promise<void> {
    this.consuming = await consumeLoop(this.js, streams.embeddings, this.options.durable, 16, (m) => this.handle(m));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.consuming?.stop();
  }

  /** Run `work`, waiting out connection failures of the store (the message is kept in progress). */
  private untilStored<T>(m: JsMsg, work: () => Promise<T>): Promise<T> {
    return keepTrying(m, work, isTransient, {
      stopping: () => this.stopping,
      ...(this.options.onStoreDown ? { onWait: this.options.onStoreDown } : {}),
    });
  }

  private async handle(m: JsMsg): Promise<void> {
    let embedding: FaceEmbedding;
    try {
      embedding = FaceEmbedding.decode(m.data);
      if (embedding.vector.length === 0) throw new Error("the embedding has no vector");
      checkSource(m.subject, embedding);
    } catch (error) {
      await deadLetter(this.js, "match", m, error);
      return;
    }
    const started = performance.now();
    // The search, the decision and the event, in one span continuing the crop's trace.
    const span = tracer().startSpan(
      "matcher.match",
      { kind: SpanKind.CONSUMER, attributes: { "facerec.crop_id": embedding.cropId } },
      contextFromHeaders(m.headers),
    );
    try {
      const mayIdentify = this.options.mayIdentify;
      const allowed = mayIdentify ? await this.untilStored(m, () => mayIdentify(embedding.tenant, embedding.camera)) : true;
      const decision = allowed
        ? await this.gallery.identify(embedding.tenant, embedding.modelId, Float32Array.from(embedding.vector), {
            quality: embedding.quality,
            liveness: embedding.liveness,
          })
        : REJECTED_CAMERA;
      const event = matchEventOf(decision, {
        cropId: embedding.cropId,
        tenant: embedding.tenant,
        camera: embedding.camera,
        modelId: embedding.modelId,
        quality: embedding.quality,
        liveness: embedding.liveness,
        nameOf: (id) => this.gallery.peekSubject(embedding.tenant, id)?.name,
        ...(embedding.frameTime ? { frameTime: embedding.frameTime } : {}),
        ...(embedding.box ? { box: embedding.box } : {}),
      });
      // Stored first: a crash before the publish repeats the attempt, and the crop id keys both the
      // entry (the trail keeps the first) and the event (the stream drops the repeat).
      const source = {
        keyId: `camera:${embedding.camera}`,
        operation: "match",
        requestId: embedding.cropId,
        latencyMs: Math.round(performance.now() - started),
        dedupeKey: `match:${embedding.cropId}`,
      };
      const face = {
        vector: Float32Array.from(embedding.vector),
        ...(embedding.alignedPng.length ? { crop: embedding.alignedPng } : {}),
      };
      await this.untilStored(m, () => this.options.aftermath.record(event, source, face));
      span.setAttribute("facerec.outcome", decision.outcome);
      // A stream electing a leader (a server of the cluster went) takes the event a moment later.
      await keepTrying(
        m,
        () =>
          this.js.publish(subjects.match(embedding.tenant, embedding.camera), MatchEvent.encode(event).finish(), {
            msgID: embedding.cropId,
            headers: headersFor(span),
          }),
        isBusTransient,
        { stopping: () => this.stopping },
      );
      m.ack();
      this.retries.succeeded(m);
      this.decided++;
      this.options.aftermath.notify(event);
      this.options.onDecision?.(event, performance.now() - started);
    } catch (error) {
      span.recordException(error as Error);
      await this.retries.failed(m, error).catch(() => m.nak());
    } finally {
      span.end();
    }
  }
}
