import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PgAuditTrail } from "@facerec/audit";
import { FaceCrop, FaceRecognitionServiceClient, type MatchEvent, subjects } from "@facerec/contracts";
import { connectBus, Jobs, redisConnection } from "@facerec/pipeline";
import { Database } from "@facerec/storage";
import { describeWithShared } from "@facerec/testkit";
import { answerFrames } from "@facerec/testkit/orl";
import {
  edgeProcess,
  gatewayProcess,
  natsServer,
  postgresServer,
  redisServer,
  type ServerProcess,
  serviceProcess,
} from "@facerec/testkit/servers";
import { decodeImage, encodePng, FaceEngine } from "@facerec/vision";
import { credentials, Metadata } from "@grpc/grpc-js";
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, expect, it } from "vitest";
import { eventually, knn, matchEvents } from "./stack.js";

const running: ServerProcess[] = [];
let pg: Awaited<ReturnType<typeof postgresServer>>;
let redisUrl: string;
let nc: NatsConnection;
let db: Database;
let edgeOps: number;
let edgeKey: string;
let admin: string;
let matchers: Awaited<ReturnType<typeof serviceProcess>>[] = [];
const gateways: { base: string; grpc: string }[] = [];
let obama: string;
/** How long each key revocation took to hold on the other gateway (ms). */
const revocationMs: number[] = [];

