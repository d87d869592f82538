import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "@facerec/common";
import { FaceRecognitionServiceClient, JobKind } from "@facerec/contracts";
import { describeWithShared, shared } from "@facerec/testkit";
import {
  edgeProcess,
  gatewayProcess,
  metricSum,
  mosquittoServer,
  natsServer,
  redisServer,
  type ServerProcess,
  serviceProcess,
} from "@facerec/testkit/servers";
import { credentials, Metadata } from "@grpc/grpc-js";
import mqtt from "mqtt";
import sharp from "sharp";
import { afterAll, beforeAll, expect, it } from "vitest";
import { eventually } from "./stack.js";

const running: ServerProcess[] = [];
let base: string;
let key: string;
let edgeOps: number;
let edgeKey: string;
let grpcAddress: string;
let mqttBroker: Awaited<ReturnType<typeof mosquittoServer>>;
/** Each service's metrics address. */
const metricsOf: Record<string, string> = {};

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: { "x-api-key": key, ...(body ? { "content-type": "application/json" } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}

describeWithShared("gateway in distributed mode: jobs on Redis, match events from NATS", () => {
  beforeAll(async () => {
    const nats = await natsServer();
    const redis = await redisServer();
    running.push(nats, redis);
    const env = { NATS_URL: nats.url, REDIS_URL: redis.url };
    const embedder = await serviceProcess("embedder", env);
    mqttBroker = await mosquittoServer();
    running.push(mqttBroker);
    const matcher = await serviceProcess("matcher", {
      ...env,
      FACEREC_DATA: mkdtempSync(join(tmpdir(), "matcher-")),
      FACEREC_MQTT_URL: mqttBroker.url,
    });
    const edge = await edgeProcess({ ...env, TENANT: "default" });
    edgeOps = edge.ops;
    edgeKey = edge.pushKey;
    running.push(embedder, matcher, edge);
    for (const [name, p] of Object.entries({ embedder, matcher, "edge-detector": edge }))
      metricsOf[name] = `http://127.0.0.1:${p.ops}/metrics`;
    const gateway = await gatewayProcess({ ...env, FACEREC_IMPORT_DIR: shared("data") });
    running.push(gateway);
    grpcAddress = gateway.grpc;
    key = gateway.admin;
    base = gateway.url;
    metricsOf.gateway = `http://127.0.0.1:${gateway.ops}/metrics`;
  });
  afterAll(async () => {
    for (const p of running.reverse()) await p.stop();
  });

  it("enrols a folder through a job, then streams the matcher's decision on a camera frame", async () => {
    const started = await api("POST", "/v1/jobs", { kind: "enrol-folder", folder: "facerec_examples/knn_examples/train" });
    expect(started.status).toBe(202);
    const done = await eventually(async () => {
      const j = await api("GET", `/v1/jobs/${started.json.id}`);
      expect(j.json.state).toBe("completed");
      return j.json;
    });
    expect(done).toMatchObject({ kind: "enrol-folder", tenant: "default", progress: 100, result: { subjects: 5 } });
    // The same job seen over gRPC.
    const client = new FaceRecognitionServiceClient(grpcAddress, credentials.createInsecure());
    const meta = new Metadata();
    meta.set("x-api-key", key);
    const viaGrpc = await new Promise<{ job: { state: string; kind: JobKind; resultJson: string } }>((resolve, reject) =>
      client.getJob({ id: started.json.id as string }, meta, (error, reply) => (error ? reject(error) : resolve(reply as never))),
    );
    client.close();
    expect(viaGrpc.job).toMatchObject({ state: "completed", kind: JobKind.JOB_KIND_ENROL_FOLDER });
    expect(JSON.parse(viaGrpc.job.resultJson)).toMatchObject({ subjects: 5 });

    // The matcher also sends camera decisions to MQTT.
    const listener = await mqtt.connectAsync(mqttBroker.url);
    const notified = new Promise<{ topic: string; body: Record<string, unknown> }>((resolve) =>
      listener.on("message", (topic, payload) => resolve({ topic, body: JSON.parse(payload.toString()) })),
    );
    await listener.subscribeAsync("facerec/default/door/#", { qos: 1 });
    const abort = new AbortController();
    const stream = await fetch(`${base}/v1/matches?camera=door`, { headers: { "x-api-key": key }, signal: abort.signal });
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    const first = (async () => {
      let text = "";
      for (;;) {
        const { value } = await reader.read();
        text += Buffer.from(value as Uint8Array).toString();
        const line = text.split("\n").find((l) => l.startsWith("data: "));
        if (line) return JSON.parse(line.slice(6)) as Record<string, unknown>;
      }
    })();
    const push = (bytes: Buffer) =>
      fetch(`http://127.0.0.1:${edgeOps}/v1/frames?camera=door`, {
        method: "POST",
        body: bytes,
        headers: { authorization: `Bearer ${edgeKey}` },
      });
    expect(
      (await push(readFileSync(shared("data", "facerec_examples", "knn_examples", "test", "alex_lacamoire1.jpg")))).status,
    ).toBe(202);
    await new Promise((r) => setTimeout(r, 1100));
    // A frame with nobody in it ends the track, which releases its best shot.
    await push(
      await sharp({ create: { width: 320, height: 240, channels: 3, background: "#000" } })
        .png()
        .toBuffer(),
    );
    const event = await first;
    abort.abort();
    expect(event).toMatchObject({ tenant: "default", camera: "door", outcome: "match" });
    const mqttMessage = await notified;
    await listener.endAsync();
    expect(mqttMessage.topic).toBe("facerec/default/door/match");
    expect(mqttMessage.body).toMatchObject({ cropId: event.cropId, subjectName: "alex_lacamoire" });
  });

  it("refuses a folder outside the import folder, and another tenant's or an unknown job", async () => {
    const outside = await api("POST", "/v1/jobs", { kind: "enrol-folder", folder: "../../etc" });
    expect(outside.status).toBe(400);
    expect(outside.json.message).toMatch(/inside the import folder/);
    expect((await api("GET", "/v1/jobs/enrol-folder-0000000000000000")).status).toBe(404);
    expect((await api("POST", "/v1/jobs", { kind: "format-disk" })).status).toBe(400);
  });

  it("exposes Prometheus metrics on every service, and the counters moved with the traffic", async () => {
    const scrape = async (name: string) => {
      const r = await fetch(metricsOf[name] as string);
      expect(r.status).toBe(200);
      return r.text();
    };
    const photo = readFileSync(shared("data", "facerec_examples", "knn_examples", "test", "obama1.jpg")).toString("base64");
    expect((await api("POST", "/v1/identify", { image: photo })).status).toBe(200);
    const gateway = await scrape("gateway");
    expect(metricSum(gateway, "facerec_http_requests_total", { route: "/v1/jobs" })).toBeGreaterThan(0);
    expect(metricSum(gateway, "facerec_jobs", { state: "completed" })).toBeGreaterThanOrEqual(1);
    expect(metricSum(gateway, "facerec_decisions_total", { outcome: "rejected" })).toBeGreaterThan(0);
    const embedder = await scrape("embedder");
    expect(metricSum(embedder, "facerec_embedder_crops_total")).toBeGreaterThan(0);
    expect(metricSum(embedder, "facerec_embedder_batch_size_count")).toBeGreaterThan(0);
    expect(embedder).toMatch(/^facerec_consumer_pending_messages\{/m);
    const matcher = await scrape("matcher");
    expect(metricSum(matcher, "facerec_matcher_decisions_total", { outcome: "match" })).toBeGreaterThan(0);
    const edge = await scrape("edge-detector");
    expect(metricSum(edge, "facerec_edge_frames_total")).toBeGreaterThanOrEqual(2);
    expect(metricSum(edge, "facerec_edge_crops", { state: "published" })).toBeGreaterThan(0);
    for (const text of [gateway, embedder, matcher, edge]) expect(text).toMatch(/^facerec_process_resident_memory_bytes/m);
    // Every series the Grafana dashboard plots is one the services export.
    const dashboard = readFileSync(join(repoRoot, "infra", "grafana", "facerec-dashboard.json"), "utf8");
    const plotted = new Set([...dashboard.matchAll(/facerec_[a-z0-9_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, "")));
    const exported = [gateway, embedder, matcher, edge].join("\n");
    for (const name of plotted) expect(exported, name).toMatch(new RegExp(`^${name}(_bucket|_sum|_count)?[{ ]`, "m"));
  });
});
