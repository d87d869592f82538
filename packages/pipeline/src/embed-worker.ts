import { checkSource, FaceCrop, FaceEmbedding, streams, subjects } from "@facerec/contracts";
import { contextFromHeaders, headersFor, inSpan, SpanKind } from "@facerec/runtime";
import { decodeImage, type Embedder, type Image } from "@facerec/vision";
import type { JetStreamClient, JsMsg } from "@nats-io/jetstream";
import { Batcher } from "./batcher.js";
import { isBusTransient, keepTrying } from "./bus.js";
import { type Consuming, consumeLoop } from "./consume.js";
import { deadLetter, Retries } from "./dead-letter.js";

export interface EmbedWorkerOptions {
  durable: string;
  batchSize: number;
  maxWaitMs: number;
  /**
   * Failed attempts (this worker's own count, not the server's deliveries) before a message goes to
   * the dead-letter stream: MAX_DELIVER.
   */
  maxDeliver: number;
  /**
   * Forward each crop's aligned PNG with its embedding, for the matcher to keep with a face queued
   * for review: only where crops are retained (FACEREC_RETAIN_CROPS=1). @default false
   */
  forwardCrops?: boolean;
  /** Called with each batch's size and runtime, for metrics. */
  onBatch?: (size: number, ms: number) => void;
}

/** Batches whose publishes may be outstanding while the next is embedded. */
const MAX_PUBLISHING = 2;

interface Item {
  m: JsMsg;
  crop: FaceCrop;
  /** Decoding (in libuv's pool) while the batch fills and the previous batch is embedded. */
  image: Promise<Image>;
}

/**
 * The embedder: pulls crops from the shared durable consumer, runs them through ONNX Runtime in
 * batches of up to `batchSize` (or whatever arrived within `maxWaitMs`), publishes one FaceEmbedding
 * per crop with the crop id as message id, and acknowledges a crop only after its embedding's publish
 * was acknowledged. A crop that does not decode is dead-lettered at once; one whose batch fails is
 * retried and dead-lettered after `maxDeliver` failed attempts.
 */
export class EmbedWorker {
  private readonly batcher: Batcher<Item>;
  private readonly retries: Retries;
  private consuming: Consuming | undefined;
  private stopping = false;
  /** Batches embedded whose embeddings are still being published (at most MAX_PUBLISHING). */
  private readonly publishing = new Set<Promise<void>>();
  embedded = 0;

  constructor(
    private readonly js: JetStreamClient,
    private readonly embedder: Embedder,
    private readonly options: EmbedWorkerOptions,
  ) {
    this.retries = new Retries(js, "embed", options.maxDeliver);
    this.batcher = new Batcher({ maxSize: options.batchSize, maxWaitMs: options.maxWaitMs }, (batch) => this.run(batch));
  }

  meanBatchSize(): number {
    return this.batcher.mean();
  }

  async start(): Promise<void> {
    this.consuming = await consumeLoop(
      this.js,
      streams.crops,
      this.options.durable,
      this.options.batchSize * 2,
      (m) => this.accept(m),
      () => this.batcher.flush(),
    );
  }

  /** Graceful drain: stop pulling, finish the batches in hand, acknowledge them. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.consuming?.stop();
    await Promise.all(this.publishing);
  }

  private async accept(m: JsMsg): Promise<void> {
    let crop: FaceCrop;
    try {
      crop = FaceCrop.decode(m.data);
      checkSource(m.subject, crop);
    } catch (error) {
      await deadLetter(this.js, "embed", m, error);
      return;
    }
    const image = decodeImage(crop.alignedPng);
    image.catch(() => {}); // settled in run(), which dead-letters a crop that does not decode
    await this.batcher.add({ m, crop, image });
  }

  private async run(items: Item[]): Promise<void> {
    const decoded = await Promise.allSettled(items.map((item) => item.image));
    const batch: (Item & { decoded: Image })[] = [];
    for (const [i, result] of decoded.entries()) {
      const item = items[i] as Item;
      if (result.status === "fulfilled") batch.push({ ...item, decoded: result.value });
      else await deadLetter(this.js, "embed", item.m, result.reason);
    }
    if (batch.length === 0) return;
    const started = performance.now();
    let vectors: Float32Array[];
    try {
      vectors = await this.embedder.embed(batch.map((b) => b.decoded));
    } catch (error) {
      await Promise.all(batch.map((b) => this.retries.failed(b.m, error)));
      return;
    }
    this.options.onBatch?.(batch.length, performance.now() - started);
    // The next batch is embedded while this one's publishes wait for their acknowledgements; with the
    // wait inside the batch, the engine sat idle for each round trip (the pipeline reached 0.69-0.77 of
    // the bare engine). A second batch still publishing makes the third wait: memory stays bounded.
    const published = this.publish(batch, vectors).finally(() => this.publishing.delete(published));
    this.publishing.add(published);
    if (this.publishing.size > MAX_PUBLISHING) await Promise.race(this.publishing);
  }

  private async publish(batch: Item[], vectors: Float32Array[]): Promise<void> {
    await Promise.all(
      batch.map(async ({ m, crop }, i) => {
        const embedding = FaceEmbedding.fromPartial({
          cropId: crop.cropId,
          tenant: crop.tenant,
          camera: crop.camera,
          modelId: this.embedder.id,
          vector: [...(vectors[i] as Float32Array)],
          quality: crop.quality,
          liveness: crop.liveness,
          ...(crop.frameTime ? { frameTime: crop.frameTime } : {}),
          ...(crop.box ? { box: crop.box } : {}),
          ...(this.options.forwardCrops ? { alignedPng: crop.alignedPng } : {}),
        });
        const attributes = { "facerec.crop_id": crop.cropId, "facerec.batch_size": batch.length };
        try {
          await inSpan("embedder.embed", contextFromHeaders(m.headers), attributes, SpanKind.CONSUMER, async (span) => {
            // A stream electing a leader takes the embedding a moment later: no delivery is spent on it.
            await keepTrying(
              m,
              () =>
                this.js.publish(subjects.embedding(crop.tenant, crop.camera), FaceEmbedding.encode(embedding).finish(), {
                  msgID: crop.cropId,
                  headers: headersFor(span),
                }),
              isBusTransient,
              { stopping: () => this.stopping },
            );
          });
          m.ack();
          this.retries.succeeded(m);
          this.embedded++;
        } catch (error) {
          await this.retries.failed(m, error).catch(() => m.nak());
        }
      }),
    );
  }
}