async function api(g: number, method: string, path: string, key = admin, body?: unknown) {
  const r = await fetch(`${gateways[g]?.base}${path}`, {
    method,
    headers: { "x-api-key": key, ...(body ? { "content-type": "application/json" } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}

/** The next `count` server-sent match events of `camera` on gateway `g`. */
function sse(g: number, camera: string, count: number): { events: Promise<Record<string, unknown>[]>; ready: Promise<void> } {
  const controller = new AbortController();
  let markReady: () => void = () => {};
  const ready = new Promise<void>((r) => {
    markReady = r;
  });
  const events = (async () => {
    const r = await fetch(`${gateways[g]?.base}/v1/matches?camera=${camera}`, {
      headers: { "x-api-key": admin },
      signal: controller.signal,
    });
    const out: Record<string, unknown>[] = [];
    let buffer = "";
    for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += Buffer.from(chunk).toString();
      if (buffer.includes(": watching")) markReady();
      for (let at = buffer.indexOf("\n\n"); at >= 0; at = buffer.indexOf("\n\n")) {
        const block = buffer.slice(0, at);
        buffer = buffer.slice(at + 2);
        if (block.startsWith("data: ")) out.push(JSON.parse(block.slice(6)));
      }
      if (out.length >= count) break;
    }
    controller.abort();
    return out;
  })();
  return { events, ready };
}

async function push(photo: string, camera: string): Promise<void> {
  const r = await fetch(`http://127.0.0.1:${edgeOps}/v1/frames?camera=${camera}`, {
    method: "POST",
    body: readFileSync(photo),
    headers: { authorization: `Bearer ${edgeKey}` },
  });
  expect(r.status).toBe(202);
}

async function gateway(env: Record<string, string>): Promise<ServerProcess & { admin: string }> {
  const g = await gatewayProcess(env);
  gateways.push({ base: g.url, grpc: g.grpc });
  return g;
}

describeWithShared("replicas share one PostgreSQL: two gateways, two matchers", () => {
  beforeAll(async () => {
    pg = await postgresServer();
    const nats = await natsServer();
    const redis = await redisServer();
    redisUrl = redis.url;
    running.push(nats, redis);
    const env = { NATS_URL: nats.url, REDIS_URL: redis.url, DATABASE_URL: pg.url, ACK_WAIT_MS: "3000" };
    const a = await gateway(env);
    admin = a.admin;
    running.push(a, await gateway(env));
    matchers = [
      await serviceProcess("matcher", { ...env, FACEREC_DATA: mkdtempSync(join(tmpdir(), "matcher-")) }),
      await serviceProcess("matcher", { ...env, FACEREC_DATA: mkdtempSync(join(tmpdir(), "matcher-")) }),
    ];
    const embedder = await serviceProcess("embedder", env);
    const edge = await edgeProcess({ ...env, TENANT: "default" });
    edgeOps = edge.ops;
    edgeKey = edge.pushKey;
    running.push(...matchers, embedder, edge);
    nc = await connectBus(nats.url, "replicas-test");
    db = await Database.connect(pg.url);
  });
  afterAll(async () => {
    await nc?.drain();
    await db?.close();
    for (const p of running.reverse()) await p.stop();
    await pg?.stop();
  });

  it("a subject enrolled on gateway A is named in a camera's events on B's SSE and gRPC streams, from one pushed photo", async () => {
    const created = await api(0, "POST", "/v1/subjects", admin, { name: "obama" });
    obama = created.json.id as string;
    const images = ["obama.jpg", "obama2.jpg"].map((f) => readFileSync(knn("train", "obama", f)).toString("base64"));
    expect((await api(0, "POST", `/v1/subjects/${obama}/enroll`, admin, { images })).json.templateIds).toHaveLength(2);

    const overSse = sse(1, "door", 1);
    const client = new FaceRecognitionServiceClient(gateways[1]?.grpc as string, credentials.createInsecure());
    const metadata = new Metadata();
    metadata.set("x-api-key", admin);
    const call = client.watchMatches({ cameras: ["door"] }, metadata);
    const overGrpc = new Promise<MatchEvent>((resolve, reject) => {
      call.on("data", (r: { event: MatchEvent }) => resolve(r.event));
      call.on("error", reject);
    });
    await overSse.ready;
    // One photo, no later frame: the edge releases it once the camera is quiet.
    await push(knn("test", "obama1.jpg"), "door");
    const [viaSse] = await overSse.events;
    const viaGrpc = await overGrpc;
    call.cancel();
    client.close();
    for (const event of [viaSse, viaGrpc]) {
      expect(event).toMatchObject({
        tenant: "default",
        camera: "door",
        outcome: "match",
        subjectId: obama,
        subjectName: "obama",
      });
      expect(event?.score).toBeGreaterThan(event?.threshold as number);
    }
    // The matcher's decision is in the one audit trail, seen through either gateway.
    const audit = await eventually(
      async () => {
        const page = await api(1, "GET", "/v1/audit?operation=match");
        expect((page.json.entries as unknown[]).length).toBe(1);
        return page.json.entries as Record<string, unknown>[];
      },
      10_000,
      100,
    );
    expect(audit[0]).toMatchObject({ keyId: "camera:door", decision: "match", subjectId: obama });
  });

  it("a key revoked on A is refused by B within the follow bound; a key created on B works on A at once", async () => {
    for (let round = 0; round < 5; round++) {
      const made = await api(0, "POST", "/v1/keys", admin, { name: `kiosk ${round}`, scopes: ["recognise"] });
      expect(made.status).toBe(201);
      const key = made.json.key as string;
      expect((await api(1, "GET", "/v1/subjects", key)).status).toBe(200);
      expect((await api(0, "DELETE", `/v1/keys/${(made.json.record as { id: string }).id}`)).status).toBe(200);
      const revoked = performance.now();
      await eventually(async () => expect((await api(1, "GET", "/v1/subjects", key)).status).toBe(401), 5000, 5);
      revocationMs.push(performance.now() - revoked);
    }
    // The documented bound: the follower's 1 s poll when a notification is lost; usually a few ms.
    expect(Math.max(...revocationMs)).toBeLessThan(2000);
    console.log(`revocation held on the other gateway after ${revocationMs.map((ms) => ms.toFixed(0)).join(", ")} ms`);
    const onB = await api(1, "POST", "/v1/keys", admin, { name: "made on B", scopes: ["audit"] });
    expect((await api(0, "GET", "/v1/audit?pageSize=1", onB.json.key as string)).status).toBe(200);
    expect((await api(0, "GET", "/v1/subjects", onB.json.key as string)).status).toBe(403);
    const listed = (await api(0, "GET", "/v1/keys")).json.keys as { name: string; revokedAt?: string }[];
    expect(listed.filter((k) => k.revokedAt).length).toBe(5);
  });

  it("an erasure through B leaves no row or vector anywhere, and no matcher names the person again", async () => {
    const job = await api(1, "POST", "/v1/jobs", admin, { kind: "erase", subjectId: obama });
    expect(job.status).toBe(202);
    await eventually(async () => expect((await api(1, "GET", `/v1/jobs/${job.json.id}`)).json.state).toBe("completed"));
    expect((await api(0, "GET", `/v1/subjects/${obama}`)).status).toBe(404);
    for (const table of ["subjects", "templates"]) {
      const column = table === "subjects" ? "id" : "subject";
      expect((await db.query(`SELECT 1 FROM ${table} WHERE ${column} = $1`, [obama])).rowCount).toBe(0);
    }
    // Four photos, so that both matchers (one shared consumer) most likely decide some of them.
    for (let i = 0; i < 4; i++) await push(knn("test", "obama1.jpg"), `after-${i}`);
    const after = await eventually(async () => {
      const events = (await matchEvents(nc)).filter((e) => e.camera.startsWith("after-"));
      expect(events).toHaveLength(4);
      return events;
    });
    expect(after.every((e) => e.outcome === "unknown" && e.subjectId === "")).toBe(true);
    // An erase job for a subject that never existed fails; it never reports success.
    const jobs = new Jobs(redisConnection(redisUrl));
    const ghost = await jobs.add({ kind: "erase", tenant: "default", subjectId: randomUUID() });
    const failed = await eventually(async () => {
      const view = await jobs.get("default", ghost.id);
      expect(view?.state).toBe("failed");
      return view;
    });
    expect(failed?.error).toMatch(/no subject/);
    await jobs.close();
  });

  it("an active liveness challenge started on A takes frames on both gateways and is judged once, on B", async () => {
    const started = await api(0, "POST", "/v1/liveness/challenges");
    expect(started.status).toBe(201);
    const { id, actions } = started.json as { id: string; actions: string[] };
    // A load balancer without affinity: the frames alternate between the gateways.
    const frames = await answerFrames(actions);
    for (const [i, image] of frames.entries()) {
      const r = await api(i % 2, "POST", `/v1/liveness/challenges/${id}/frames`, admin, { image: image.toString("base64") });
      expect(r.status).toBe(200);
      expect(r.json.frame).toBe(i + 1);
    }
    const result = await api(1, "POST", `/v1/liveness/challenges/${id}/result`);
    expect(result.json).toMatchObject({ live: true, reason: "live", frames: frames.length });
    expect((await api(0, "POST", `/v1/liveness/challenges/${id}/result`)).status).toBe(404);
    const audited = await db.query(
      "SELECT decision FROM audit_entries WHERE operation = 'liveness-challenge' AND entry::jsonb->>'requestId' = $1",
      [result.json.requestId],
    );
    expect(audited.rows).toEqual([{ decision: "live" }]);
  });

  it("a matcher killed and PostgreSQL restarted mid-stream: one event and one audit entry per crop, chains intact", async () => {
    const engine = await FaceEngine.create({ liveness: "none" });
    const faces = await engine.analyse(await decodeImage(readFileSync(knn("test", "kit_with_rose.jpg"))), { embed: false });
    const pngs = await Promise.all(faces.map((f) => encodePng(f.aligned)));
    const js = jetstream(nc);
    const sent: string[] = [];
    const publish = async (count: number) => {
      for (let i = 0; i < count; i++) {
        const c = FaceCrop.fromPartial({
          cropId: randomUUID(),
          tenant: "default",
          camera: "faults",
          frameTime: new Date(),
          quality: 0.9,
          liveness: 1,
          alignedPng: pngs[i % pngs.length],
          trackId: `t${i}`,
        });
        await js.publish(subjects.crop(c.tenant, c.camera), FaceCrop.encode(c).finish(), { msgID: c.cropId });
        sent.push(c.cropId);
      }
    };
    const decided = async () => (await matchEvents(nc)).filter((e) => e.camera === "faults").length;
    await publish(60);
    await eventually(async () => expect(await decided()).toBeGreaterThan(5), 60_000, 20);
    await matchers[0]?.kill();
    await publish(60);
    await eventually(async () => expect(await decided()).toBeGreaterThan(70), 60_000, 20);
    await pg.stop();
    await publish(60);
    // Meanwhile a gateway says the store is out of reach, as every route does: 503 with a retry hint.
    const verify = await api(0, "GET", "/v1/audit/verify", admin);
    expect([verify.status, verify.json.error]).toEqual([503, "UNAVAILABLE"]);
    await new Promise((r) => setTimeout(r, 1500));
    await pg.start();
    await matchers[0]?.start();

    await eventually(async () => {
      const events = (await matchEvents(nc)).filter((e) => e.camera === "faults");
      expect(events.map((e) => e.cropId).sort()).toEqual([...sent].sort());
    }, 120_000);
    const entries = await db.query<{ n: string; crops: string }>(
      "SELECT count(*) AS n, count(DISTINCT entry::json->>'requestId') AS crops FROM audit_entries WHERE tenant = 'default' AND operation = 'match' AND entry::json->>'keyId' = 'camera:faults'",
    );
    expect(entries.rows[0]).toEqual({ n: String(sent.length), crops: String(sent.length) });
    const audit = new PgAuditTrail(db);
    for (const tenant of await audit.tenants()) expect(await audit.verify(tenant)).toMatchObject({ tenant, intact: true });
  });
});
