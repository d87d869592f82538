#!/usr/bin/env node
// The matcher service: embeddings in, decisions out (MatchEvent and audit entry). Configured by environment.
import { join } from "node:path";
import { AuditLog } from "@facerec/audit";
import { Outcome, streams } from "@facerec/contracts";
import {
  consumerLag,
  engineConfigFromEnv,
  ensureConsumer,
  JobRunner,
  MatchWorker,
  numberSetting,
  openProductGallery,
  redisConnection,
  setting,
  startWorkerService,
} from "@facerec/pipeline";
import { FaceEngine, repoRoot } from "@facerec/vision";
import { Counter, Histogram } from "prom-client";

const data = setting("FACEREC_DATA", join(repoRoot, "data"));
const durable = setting("MATCH_DURABLE", "matcher");
const ackWaitMs = numberSetting("ACK_WAIT_MS", 30_000, 1000);
const maxDeliver = numberSetting("MAX_DELIVER", 5, 1);
const qdrantUrl = process.env.QDRANT_URL;
const redisUrl = process.env.REDIS_URL;

const engine = await FaceEngine.create(engineConfigFromEnv());
const gallery = await openProductGallery(data, engine);
const audit = AuditLog.open(join(data, "audit"));
const service = await startWorkerService("matcher", { defaultOpsPort: 9103 });
const { log, jsm, js, registry } = service;
await ensureConsumer(jsm, streams.embeddings, durable, { ackWaitMs, maxDeliver, maxAckPending: 256 });

const decisions = new Counter({
  name: "facerec_matcher_decisions_total",
  help: "Match decisions by outcome.",
  labelNames: ["outcome"],
  registers: [registry],
});
const latency = new Histogram({
  name: "facerec_matcher_decision_seconds",
  help: "Search and decision time per embedding.",
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
  registers: [registry],
});
consumerLag(registry, jsm, streams.embeddings, durable);

const worker = new MatchWorker(js, gallery, audit, {
  durable,
  maxDeliver,
  onDecision(event, ms) {
    decisions.inc({ outcome: Outcome[event.outcome] });
    latency.observe(ms / 1000);
  },
});
await worker.start();
// The gallery lives here, so the jobs that change it (bulk enrolment, re-embedding, erasure,
// recalibration) run here too, when Redis is configured.
const jobs = redisUrl ? new JobRunner(gallery, engine, audit).start(redisConnection(redisUrl)) : undefined;
jobs?.on("failed", (job, error) =>
  log.warn({ job: job?.id, attempt: job?.attemptsMade, err: error.message }, "job attempt failed"),
);
jobs?.on("completed", (job) => log.info({ job: job.id, kind: job.name }, "job completed"));
const ops = await service.run(async () => {
  await jobs?.close();
  await worker.stop();
  await gallery.close();
  audit.close();
  log.info({ decided: worker.decided }, "stopped");
});
log.info(
  { nats: service.natsUrl, durable, index: qdrantUrl ? "qdrant" : "embedded", jobs: redisUrl ? "on" : "off", ops },
  "matcher ready",
);
