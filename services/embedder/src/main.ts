#!/usr/bin/env node
// The embedder service: crops in, embeddings out, in batches through ONNX Runtime. Configured by environment.
import { streams } from "@facerec/contracts";
import { EmbedWorker, ensureConsumer, startWorkerService } from "@facerec/pipeline";
import { consumerLag, engineConfigFromEnv, numberSetting, setting } from "@facerec/runtime";
import { FaceEngine } from "@facerec/vision";
import { Counter, Histogram } from "prom-client";

const durable = setting("EMBED_DURABLE", "embedder");
const batchSize = numberSetting("EMBED_BATCH", 8, 1);
const maxWaitMs = numberSetting("EMBED_MAX_WAIT_MS", 50, 1);
const ackWaitMs = numberSetting("ACK_WAIT_MS", 30_000, 1000);
const maxDeliver = numberSetting("MAX_DELIVER", 5, 1);

const engine = await FaceEngine.create({ ...engineConfigFromEnv(), liveness: "none", embedBatch: batchSize });
const service = await startWorkerService("embedder", { defaultOpsPort: 9102 });
const { log, jsm, js, registry } = service;
await ensureConsumer(jsm, streams.crops, durable, { ackWaitMs, maxDeliver, maxAckPending: batchSize * 32 });

const sizes = new Histogram({
  name: "facerec_embedder_batch_size",
  help: "Crops per ONNX Runtime batch.",
  buckets: Array.from({ length: batchSize }, (_, i) => i + 1),
  registers: [registry],
});
const inference = new Histogram({
  name: "facerec_embedder_inference_seconds",
  help: "Time of one embedding batch through ONNX Runtime.",
  buckets: [0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6],
  registers: [registry],
});
const crops = new Counter({ name: "facerec_embedder_crops_total", help: "Crops embedded.", registers: [registry] });
consumerLag(registry, jsm, streams.crops, durable);

const worker = new EmbedWorker(js, engine.embedder, {
  durable,
  batchSize,
  maxWaitMs,
  maxDeliver,
  forwardCrops: process.env.FACEREC_RETAIN_CROPS === "1",
  onBatch(size, ms) {
    sizes.observe(size);
    inference.observe(ms / 1000);
    crops.inc(size);
  },
});
await worker.start();
const ops = await service.run(async () => {
  log.info("draining: no new crops, finishing the batches in hand");
  await worker.stop();
  log.info({ embedded: worker.embedded, meanBatch: worker.meanBatchSize() }, "stopped");
});
log.info(
  {
    nats: service.natsUrl,
    durable,
    batchSize,
    maxWaitMs,
    model: engine.embedder.id,
    graphLevel: engine.tuning ?? "FACEREC_GRAPH_OPT",
    ops,
  },
  "embedder ready",
);
