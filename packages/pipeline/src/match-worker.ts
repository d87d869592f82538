import type { AuditLog } from "@facerec/audit";
import { FaceEmbedding, MatchEvent, streams, subjects } from "@facerec/contracts";
import type { Gallery } from "@facerec/gallery";
import type { JetStreamClient, JsMsg } from "@nats-io/jetstream";
import { type Consuming, consumeLoop } from "./consume.js";
import { deadLetter, retryOrDeadLetter } from "./dead-letter.js";
import { matchEventOf } from "./match-event.js";
import { contextFromHeaders, headersFor, SpanKind, tracer } from "./tracing.js";

export interface MatchWorkerOptions {
  durable: string;
  maxDeliver: number;
  onDecision?: (event: MatchEvent, ms: number) => void;
}

/**
 * The matcher: for each embedding, a k-NN search in the gallery and a decision with the per-subject
 * thresholds, published as a MatchEvent with the crop id as message id (so a redelivered embedding
 * yields no second event) and appended to the audit trail; the embedding is acknowledged after both.
 */
export class MatchWorker {
  private consuming: Consuming | undefined;
  decided = 0;

  constructor(
    private readonly js: JetStreamClient,
    private readonly gallery: Gallery,
    private readonly audit: AuditLog,
    private readonly options: MatchWorkerOptions,
  ) {}

  async start(): Promise<void> {
    this.consuming = await consumeLoop(this.js, streams.embeddings, this.options.durable, 16, (m) => this.handle(m));
  }

  async stop(): Promise<void> {
    await this.consuming?.stop();
  }

  private async handle(m: JsMsg): Promise<void> {
    let embedding: FaceEmbedding;
    try {
      embedding = FaceEmbedding.decode(m.data);
      if (embedding.vector.length === 0) throw new Error("the embedding has no vector");
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
      const decision = await this.gallery.identify(embedding.tenant, embedding.modelId, Float32Array.from(embedding.vector), {
        quality: embedding.quality,
        liveness: embedding.liveness,
      });
      const event = matchEventOf(decision, {
        cropId: embedding.cropId,
        tenant: embedding.tenant,
        camera: embedding.camera,
        modelId: embedding.modelId,
        ...(embedding.frameTime ? { frameTime: embedding.frameTime } : {}),
      });
      // Audit first: a crash between the two repeats the entry (same request id) rather than losing it,
      // while the event's message id makes the stream drop the repeated event.
      this.audit.append({
        tenant: embedding.tenant,
        keyId: `camera:${embedding.camera}`,
        operation: "match",
        decision: decision.outcome,
        requestId: embedding.cropId,
        modelId: embedding.modelId,
        latencyMs: Math.round(performance.now() - started),
        ...(event.subjectId ? { subjectId: event.subjectId } : {}),
        ...(event.score ? { scores: [event.score] } : {}),
      });
      span.setAttribute("facerec.outcome", decision.outcome);
      await this.js.publish(subjects.match(embedding.tenant, embedding.camera), MatchEvent.encode(event).finish(), {
        msgID: embedding.cropId,
        headers: headersFor(span),
      });
      m.ack();
      this.decided++;
      this.options.onDecision?.(event, performance.now() - started);
    } catch (error) {
      span.recordException(error as Error);
      await retryOrDeadLetter(this.js, "match", m, error, this.options.maxDeliver).catch(() => m.nak());
    } finally {
      span.end();
    }
  }
}
