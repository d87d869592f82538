import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AuditTrail } from "@facerec/audit";
import type { FaceRecognitionServiceClient } from "@facerec/contracts";
import { type Gateway, openGateway } from "@facerec/operations";
import { keptForReview, purgeReview } from "@facerec/product";
import { describeWithShared, LFW } from "@facerec/testkit";
import { type ServiceError, status } from "@grpc/grpc-js";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grpcCaller, type Json, restCaller, serveOnLoopback } from "./clients.js";

let gateway: Gateway;
let client: InstanceType<typeof FaceRecognitionServiceClient>;
let base: string;
let close: () => Promise<void>;
let audit: AuditTrail;
const keyOf = { admin: "", kiosk: "", other: "" };

const call = restCaller(() => base);
const rpc = grpcCaller(() => client);

const photo = (person: string, n: number) => readFileSync(LFW(person, n)).toString("base64");
const identify = (person: string, n: number, camera: string, key = keyOf.kiosk) =>
  call("POST", "/v1/identify", key, { image: photo(person, n), camera });

describeWithShared("the review queue: unknown faces clustered, named or dismissed by an operator", () => {
  beforeAll(async () => {
    // Kept from the door and the lobby; the car park is not reviewed. Stored photos, so no liveness gate.
    gateway = await openGateway(mkdtempSync(join(tmpdir(), "review-")), {
      env: { ...process.env, FACEREC_REVIEW: "door,lobby", FACEREC_LIVENESS_POLICY: "off" },
    });
    ({ audit } = gateway);
    keyOf.admin = (await gateway.keys.create("acme", "admin", ["admin"])).key;
    keyOf.kiosk = (await gateway.keys.create("acme", "kiosk", ["recognise"])).key;
    keyOf.other = (await gateway.keys.create("globex", "other", ["admin"])).key;
    ({ base, client, close } = await serveOnLoopback(gateway));
  });
  afterAll(async () => {
    await close?.();
  });

  it("groups two strangers seen at two cameras into one cluster each; unreviewed cameras keep nothing", async () => {
    for (const n of [1, 2, 3, 4]) {
      const r = await identify("Gerhard_Schroeder", n, n % 2 ? "door" : "lobby");
      expect(r.json.faces[0].outcome).toBe("unknown");
    }
    for (const n of [1, 2, 3]) expect((await identify("Jean_Chretien", n, "door")).json.faces[0].outcome).toBe("unknown");
    await identify("Jean_Chretien", 4, "carpark");
    const listed = await call("GET", "/v1/review/clusters", keyOf.admin);
    expect(listed.status).toBe(200);
    expect(listed.json.total).toBe(2);
    const sizes = listed.json.clusters.map((c: Json) => [c.faces, c.cameras]).sort();
    expect(sizes).toEqual([
      [3, ["door"]],
      [4, ["door", "lobby"]],
    ]);
    // The tenant's status counts the same groups, over REST and gRPC.
    expect((await call("GET", "/v1/status", keyOf.kiosk)).json).toMatchObject({
      subjects: 0,
      reviewClusters: 2,
      auditWritable: true,
    });
    expect(await rpc("getStatus", {}, keyOf.admin)).toMatchObject({ reviewClusters: 2, models: ["arcface512"] });
    // The recognise-only key cannot see the queue; another tenant sees an empty one.
    expect((await call("GET", "/v1/review/clusters", keyOf.kiosk)).status).toBe(403);
    expect((await call("GET", "/v1/review/clusters", keyOf.other)).json).toEqual({ clusters: [], total: 0 });
  });

  it("assigns a cluster to a new subject; the next photo of that person is named", async () => {
    const { clusters } = (await call("GET", "/v1/review/clusters", keyOf.admin)).json;
    const schroeder = clusters.find((c: Json) => c.faces === 4);
    const detail = await call("GET", `/v1/review/clusters/${schroeder.id}`, keyOf.admin);
    expect(detail.json.faces).toHaveLength(4);
    expect(JSON.stringify(detail.json)).not.toMatch(/vector/);
    // Another tenant can neither read nor assign it.
    expect((await call("GET", `/v1/review/clusters/${schroeder.id}`, keyOf.other)).status).toBe(404);
    expect((await call("POST", `/v1/review/clusters/${schroeder.id}/assign`, keyOf.other, { name: "x" })).status).toBe(404);
    // A wrong subject id is refused and loses nothing.
    const wrong = await call("POST", `/v1/review/clusters/${schroeder.id}/assign`, keyOf.admin, { subjectId: "nobody" });
    expect(wrong.status).toBe(404);
    expect((await call("GET", `/v1/review/clusters/${schroeder.id}`, keyOf.admin)).json.faces).toHaveLength(4);

    const assigned = await call("POST", `/v1/review/clusters/${schroeder.id}/assign`, keyOf.admin, { name: "Gerhard Schroeder" });
    expect(assigned.status).toBe(200);
    expect(assigned.json).toMatchObject({ subject: { name: "Gerhard Schroeder" }, templates: 4, skipped: 0 });
    const next = await identify("Gerhard_Schroeder", 5, "door");
    expect(next.json.faces[0]).toMatchObject({ outcome: "match", subjectId: assigned.json.subject.id });
    expect((await call("GET", "/v1/review/clusters", keyOf.admin)).json.total).toBe(1);
    const entries = (await audit.query({ tenant: "acme" })).entries;
    expect(entries.some((e) => e.operation === "review-assign" && e.subjectId === assigned.json.subject.id)).toBe(true);
  });

  it("lists and dismisses over gRPC with the same rules", async () => {
    const page = await rpc<{ clusters: { id: string; faces: number; cameras: string[] }[]; total: number }>(
      "listReviewClusters",
      { limit: 0, offset: 0 },
      keyOf.admin,
    );
    expect(page.total).toBe(1);
    const id = page.clusters[0]?.id as string;
    const got = await rpc<{ faces: { camera: string }[] }>("getReviewCluster", { id }, keyOf.admin);
    expect(got.faces.map((f) => f.camera)).toEqual(["door", "door", "door"]);
    expect(((await rpc("dismissReviewCluster", { id }, keyOf.other).catch((e) => e)) as ServiceError).code).toBe(
      status.NOT_FOUND,
    );
    const denied = (await rpc("listReviewClusters", { limit: 0, offset: 0 }, keyOf.kiosk).catch((e) => e)) as ServiceError;
    expect(denied.code).toBe(status.PERMISSION_DENIED);
    expect(await rpc("dismissReviewCluster", { id }, keyOf.admin)).toEqual({ faces: 3 });
    expect((await call("GET", "/v1/review/clusters", keyOf.admin)).json.total).toBe(0);
    const entries = (await audit.query({ tenant: "acme" })).entries;
    expect(entries.some((e) => e.operation === "review-dismiss" && e.decision === `dismissed ${id}: 3 faces`)).toBe(true);
  });

  it("purges faces past retention (a clock the test sets), audited with the count", async () => {
    await identify("Jean_Chretien", 5, "door");
    const policy = { cameras: "all" as const, retentionDays: 30, lowMargin: 0 };
    expect(await purgeReview(gateway.state.review, audit, policy)).toEqual(new Map());
    const later = Date.now() + 31 * 86_400_000;
    expect(await purgeReview(gateway.state.review, audit, policy, later)).toEqual(new Map([["acme", 1]]));
    expect((await call("GET", "/v1/review/clusters", keyOf.admin)).json.total).toBe(0);
    const entries = (await audit.query({ tenant: "acme" })).entries;
    expect(entries.some((e) => e.operation === "review-purge" && /^purged 1 before/.test(e.decision))).toBe(true);
    expect((await audit.verify("acme")).intact).toBe(true);
  });
}, ["data"]);

