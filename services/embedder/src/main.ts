#!/usr/bin/env node
// The embedder service: crops in, embeddings out, in batches through ONNX Runtime. Configured by environment.
import { streams } from "@facerec/contracts";
import {
  connectBus,
  consumerLag,
  EmbedWorker,
  engineConfigFromEnv,
  ensureConsumer,
  ensureStreams,
  jetstreamManager,
  metricsRegistry,
  numberSetting,
  onShutdown,
  serveOps,
  serviceLogger,
  setting,
  startTracing,
} from "@facerec/pipeline";
import { FaceEngine } from "@facerec/vision";
import { jetstream } from "@nats-io/jetstream";
import { Counter, Histogram } from "prom-client";

const log = serviceLogger("embedder");
const tracing = startTracing("embedder");
const natsUrl = setting("NATS_URL", "nats://127.0.0.1:4222");
const durable = setting("EMBED_DURABLE", "embedder");
const batchSize = numberSetting("EMBED_BATCH", 8, 1);
const maxWaitMs = numberSetting("EMBED_MAX_WAIT_MS", 50, 1);
const ackWaitMs = numberSetting("ACK_WAIT_MS", 30_000, 1000);
const maxDeliver = numberSetting("MAX_DELIVER", 5, 1);

const engine = await FaceEngine.create({ ...engineConfigFromEnv(), liveness: "none", embedBatch: batchSize });
const nc = await connectBus(natsUrl, "facerec-embedder");
const jsm = await jetstreamManager(nc);
await ensureStreams(jsm);
await ensureConsumer(jsm, streams.crops, durable, { ackWaitMs, maxDeliver, maxAckPending: batchSize * 32 });

const registry = metricsRegistry("embedder");
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

const worker = new EmbedWorker(jetstream(nc), engine.embedder, {
  durable,
  batchSize,
  maxWaitMs,
  maxDeliver,
  onBatch(size, ms) {
    sizes.observe(size);
    inference.observe(ms / 1000);
    crops.inc(size);
  },
});
await worker.start();
const ops = await serveOps(setting("OPS_HOST", "127.0.0.1"), numberSetting("OPS_PORT", 9102), registry, () => !nc.isClosed());
log.info({ nats: natsUrl, durable, batchSize, maxWaitMs, model: engine.embedder.id, ops: ops.address() }, "embedder ready");

onShutdown(async () => {
  log.info("draining: no new crops, finishing the batches in hand");
  await worker.stop();
  await nc.drain();
  ops.close();
  log.info({ embedded: worker.embedded, meanBatch: worker.meanBatchSize() }, "stopped");
  await tracing?.shutdown();
});
