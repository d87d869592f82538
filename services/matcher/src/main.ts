#!/usr/bin/env node
// The matcher service: embeddings in, decisions out (MatchEvent and audit entry). Configured by environment.
import { hostname } from "node:os";
import { join } from "node:path";
import { repoRoot } from "@facerec/common";
import { type MatchEvent, streams } from "@facerec/contracts";
import {
  BullDeliveryQueue,
  notifierFromEnv,
  notifierMetrics,
  startWebhookWorker,
  WebhookDispatcher,
  webhookMetrics,
} from "@facerec/notify";
import { ensureConsumer, JobRunner, MatchWorker, redisConnection, startWorkerService } from "@facerec/pipeline";
import { DecisionAftermath, openProductState, reviewPolicyFromEnv, TenantPolicies, webhookDeliveryData } from "@facerec/product";
import { consumerLag, engineConfigFromEnv, exitOnDamagedState, numberSetting, setting } from "@facerec/runtime";
import { FaceEngine } from "@facerec/vision";
import { Counter, Histogram } from "prom-client";

const data = setting("FACEREC_DATA", join(repoRoot, "data"));
const durable = setting("MATCH_DURABLE", "matcher");
const ackWaitMs = numberSetting("ACK_WAIT_MS", 30_000, 1000);
const maxDeliver = numberSetting("MAX_DELIVER", 5, 1);
const qdrantUrl = process.env.QDRANT_URL;
const redisUrl = process.env.REDIS_URL;

const engine = await FaceEngine.create(engineConfigFromEnv());
// With DATABASE_URL the gallery and the audit trail are PostgreSQL's, shared with every other
// matcher and gateway; without it, this matcher's own folder.
const state = await openProductState(data, engine).catch(exitOnDamagedState);
const { gallery, audit } = state;
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
const storeWaits = new Counter({
  name: "facerec_matcher_store_waits_total",
  help: "Times a decision waited because the system of record (PostgreSQL) was unreachable.",
  registers: [registry],
});
consumerLag(registry, jsm, streams.embeddings, durable);

// Camera decisions to MQTT when FACEREC_MQTT_URL is set (at least once: a redelivered crop may notify twice).
const notifier = await notifierFromEnv(`facerec-matcher-${hostname()}-${process.pid}`);
if (notifier) notifierMetrics(registry, notifier);
// Camera decisions to the tenants' webhooks: queued on BullMQ with Redis, where this matcher's worker
// (and every other matcher's) attempts them, gateways' deliveries included; else attempted here.
const connection = redisUrl ? redisConnection(redisUrl) : undefined;
const webhooks = new WebhookDispatcher(state.webhooks, connection ? new BullDeliveryQueue(connection) : undefined, {
  onError: (error) => log.warn({ err: (error as Error).message }, "a decision could not be queued for its webhooks"),
});
webhookMetrics(registry, webhooks);
// The erase job this matcher runs reaches the queued deliveries too.
state.personalData.register(webhookDeliveryData(webhooks.queue));
const webhookWorker = connection ? startWebhookWorker(connection, webhooks) : undefined;
const reviewPolicy = reviewPolicyFromEnv();
// The tenants' policies: the cameras they let identify, and the false-match rate they target.
const policies = new TenantPolicies(state.policies, gallery, engine.embedder);
// What follows each decision, as for the API's identify: the audit entry and the review queue
// (unknown faces and close calls from the cameras FACEREC_REVIEW names, with their crops where the
// embedder forwards them and FACEREC_RETAIN_CROPS=1), then MQTT and the tenants' webhooks.
const aftermath = new DecisionAftermath({
  audit,
  review: { store: state.review, policy: reviewPolicy },
  ...(notifier ? { mqtt: (event: MatchEvent) => notifier.notify(event) } : {}),
  webhooks,
});
const worker = new MatchWorker(js, gallery, {
  durable,
  maxDeliver,
  mayIdentify: (tenant, camera) => policies.mayIdentify(tenant, camera),
  aftermath: {
    record: (event, source, face) =>
      aftermath.record(event, source, face && (gallery.retainsCrops ? face : { vector: face.vector })),
    notify: (event) => aftermath.notify(event),
  },
  onDecision(event, ms) {
    decisions.inc({ outcome: event.outcome });
    latency.observe(ms / 1000);
  },
  onStoreDown(error) {
    storeWaits.inc();
    log.warn({ err: (error as Error).message }, "the audit trail's store is unreachable; waiting for it");
  },
});
await worker.start();
// The gallery lives here, so the jobs that change it (bulk enrolment, re-embedding, erasure,
// recalibration) run here too, when Redis is configured.
const importRoot = process.env.FACEREC_IMPORT_DIR;
const jobs = connection ? new JobRunner(gallery, engine, audit, importRoot, state.personalData).start(connection) : undefined;
jobs?.on("failed", (job, error) =>
  log.warn({ job: job?.id, attempt: job?.attemptsMade, err: error.message }, "job attempt failed"),
);
jobs?.on("completed", (job) => log.info({ job: job.id, kind: job.name }, "job completed"));
const ops = await service.run(async () => {
  await jobs?.close();
  await worker.stop();
  await webhookWorker?.close();
  await webhooks.queue.close();
  await notifier?.close();
  await state.close();
  log.info({ decided: worker.decided }, "stopped");
});
log.info(
  {
    nats: service.natsUrl,
    durable,
    storage: state.storage,
    index: qdrantUrl ? "qdrant" : "in-memory",
    jobs: redisUrl ? "on" : "off",
    ops,
  },
  "matcher ready",
);