describe("which decisions the queue keeps", () => {
  const policy = { cameras: ["door"], retentionDays: 30, lowMargin: 0.05 };
  const candidate = (subjectId: string, score: number) => ({ subjectId, score, threshold: 0.3 });
  it("every unknown face, and a match only when it clears its threshold or the runner-up by less than the margin", () => {
    expect(keptForReview(policy, "door", { outcome: "unknown", candidates: [] })).toBe("unknown");
    expect(keptForReview(policy, "carpark", { outcome: "unknown", candidates: [] })).toBeUndefined();
    const clear = [candidate("a", 0.6), candidate("b", 0.2)];
    expect(keptForReview(policy, "door", { outcome: "match", subjectId: "a", candidates: clear })).toBeUndefined();
    // 0.04 over its threshold; then 0.3 over it, but only 0.03 ahead of another subject.
    const close = [candidate("a", 0.34), candidate("b", 0.1)];
    expect(keptForReview(policy, "door", { outcome: "match", subjectId: "a", candidates: close })).toBe("match");
    const twins = [candidate("a", 0.6), candidate("b", 0.57)];
    expect(keptForReview(policy, "door", { outcome: "match", subjectId: "a", candidates: twins })).toBe("match");
    expect(
      keptForReview({ ...policy, lowMargin: 0 }, "door", { outcome: "match", subjectId: "a", candidates: twins }),
    ).toBeUndefined();
    expect(keptForReview(policy, "door", { outcome: "rejected-quality", candidates: [] })).toBeUndefined();
  });
});

describeWithShared("the review queue with crop retention on: close-call matches and crops", () => {
  let gw: Gateway;
  let served: Awaited<ReturnType<typeof serveOnLoopback>>;
  const keys = { admin: "", other: "" };
  const at = restCaller(() => served.base);
  const rpcAt = grpcCaller(() => served.client);
  beforeAll(async () => {
    // A margin of 1 keeps every match: the test needs a close call, and real faces rarely make one on cue.
    gw = await openGateway(mkdtempSync(join(tmpdir(), "review-crops-")), {
      env: {
        ...process.env,
        FACEREC_REVIEW: "door",
        FACEREC_REVIEW_LOW_MARGIN: "1",
        FACEREC_RETAIN_CROPS: "1",
        FACEREC_LIVENESS_POLICY: "off",
      },
    });
    keys.admin = (await gw.keys.create("acme", "admin", ["admin"])).key;
    keys.other = (await gw.keys.create("globex", "other", ["admin"])).key;
    served = await serveOnLoopback(gw);
  });
  afterAll(async () => {
    await served?.close();
  });

  it("keeps a close-call match with the subject it named, and each face's crop, served as PNG over REST and gRPC", async () => {
    const stockton = (await at("POST", "/v1/subjects", keys.admin, { name: "John Stockton" })).json.id as string;
    await at("POST", `/v1/subjects/${stockton}/enroll`, keys.admin, {
      images: [1, 2].map((n) => photo("John_Stockton", n)),
    });
    const seen = await at("POST", "/v1/identify", keys.admin, { image: photo("John_Stockton", 3), camera: "door" });
    expect(seen.json.faces[0]).toMatchObject({ outcome: "match", subjectId: stockton });
    await at("POST", "/v1/identify", keys.admin, { image: photo("Gerhard_Schroeder", 1), camera: "door" });
    const { clusters } = (await at("GET", "/v1/review/clusters", keys.admin)).json;
    expect(clusters).toHaveLength(2);
    const faces = [];
    for (const c of clusters) faces.push(...(await at("GET", `/v1/review/clusters/${c.id}`, keys.admin)).json.faces);
    const match = faces.find((f: Json) => f.outcome === "match");
    const stranger = faces.find((f: Json) => f.outcome === "unknown");
    expect(match).toMatchObject({ subjectId: stockton, hasCrop: true, camera: "door" });
    expect(stranger).toMatchObject({ hasCrop: true });
    expect(stranger.subjectId).toBeUndefined();

    const png = await fetch(`${served.base}/v1/review/faces/${encodeURIComponent(match.id)}/crop`, {
      headers: { "x-api-key": keys.admin },
    });
    expect(png.status).toBe(200);
    expect(png.headers.get("content-type")).toBe("image/png");
    const bytes = Buffer.from(await png.arrayBuffer());
    expect(await sharp(bytes).metadata()).toMatchObject({ format: "png", width: 112, height: 112 });
    const viaGrpc = await rpcAt<{ png: Buffer }>("getReviewFaceCrop", { id: match.id }, keys.admin);
    expect(Buffer.from(viaGrpc.png).equals(bytes)).toBe(true);
    // Another tenant cannot fetch it; an id never queued is a 404 with a message.
    expect((await at("GET", `/v1/review/faces/${encodeURIComponent(match.id)}/crop`, keys.other)).status).toBe(404);
    const missing = await at("GET", "/v1/review/faces/nobody/crop", keys.admin);
    expect(missing.status).toBe(404);
    expect(missing.json.message).toMatch(/no kept crop/);
  });

  it("assigning a cluster makes its faces templates with their crops", async () => {
    const { clusters } = (await at("GET", "/v1/review/clusters", keys.admin)).json;
    const strangerCluster = [];
    for (const c of clusters) {
      const detail = (await at("GET", `/v1/review/clusters/${c.id}`, keys.admin)).json;
      if (detail.faces[0].outcome === "unknown") strangerCluster.push(c.id);
    }
    const assigned = await at("POST", `/v1/review/clusters/${strangerCluster[0]}/assign`, keys.admin, {
      name: "Gerhard Schroeder",
    });
    expect(assigned.json.templates).toBe(1);
    const subject = (await at("GET", `/v1/subjects/${assigned.json.subject.id}/export`, keys.admin)).json;
    expect(subject.templates.map((t: Json) => t.cropRetained)).toEqual([true]);
  });
}, ["data"]);
